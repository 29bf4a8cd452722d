"""BlazePose's full landmark model on a region: warp to 256×256, run, decode 39 points (33 body
landmarks and 2 auxiliary ones that place the next region), refine x/y from the heatmap as
MediaPipe does, and map everything back to frame pixels."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from har_device.pose.region import Region
from har_device.pose.runtime import MultiOutputModel

INPUT_SIZE = 256
POINTS = 39
BODY = 33
AUX = slice(33, 35)
REFINE_KERNEL = 7
REFINE_MIN_CONFIDENCE = 0.5
OUTPUTS = (0, 1, 3)  # landmarks, pose presence, heatmap (segmentation and world landmarks unused)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class Landmarks:
    """Body landmarks (33, 5) as x, y (frame pixels), z (pixels, same scale as x), visibility,
    presence; the auxiliary hip-centre and scale points (2, 2); the pose-presence score."""

    points: np.ndarray
    aux: np.ndarray
    presence: float
    region: Region


def refine_from_heatmap(xy: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """MediaPipe's heatmap refinement: the sigmoid-weighted mean position in a 7×7 window around
    each point, kept only where the window's best confidence reaches 0.5."""
    size, _, channels = heatmap.shape
    half = (REFINE_KERNEL - 1) // 2
    centre = np.trunc(xy * size).astype(int)
    inside = np.all((centre >= 0) & (centre < size), axis=1)
    offsets = np.arange(-half, half + 1)
    rows = centre[:, 1, None] + offsets
    cols = centre[:, 0, None] + offsets
    valid = ((rows >= 0) & (rows < size))[:, :, None] & ((cols >= 0) & (cols < size))[:, None, :]
    window = heatmap[np.clip(rows, 0, size - 1)[:, :, None], np.clip(cols, 0, size - 1)[:, None, :],
                     np.arange(channels)[:, None, None]]
    confidence = np.where(valid, sigmoid(window), 0.0)
    total = confidence.sum(axis=(1, 2))
    refined = np.stack([(confidence * cols[:, None, :]).sum(axis=(1, 2)),
                        (confidence * rows[:, :, None]).sum(axis=(1, 2))], axis=1)
    use = inside & (confidence.max(axis=(1, 2)) >= REFINE_MIN_CONFIDENCE) & (total > 0)
    out = xy.copy()
    out[use] = refined[use] / total[use, None] / size
    return out


class LandmarkModel:
    """The landmark model; `run` returns the landmarks of one region of an RGB frame."""

    def __init__(self, path: Path, threads: int | None = None):
        self.model = MultiOutputModel(path, threads)
        self.invoke_ms = 0.0

    def run(self, rgb: np.ndarray, region: Region) -> Landmarks:
        crop = region.crop(rgb, INPUT_SIZE, cv2.BORDER_REPLICATE)
        tensor = (crop.astype(np.float32) * (1.0 / 255.0))[None]
        start = time.perf_counter()
        raw, presence, heatmap = self.model.invoke(tensor, OUTPUTS)
        self.invoke_ms = (time.perf_counter() - start) * 1000
        return decode(raw, float(presence.reshape(-1)[0]), heatmap[0], region)


def decode(raw: np.ndarray, presence: float, heatmap: np.ndarray, region: Region) -> Landmarks:
    """Model outputs → frame-pixel landmarks (visibility and presence through a sigmoid)."""
    values = raw.reshape(POINTS, 5).astype(np.float64)
    xy = refine_from_heatmap(values[:, :2] / INPUT_SIZE, heatmap)
    frame_xy = region.to_frame(xy)
    points = np.empty((POINTS, 5))
    points[:, :2] = frame_xy
    points[:, 2] = values[:, 2] / INPUT_SIZE * region.width
    points[:, 3:] = sigmoid(values[:, 3:])
    return Landmarks(points[:BODY], frame_xy[AUX], presence, region)
