"""The Raspberry Pi camera through picamera2 (from apt on Raspberry Pi OS; never a pip dependency)."""
from __future__ import annotations

import numpy as np

from har_device.core.errors import BadInput


class Picamera2Grabber:
    """The Raspberry Pi camera through picamera2, imported only when this source is asked for.

    libcamera's "RGB888" format is stored B, G, R in memory, which is OpenCV's order already.
    """

    def __init__(self, width: int = 640, height: int = 480):
        self.size = (width, height)
        self._camera = None

    def open(self) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise BadInput("picamera2: the module is not installed (on Raspberry Pi OS: "
                           "sudo apt install python3-picamera2, and a venv with "
                           "--system-site-packages)") from None
        camera = Picamera2()
        camera.configure(camera.create_video_configuration(
            main={"size": self.size, "format": "RGB888"}))
        camera.start()
        self._camera = camera

    def read(self) -> np.ndarray | None:
        return None if self._camera is None else self._camera.capture_array("main")

    def close(self) -> None:
        if self._camera is not None:
            self._camera.stop()
            self._camera.close()
            self._camera = None
