"""Pose-stage fixtures: the real BlazePose models from the cache (`./run test` fetches them first),
and har-synth scenes rendered in-process."""
from __future__ import annotations

from pathlib import Path

import pytest
from console_scripts import console_script

from har_device.core import pose_models as models
from har_device.pose.tracker import PoseStage


@pytest.fixture(scope="session")
def pose_models() -> Path:
    if not models.cached():
        pytest.skip(f"BlazePose models not cached in {models.default_dir()}: run `har-pose fetch` "
                    "(./run test does it)")
    return models.default_dir()


@pytest.fixture
def stage(pose_models: Path) -> PoseStage:
    return PoseStage.load(pose_models, threads=2)


@pytest.fixture(scope="session")
def har_pose() -> str:
    return console_script("har-pose")
