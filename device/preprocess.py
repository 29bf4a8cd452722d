"""The one frame-to-model-input mapping that training, conversion and the agent all share.

A frame is squashed (not cropped) to the model's height and width so the whole field of view stays
visible — a person falling at the edge of the picture must still be in the input — and converted
from OpenCV's BGR to the model's colour order.
"""
from __future__ import annotations

import cv2
import numpy as np


def resize_frame(frame_bgr: np.ndarray, height: int, width: int, colour: str = "RGB") -> np.ndarray:
    """BGR uint8 frame of any size → uint8 H×W×3 in `colour` order ("RGB" or "BGR")."""
    src_h, src_w = frame_bgr.shape[:2]
    if (src_h, src_w) != (height, width):
        shrinking = src_h >= height and src_w >= width
        frame_bgr = cv2.resize(frame_bgr, (width, height),
                               interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    if colour == "RGB":
        return cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
    return frame_bgr
