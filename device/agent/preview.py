"""`--preview out.mp4`: what the agent saw and decided, frame by frame: the skeleton and region of
the pose stage (mode `pose`) and the top label with its score, so a user can look rather than read
logs when checking where a camera sees people well."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from har_device.core.video import VideoWriter
from har_device.pose.draw import draw_pose

if TYPE_CHECKING:
    from har_device.pose.tracker import PoseResult

TEXT = (255, 255, 255)
ALERT = (0, 0, 255)


class Preview:
    def __init__(self, path: Path, fps: float):
        self.video = VideoWriter(path, fps)

    def write(self, image: np.ndarray, pose: PoseResult | None, label: str | None,
              score: float) -> None:
        drawn = draw_pose(image, pose.points, pose.region) if pose is not None else image.copy()
        caption = "no person" if pose is not None and not pose.person else (
            f"{label} {score:.2f}" if label else "")
        scale = max(0.4, min(drawn.shape[:2]) / 480)
        cv2.putText(drawn, caption, (8, int(24 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 0.7 * scale,
                    ALERT if label == "fall" else TEXT, max(1, round(2 * scale)), cv2.LINE_AA)
        self.video.write(drawn)

    def close(self) -> None:
        self.video.close()
