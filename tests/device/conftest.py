"""Shared, session-scoped, tiny fixtures for the device tests (run in the TensorFlow-free venv)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from console_scripts import console_script
from mqtt_broker import broker, subscribe  # noqa: F401 - MQTT fixtures: a private broker, subscribers

from har_device.core import pose_models as pose_model_files
from har_device.synth.actions import LABELS
from har_device.synth.dataset import make_spec, write_dataset


@pytest.fixture(scope="session")
def har_synth() -> str:
    return console_script("har-synth")


@pytest.fixture(scope="session")
def synth_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A UCF101-style synthetic dataset: 6 classes x 3 clips (3 groups), 4 frames, 64 px, 8 fps."""
    root = tmp_path_factory.mktemp("synth") / "data"
    spec = make_spec(LABELS, clips_per_class=3, frames=4, fps=8.0, size=64, seed=7, groups=3)
    write_dataset(root, spec, progress=False)
    return root


@pytest.fixture(scope="session")
def synth_script() -> str:
    return "walk:2,fall:1.5,idle:2,sit:1.5"


@pytest.fixture(scope="session")
def synth_video(tmp_path_factory: pytest.TempPathFactory, har_synth: str, synth_script: str) -> Path:
    """A scripted synthetic scene (`synth_script`, 8 fps, 64 px, seed 3, 7 s) made by the real
    `har-synth video` command; its timeline is the .json beside it."""
    out = tmp_path_factory.mktemp("synth_video") / "scene.mp4"
    subprocess.run([har_synth, "video", str(out), "--script", synth_script,
                    "--fps", "8", "--size", "64", "--seed", "3"], check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def noise_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """32 frames of seeded noise, 80x60 at 16 fps: twice the rate of the tiny bundle, so the
    agent's subsampling to the bundle's 8 fps shows."""
    from har_device.core.video import write_video

    path = tmp_path_factory.mktemp("noise") / "noise.mp4"
    rng = np.random.default_rng(0)
    write_video(path, (rng.integers(0, 256, (60, 80, 3), dtype=np.uint8) for _ in range(32)), 16.0)
    return path


@pytest.fixture(scope="session")
def pose_models() -> Path:
    """The cached BlazePose models (`./run test` fetches them first). Missing, the pose tests skip
    on a developer's machine and fail in CI, where the fetch must have worked."""
    if not pose_model_files.cached():
        message = (f"BlazePose models not cached in {pose_model_files.default_dir()}: run "
                   "`har-pose fetch` (./run test does it)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return pose_model_files.default_dir()
