"""The preview: BlazePose's skeleton and the tracked region drawn on a frame."""
from __future__ import annotations

import cv2
import numpy as np

from har_device.pose.region import Region

# BlazePose's 33-landmark topology: face, arms and hands, torso, legs and feet.
CONNECTIONS = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10),
    (11, 12), (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19),
    (12, 14), (14, 16), (16, 18), (16, 20), (16, 22), (18, 20),
    (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
    (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
)
MIN_VISIBILITY = 0.5
BONE = (0, 220, 0)
JOINT = (0, 0, 255)
REGION = (255, 160, 0)


def draw_pose(bgr: np.ndarray, points: np.ndarray | None, region: Region | None) -> np.ndarray:
    """A copy of the frame with the region's outline and the visible bones and joints."""
    out = bgr.copy()
    thickness = max(1, round(min(out.shape[:2]) / 240))
    if region is not None:
        cv2.polylines(out, [np.round(region.corners()).astype(np.int32)], True, REGION, thickness)
    if points is None:
        return out
    xy = np.round(points[:, :2]).astype(int)
    seen = points[:, 3] >= MIN_VISIBILITY
    for a, b in CONNECTIONS:
        if seen[a] and seen[b]:
            cv2.line(out, tuple(xy[a]), tuple(xy[b]), BONE, thickness, cv2.LINE_AA)
    for point in xy[seen]:
        cv2.circle(out, tuple(point), thickness + 1, JOINT, -1, cv2.LINE_AA)
    return out
