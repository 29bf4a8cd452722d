"""The pose stage agrees with MediaPipe's own solution (0.10.14, recorded by
tests/fixtures/pose_reference/record.py) on real photographs and on har-synth scenes: median
landmark distance at most 2 % of the person's height, and a person wherever MediaPipe found one in
at least 95 % of those frames."""
from __future__ import annotations

import json
import subprocess

import cv2
import numpy as np
import pytest
from pose_scenes import REFERENCE

from har_device.core.video import read_all
from har_device.pose.tracker import PoseStage

MAX_DISTANCE = 0.02
MIN_FOUND = 0.95
MEDIAPIPE_CLOCK_FPS = 30.0  # its Python solution stamps frames 33.333 ms apart

META = json.loads((REFERENCE / "reference.json").read_text())
ARRAYS = np.load(REFERENCE / "reference.npz")


def person_size(reference: np.ndarray) -> float:
    """The long side of the reference skeleton's box: its height standing, its length lying."""
    return float(np.max(np.nanmax(reference[:, :2], axis=0) - np.nanmin(reference[:, :2], axis=0)))


def relative_distance(points: np.ndarray, reference: np.ndarray) -> float:
    """Median over the 33 landmarks of the pixel distance, over the person's size."""
    return float(np.median(np.hypot(*(points[:, :2] - reference[:, :2]).T)) / person_size(reference))


@pytest.mark.parametrize("name", sorted(META["photos"]))
def test_photographs(stage: PoseStage, name: str) -> None:
    reference = ARRAYS[f"photo/{name}"]
    assert np.isfinite(reference).all(), f"{name}: MediaPipe found nobody; the fixture should not keep it"
    result = stage.process(cv2.imread(str(REFERENCE / META["photos"][name]["file"])), 0.0)
    assert result.person, f"{name}: no person found"
    assert relative_distance(result.points, reference) <= MAX_DISTANCE


@pytest.mark.parametrize("name", sorted(META["scenes"]))
def test_synthetic_scenes(stage: PoseStage, har_synth: str, tmp_path, name: str) -> None:
    video = tmp_path / f"{name}.mp4"
    subprocess.run([har_synth, "video", str(video), *META["scenes"][name]["har_synth_video"]],
                   check=True, capture_output=True)
    reference = ARRAYS[f"scene/{name}"]
    results = [stage.process(frame, index / MEDIAPIPE_CLOCK_FPS)
               for index, frame in enumerate(read_all(video))]
    theirs = np.isfinite(reference[:, 0, 0])
    ours = np.array([result.person for result in results])
    assert (ours & theirs).sum() >= MIN_FOUND * theirs.sum()
    distances = [relative_distance(result.points, reference[index])
                 for index, result in enumerate(results) if ours[index] and theirs[index]]
    assert np.median(distances) <= MAX_DISTANCE
