"""Decoded clips in memory: the train/test arrays har-train fits and har-convert calibrates on.

Clips are kept as uint8 (N, T, S, S, 3) RGB — a quarter of float32's memory — and turned into
the model input x = pixel / 255 only when used (`ClipSet.inputs`). A keypoint sequence (`.npz`)
becomes a window of T frames at the sample rate, normalised by har_device.core.keypoints as the
device will: float32 (T, FEATURES), the model input as it is. A video that cannot be used
(unreadable, empty, too short, listed but missing) is skipped and counted; all of them are named
in ONE warning line on stderr, so a bad file never ends a long run.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm import tqdm

from har_convert.data.clips import TooShort, decode_clip
from har_convert.data.ucf import (
    DEFAULT_TEST_FRACTION,
    ClipRef,
    folder_kind,
    index_folder,
)
from har_device.core.errors import BadInput
from har_device.core.keypoints import FEATURES, load_sequence, normalise, sample_window
from har_device.core.video import UnreadableVideo, probe

NAMED_IN_WARNING = 8


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass(frozen=True)
class ClipSet:
    """x: uint8 (N, T, S, S, 3) RGB, or float32 (N, T, FEATURES) normalised keypoints; y: int64
    (N,) label indices; one path and group per clip."""

    x: np.ndarray
    y: np.ndarray
    paths: tuple[Path, ...]
    groups: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.y)

    def inputs(self) -> np.ndarray:
        """The model input: float32 RGB, x = pixel / 255 (keypoint features are already inputs)."""
        if self.x.dtype != np.uint8:
            return self.x
        return self.x.astype(np.float32) / 255.0

    def subset(self, indices: Sequence[int]) -> "ClipSet":
        indices = list(indices)
        return ClipSet(self.x[indices], self.y[indices], tuple(self.paths[i] for i in indices),
                       tuple(self.groups[i] for i in indices))


@dataclass(frozen=True)
class Dataset:
    """A loaded folder. sample_fps None means T frames spread uniformly over each clip."""

    labels: list[str]
    train: ClipSet
    test: ClipSet
    skipped: list[Skipped]
    frames: int
    size: int
    sample_fps: float | None
    split_source: str


def load_dataset(root: Path | str, frames: int, size: int, sample_fps: float | None = None,
                 split: int = 1, seed: int = 0, test_fraction: float = DEFAULT_TEST_FRACTION,
                 progress: bool = True, decoded_test: ClipSet | None = None) -> Dataset:
    """Index, split and decode a UCF-style folder; BadInput when a side ends up with no clip.

    decoded_test: the test split's clips when the caller has decoded them already (har-convert
    evaluates on them), so they are not decoded twice."""
    index = index_folder(root, split=split, seed=seed, test_fraction=test_fraction)
    missing = [Skipped(path, "listed in a split file but missing") for path in index.missing]
    train, train_skipped = load_clips(index.train, frames, size, sample_fps, progress, "train")
    test, test_skipped = ((decoded_test, []) if decoded_test is not None else
                          load_clips(index.test, frames, size, sample_fps, progress, "test"))
    skipped = missing + train_skipped + test_skipped
    warn_skipped(skipped, len(index.clips) + len(missing))
    for name, clips in (("train", train), ("test", test)):
        if not len(clips):
            raise BadInput(f"{index.root}: no usable {name} clip ({index.split_source})")
    return Dataset(index.labels, train, test, skipped, frames, size, sample_fps,
                   index.split_source)


def load_clips(refs: Sequence[ClipRef], frames: int, size: int, sample_fps: float | None,
               progress: bool = True, name: str = "clips") -> tuple[ClipSet, list[Skipped]]:
    """Decode `refs` into a ClipSet, skipping (not raising on) the videos that cannot be used.

    Decoded in one thread per core: OpenCV releases the GIL while it decodes and resizes
    (measured on the demo data, 2 cores: 1.8x faster than one thread).
    """
    kept: list[tuple[ClipRef, np.ndarray]] = []
    skipped: list[Skipped] = []
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        decoded = pool.map(lambda ref: _decode_or_skip(ref, frames, size, sample_fps), refs)
        for ref, result in tqdm(zip(refs, decoded), total=len(refs), desc=f"decoding {name}",
                                unit="clip", disable=not progress, leave=False):
            if isinstance(result, Skipped):
                skipped.append(result)
            else:
                kept.append((ref, result))
    if not kept:
        empty = (np.zeros((0, frames, FEATURES), np.float32) if folder_kind(refs) == "keypoints"
                 else np.zeros((0, frames, size, size, 3), np.uint8))
        return ClipSet(empty, np.zeros(0, np.int64), (), ()), skipped
    return ClipSet(np.stack([clip for _, clip in kept]),
                   np.array([ref.label for ref, _ in kept], np.int64),
                   tuple(ref.path for ref, _ in kept), tuple(ref.group for ref, _ in kept)), skipped


def _decode_or_skip(ref: ClipRef, frames: int, size: int | None,
                    sample_fps: float | None) -> np.ndarray | Skipped:
    try:
        if folder_kind([ref]) == "keypoints":
            return keypoint_window(ref.path, frames, sample_fps)
        return decode_clip(ref.path, frames, size, sample_fps)
    except TooShort as error:
        return Skipped(ref.path, f"too short ({error})")
    except (UnreadableVideo, BadInput):
        return Skipped(ref.path, "unreadable")


def keypoint_window(path: Path, frames: int, sample_fps: float | None) -> np.ndarray:
    """The model input of one keypoint sequence: T frames at `sample_fps` (default the file's
    rate), centred, normalised as on the device."""
    points, _, fps = load_sequence(path)
    rate = sample_fps or fps
    return normalise(sample_window(points, fps, frames, rate), rate)


def warn_skipped(skipped: Sequence[Skipped], total: int) -> None:
    """One stderr line naming the skipped videos (the first few, then how many more)."""
    if not skipped:
        return
    named = "; ".join(f"{item.path.name}: {item.reason}" for item in skipped[:NAMED_IN_WARNING])
    more = len(skipped) - NAMED_IN_WARNING
    print(f"warning: skipped {len(skipped)} of {total} videos ({named}"
          f"{f'; and {more} more' if more > 0 else ''})", file=sys.stderr)


def common_fps(refs: Sequence[ClipRef]) -> float | None:
    """The frame rate all readable clips share (within 0.01), or None when they differ or none is known."""
    rates = []
    for ref in refs:
        try:
            rates.append(load_sequence(ref.path)[2] if folder_kind([ref]) == "keypoints"
                         else probe(ref.path).fps)
        except (UnreadableVideo, BadInput):
            continue
    if not rates or min(rates) <= 0 or max(rates) - min(rates) > 0.01:
        return None
    return round(rates[0], 3)


def calibration_samples(root: Path | str, frames: int, size: int, n: int,
                        sample_fps: float | None = None) -> np.ndarray:
    """Up to `n` model inputs float32 (n, T, S, S, 3) for int8 calibration.

    Taken from the train split when the folder has split files (the test split stays unseen
    for evaluation), else from all its clips (a calibration-only folder such as
    calibration_data/), round-robin over the classes so every class is represented. Fewer
    than `n` come back when the folder has fewer usable clips.
    """
    if n < 1:
        raise BadInput(f"calibration sample count: expected >= 1, got {n}")
    index = index_folder(root)
    chosen = _round_robin(index.train if index.from_split_files else index.clips, n)
    clips, skipped = load_clips(chosen, frames, size, sample_fps, progress=False)
    warn_skipped(skipped, len(chosen))
    if not len(clips):
        raise BadInput(f"{index.root}: no usable calibration clip")
    return clips.inputs()


def _round_robin(refs: Sequence[ClipRef], n: int) -> list[ClipRef]:
    by_label: dict[int, list[ClipRef]] = {}
    for ref in refs:
        by_label.setdefault(ref.label, []).append(ref)
    queues = [by_label[label] for label in sorted(by_label)]
    chosen: list[ClipRef] = []
    for position in range(max(len(queue) for queue in queues)):
        chosen += [queue[position] for queue in queues if position < len(queue)]
    return chosen[:n]
