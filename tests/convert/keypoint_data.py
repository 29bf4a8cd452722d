"""A tiny folder of keypoint sequences (har-synth skeletons), for the host's keypoint tests."""
from __future__ import annotations

from pathlib import Path

from har_device.synth.dataset import make_spec
from har_device.synth.skeleton import write_skeletons

KEYPOINT_CLASSES = ("fall", "walk", "lying")
FRAMES, FPS = 8, 8.0


def write_skeleton_tree(root: Path, clips_per_class: int = 8, groups: int = 4) -> Path:
    """3 classes x `clips_per_class` sequences of 8 frames at 8 fps, groups 1.. held out first."""
    spec = make_spec(KEYPOINT_CLASSES, clips_per_class, FRAMES, FPS, None, 0, groups,
                     known=KEYPOINT_CLASSES)
    write_skeletons(root, spec, progress=False)
    return root
