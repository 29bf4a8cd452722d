"""Pose-stage fixtures: the real BlazePose models from the cache (`./run test` fetches them first),
and har-synth scenes rendered in-process."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from har_device.pose import models
from har_device.pose.tracker import PoseStage
from har_device.synth.camera import View
from har_device.synth.script import plan_script

REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "pose_reference"


@pytest.fixture(scope="session")
def pose_models() -> Path:
    if not models.cached():
        pytest.skip(f"BlazePose models not cached in {models.default_dir()}: run `har-pose fetch` "
                    "(./run test does it)")
    return models.default_dir()


@pytest.fixture
def stage(pose_models: Path) -> PoseStage:
    return PoseStage.load(pose_models, threads=2)


def scene_frames(script: str, size: int, fps: float, seed: int,
                 view: View | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(frames (F, H, W, 3) BGR, the figure's pixel boxes (F, 4)) of a har-synth scene."""
    scene, _ = plan_script(script, fps, size, seed, view)
    return scene.render(), scene.boxes()


@pytest.fixture(scope="session")
def har_pose() -> str:
    beside = Path(sys.executable).with_name("har-pose")
    return str(beside) if beside.exists() else "har-pose"
