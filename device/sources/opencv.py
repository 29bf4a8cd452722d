"""Cameras and streams that OpenCV opens: V4L2 devices, RTSP/HTTP streams, GStreamer pipelines and
the Jetson CSI camera (through its nvarguscamerasrc pipeline)."""
from __future__ import annotations

import cv2
import numpy as np


class OpenCVGrabber:
    """A V4L2 camera, an RTSP/HTTP stream or a GStreamer pipeline through cv2.VideoCapture."""

    def __init__(self, target: int | str, backend: int = cv2.CAP_ANY):
        self.target = target
        self.backend = backend
        self._capture: cv2.VideoCapture | None = None

    def open(self) -> None:
        capture = cv2.VideoCapture(self.target, self.backend)
        if not capture.isOpened():
            capture.release()
            raise OSError(f"cannot open {self.target!r}")
        self._capture = capture

    def read(self) -> np.ndarray | None:
        if self._capture is None:
            return None
        ok, image = self._capture.read()
        return image if ok else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def jetson_csi_pipeline(sensor_id: int = 0, width: int = 1280, height: int = 720, fps: int = 30,
                        flip: int = 0) -> str:
    """The usual nvarguscamerasrc pipeline for a Jetson CSI camera, ending in BGR for OpenCV."""
    return (f"nvarguscamerasrc sensor-id={sensor_id} ! "
            f"video/x-raw(memory:NVMM), width={width}, height={height}, framerate={fps}/1 ! "
            f"nvvidconv flip-method={flip} ! video/x-raw, format=BGRx ! "
            "videoconvert ! video/x-raw, format=BGR ! appsink drop=true max-buffers=1")
