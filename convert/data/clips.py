"""Which T frames of a video make one model input, and decoding them.

Two samplings:
- uniform (`sample_fps=None`): T frames spread evenly over the whole clip, each taken at the
  centre of its 1/T of the clip — for clips that are one action from start to end;
- at a frame rate (`sample_fps=R`): T frames R per second, the window centred in the clip — the
  same timing the agent uses on a live camera (it subsamples the camera to the bundle's
  `sample_fps`), so training and deployment see the same motion speed.

A clip a little shorter than needed is padded by repeating its last frame (at most
`PAD_TOLERANCE` of T); a shorter one is `TooShort`. Frames go through
`har_device.core.preprocess.resize_frame` (squash, RGB), the mapping the agent uses too.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from har_device.core.errors import BadInput
from har_device.core.preprocess import resize_frame
from har_device.core.video import UnreadableVideo, iter_frames, probe

PAD_TOLERANCE = 0.25


class TooShort(BadInput):
    """The clip has too few frames for T frames at the asked rate, even with padding."""


def uniform_indices(available: int, frames: int) -> list[int]:
    """The centre frame of each of `frames` equal parts of the clip (all frames when shorter)."""
    if available < frames:
        return list(range(available))
    return [math.floor((i + 0.5) * available / frames) for i in range(frames)]


def rate_indices(available: int, clip_fps: float, sample_fps: float, frames: int) -> list[int]:
    """`frames` indices `sample_fps` apart in time, centred in the clip; may run past its end."""
    step = clip_fps / sample_fps
    start = max(0.0, (available - frames * step) / 2)
    return [math.floor(start + i * step + 1e-9) for i in range(frames)]


def pad_indices(indices: list[int], available: int, frames: int,
                tolerance: float = PAD_TOLERANCE) -> list[int]:
    """Complete `indices` to `frames` valid ones by repeating the last frame, within `tolerance`."""
    valid = [i for i in indices if i < available]
    missing = frames - len(valid)
    if missing > tolerance * frames or not valid:
        raise TooShort(f"has {available} frames, needs {frames - int(tolerance * frames)}"
                       f" or more for {frames} samples")
    return valid + [available - 1] * missing


def sample_indices(available: int, frames: int, clip_fps: float,
                   sample_fps: float | None) -> list[int]:
    """The padded frame indices for one clip under either sampling."""
    if sample_fps is None:
        chosen = uniform_indices(available, frames)
    else:
        chosen = rate_indices(available, clip_fps, sample_fps, frames)
    return pad_indices(chosen, available, frames)


def decode_clip(path: Path, frames: int, size: int, sample_fps: float | None = None) -> np.ndarray:
    """One clip as uint8 (T, size, size, 3) RGB.

    Every frame is decoded (container frame counts can lie) and squashed to `size` as it
    comes, so a long clip costs little memory. Raises UnreadableVideo or TooShort.
    """
    clip_fps = probe(path).fps
    if sample_fps is not None and clip_fps <= 0:
        raise UnreadableVideo(f"{path}: no frame rate in the container, cannot sample at "
                              f"{sample_fps:g} fps")
    decoded = [resize_frame(frame, size, size, "RGB") for frame in iter_frames(path)]
    if not decoded:
        raise UnreadableVideo(f"{path}: no decodable frame")
    return np.stack([decoded[i] for i in sample_indices(len(decoded), frames, clip_fps,
                                                        sample_fps)])
