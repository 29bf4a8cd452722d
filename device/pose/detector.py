"""BlazePose's person detector: a letterboxed 224×224 view of the frame (optionally turned), SSD
decoding against MediaPipe's anchors, sigmoid scores and weighted non-maximum suppression.

Each detection carries four keypoints in frame pixels: the hip centre, the full-body scale point,
the shoulder centre and the upper-body scale point; the first two place the landmark region.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from har_device.pose.anchors import INPUT_SIZE, ssd_anchor_centres
from har_device.pose.region import Region, from_keypoints, letterbox
from har_device.pose.runtime import MultiOutputModel

MIN_SCORE = 0.5
NMS_IOU = 0.3
SCORE_CLIP = 100.0
KEYPOINTS = 4


@dataclass(frozen=True)
class Detection:
    score: float
    keypoints: np.ndarray  # (4, 2) frame pixels

    def region(self) -> Region:
        return from_keypoints(self.keypoints[0], self.keypoints[1])


def decode(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray,
           min_score: float = MIN_SCORE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model outputs → (scores, boxes (K, 4) as x0, y0, x1, y1, keypoints (K, 4, 2)), all in [0, 1]
    of the 224 tensor, for the anchors scoring at least `min_score`."""
    logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= min_score)
    raw = raw_boxes.reshape(-1, 4 + 2 * KEYPOINTS)[keep] / INPUT_SIZE
    centres = anchors[keep]
    middle = raw[:, :2] + centres
    half = raw[:, 2:4] / 2
    boxes = np.concatenate([middle - half, middle + half], axis=1)
    keypoints = raw[:, 4:].reshape(-1, KEYPOINTS, 2) + centres[:, None, :]
    return scores[keep], boxes, keypoints


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.prod(np.clip(boxes[..., 2:] - boxes[..., :2], 0, None), axis=-1)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    low = np.maximum(box[:2], others[:, :2])
    high = np.minimum(box[2:], others[:, 2:])
    inter = np.prod(np.clip(high - low, 0, None), axis=1)
    union = _area(box) + _area(others) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(scores: np.ndarray, boxes: np.ndarray, keypoints: np.ndarray,
                 threshold: float = NMS_IOU) -> list[tuple[float, np.ndarray]]:
    """MediaPipe's weighted NMS: each cluster (IoU above `threshold` with its best member) becomes one
    detection with the best score and the score-weighted mean of its members' keypoints."""
    order = np.argsort(-scores, kind="stable")
    out = []
    while order.size:
        overlap = _iou(boxes[order[0]], boxes[order]) > threshold
        overlap[0] = True
        members = order[overlap]
        weights = scores[members][:, None, None]
        out.append((float(scores[order[0]]), (keypoints[members] * weights).sum(0) / weights.sum()))
        order = order[~overlap]
    return out


class PoseDetector:
    """The detector model with its anchors; `detect` returns detections best first."""

    def __init__(self, path: Path, threads: int | None = None):
        self.model = MultiOutputModel(path, threads)
        self.anchors = ssd_anchor_centres()
        self.invoke_ms = 0.0

    def detect(self, rgb: np.ndarray, rotation: float = 0.0) -> list[Detection]:
        """Detections on the frame seen turned by `rotation` radians, mapped back to frame pixels."""
        view = letterbox(*rgb.shape[:2], rotation)
        crop = view.crop(rgb, INPUT_SIZE, cv2.BORDER_CONSTANT)
        tensor = (crop.astype(np.float32) * (2.0 / 255.0) - 1.0)[None]
        start = time.perf_counter()
        raw_boxes, raw_scores = self.model.invoke(tensor, (0, 1))
        self.invoke_ms = (time.perf_counter() - start) * 1000
        scores, boxes, keypoints = decode(raw_boxes, raw_scores, self.anchors)
        return [Detection(score, view.to_frame(points))
                for score, points in weighted_nms(scores, boxes, keypoints)]
