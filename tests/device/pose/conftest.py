"""Pose-stage fixtures: the stage on the real BlazePose models (`pose_models`, tests/device/conftest)."""
from __future__ import annotations

from pathlib import Path

import pytest
from console_scripts import console_script

from har_device.pose.tracker import PoseStage


@pytest.fixture
def stage(pose_models: Path) -> PoseStage:
    return PoseStage.load(pose_models, threads=2)


@pytest.fixture(scope="session")
def har_pose() -> str:
    return console_script("har-pose")
