"""`har-pose extract`: a UCF-style folder of videos -> the same folder of keypoint sequences.

Each video goes through the pose stage from a fresh start (tracking never carries over from one
clip to the next) and becomes one `.npz` sequence (`har_device.core.keypoints`) at the video's own
frame rate, under the same class folder and name. So a user with real footage trains on the
keypoints the device will really see, and the synthetic noise model can be checked against what
the stage produces on renders.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import numpy as np

from har_device.core.atomic import atomic_path
from har_device.core.errors import BadInput
from har_device.core.keypoints import NO_PERSON, save_sequence
from har_device.core.video import iter_frames, probe
from har_device.pose.tracker import PoseStage

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov"})
LABELS_FILE = "classInd.txt"


def videos(root: Path) -> list[Path]:
    """The class folders' videos, sorted; `BadInput` when there are none."""
    if not root.is_dir():
        raise BadInput(f"{root}: not a folder")
    found = sorted(path for path in root.glob("*/*") if path.suffix.lower() in VIDEO_SUFFIXES)
    if not found:
        raise BadInput(f"{root}: no videos under <class>/ (expected a UCF101-style folder)")
    return found


def sequence_of(stage: PoseStage, video: Path) -> tuple[np.ndarray, tuple[int, int], float]:
    """(keypoints (T, 33, 5), (height, width), fps) of one video; NaN where nobody was found."""
    info = probe(video)
    stage.reset()
    points = [result.points if result.person else NO_PERSON
              for result in _results(stage, iter_frames(video), info.fps)]
    return np.stack(points), (info.height, info.width), info.fps


def _results(stage: PoseStage, frames: Iterator[np.ndarray], fps: float) -> Iterator:
    for index, frame in enumerate(frames):
        yield stage.process(frame, index / fps)


def extract(stage: PoseStage, root: Path, out: Path) -> Iterator[tuple[Path, float]]:
    """Write OUT/<class>/<name>.npz for every video; yields (sequence, share of frames with a
    person) as each is written. classInd.txt comes along, so the labels keep their order."""
    sources = videos(root)
    if (root / LABELS_FILE).is_file():
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / LABELS_FILE, out / LABELS_FILE)
    for video in sources:
        target = out / video.parent.name / f"{video.stem}.npz"
        target.parent.mkdir(parents=True, exist_ok=True)
        keypoints, size, fps = sequence_of(stage, video)
        with atomic_path(target) as tmp:
            save_sequence(tmp, keypoints, size, fps)
        yield target, float(np.mean(~np.isnan(keypoints[:, 0, 0])))
