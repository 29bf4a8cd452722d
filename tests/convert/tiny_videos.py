"""Tiny UCF-style video folders written with the project's own writer, for the host tests.

The clips are cheap stand-ins for har-synth's figures — a square on a noisy background whose
motion is the class (`fall` drops, `walk` crosses, `idle` stays; the colour is the group) —
so the loader and trainer tests depend on nothing but OpenCV and run in seconds.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from har_device.core.video import write_video

TINY_CLASSES = ("fall", "walk", "idle")
TINY_GROUPS = 4
TINY_FRAMES = 8
TINY_FPS = 8.0
TINY_SIZE = 48
TEST_GROUPS = (1,)


def moving_square_clip(action: str, frames: int, size: int, seed: int) -> np.ndarray:
    """(frames, size, size, 3) BGR uint8: a square whose trajectory is `action`."""
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    colour = rng.integers(120, 256, 3)
    side = size // 4
    clip = np.repeat(background[None], frames, axis=0)
    for t in range(frames):
        progress = t / max(frames - 1, 1)
        x, y = {"fall": (size // 2 - side // 2, int(progress * (size - side))),
                "walk": (int(progress * (size - side)), size // 2 - side // 2),
                "idle": (size // 2 - side // 2, size // 2 - side // 2)}[action]
        clip[t, y:y + side, x:x + side] = colour
    return clip


def write_ucf_tree(root: Path, classes: Iterable[str] = TINY_CLASSES, groups: int = TINY_GROUPS,
                   clips_per_group: int = 1, frames: int = TINY_FRAMES, fps: float = TINY_FPS,
                   size: int = TINY_SIZE, split_files: bool = True) -> Path:
    """`root/<class>/v_<class>_gGG_cCC.mp4`; with split_files, groups TEST_GROUPS are the test split."""
    classes = list(classes)
    train_lines, test_lines = [], []
    for label, action in enumerate(classes, 1):
        for group in range(1, groups + 1):
            for clip in range(1, clips_per_group + 1):
                relative = f"{action}/v_{action}_g{group:02d}_c{clip:02d}.mp4"
                seed = 1000 * label + 10 * group + clip
                write_video(root / relative, moving_square_clip(action, frames, size, seed), fps)
                if group in TEST_GROUPS:
                    test_lines.append(relative)
                else:
                    train_lines.append(f"{relative} {label}")
    if split_files:
        (root / "classInd.txt").write_text(
            "".join(f"{i} {name}\n" for i, name in enumerate(classes, 1)))
        (root / "trainlist01.txt").write_text("\n".join(train_lines) + "\n")
        (root / "testlist01.txt").write_text("\n".join(test_lines) + "\n")
    return root
