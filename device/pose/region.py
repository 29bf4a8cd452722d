"""The rotated rectangle a model looks at, and the maps between it and the frame.

MediaPipe's rule, shared by detections and landmarks: a centre point and a scale point give a square
of twice their distance, scaled by 1.25, turned so the centre→scale vector points up. The crop is
warped corner to corner onto the tensor (as MediaPipe's OpenCV converter does), so the same affine
map takes a model's normalised output back to frame pixels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

ROI_SCALE = 1.25


@dataclass(frozen=True)
class Region:
    """Centre (cx, cy), size (width, height) and rotation (radians, clockwise on screen) in pixels."""

    cx: float
    cy: float
    width: float
    height: float
    rotation: float = 0.0

    def tensor_to_frame(self, out: int) -> np.ndarray:
        """2×3 affine: tensor pixel (i, j) of an out×out crop → frame pixel."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        w, h = self.width, self.height
        return np.array([[c * w / out, -s * h / out, self.cx - 0.5 * (c * w - s * h)],
                         [s * w / out, c * h / out, self.cy - 0.5 * (s * w + c * h)]], np.float64)

    def crop(self, image: np.ndarray, out: int, border: int) -> np.ndarray:
        """The region of `image` as an out×out image (bilinear, `border` outside the frame)."""
        return cv2.warpAffine(image, self.tensor_to_frame(out), (out, out),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border)

    def to_frame(self, normalised: np.ndarray) -> np.ndarray:
        """(..., 2) points in [0, 1] crop coordinates → frame pixels."""
        matrix = self.tensor_to_frame(1)
        return normalised @ matrix[:, :2].T + matrix[:, 2]

    def corners(self) -> np.ndarray:
        """(4, 2) frame pixels of the region's corners, for drawing."""
        return self.to_frame(np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float64))


def letterbox(height: int, width: int, rotation: float = 0.0) -> Region:
    """The whole frame padded to a square (keep aspect ratio), optionally turned by `rotation`."""
    side = float(max(height, width))
    return Region(width / 2, height / 2, side, side, rotation)


def normalise_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def from_keypoints(centre: np.ndarray, scale_point: np.ndarray, scale: float = ROI_SCALE) -> Region:
    """MediaPipe's alignment-points rule: square side 2·|scale−centre|·scale, centre→scale up."""
    dx, dy = float(scale_point[0] - centre[0]), float(scale_point[1] - centre[1])
    side = 2.0 * math.hypot(dx, dy) * scale
    rotation = normalise_radians(math.pi / 2 - math.atan2(-dy, dx))
    return Region(float(centre[0]), float(centre[1]), side, side, rotation)
