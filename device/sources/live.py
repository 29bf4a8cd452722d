"""Live sources: a camera read by its own thread, so the model always gets the newest frame.

When the model is slower than the camera, stale frames are dropped and counted instead of queueing
up as lag. A source that stalls or fails is reopened with exponential backoff; one that cannot be
opened at start-up is a `BadInput` (exit 2). The camera itself is a `Grabber`: one per kind of
device (`opencv`, `picamera`).
"""
from __future__ import annotations

import threading
import time
from typing import Iterator, Protocol

import numpy as np

from har_device.core.errors import BadInput
from har_device.sources.frames import Frame


class Grabber(Protocol):
    """What a live source reads from: opened, read frame by frame, closed, reopened on failure."""

    def open(self) -> None: ...

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


class LiveSource:
    """A camera read by its own thread; the consumer always gets the newest frame.

    Frames the consumer never took are counted in `dropped`. No frame for `stall_timeout_s`, or a
    failed read, closes the grabber and reopens it with exponential backoff (counted in
    `reconnects`) while the consumer simply waits for the next frame.
    """

    def __init__(self, name: str, grabber: Grabber, stall_timeout_s: float = 5.0,
                 max_backoff_s: float = 30.0):
        self.name = name
        self.dropped = 0
        self.reconnects = 0
        self._grabber = grabber
        self._stall_timeout_s = stall_timeout_s
        self._max_backoff_s = max_backoff_s
        self._condition = threading.Condition()
        self._newest: Frame | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_mono = 0.0
        self._last_frame_mono = 0.0

    def start(self) -> "LiveSource":
        try:
            self._grabber.open()
        except BadInput:
            raise
        except Exception as error:  # noqa: BLE001 - drivers raise anything; all mean "no camera"
            raise BadInput(f"camera {self.name}: cannot be opened ({error})") from None
        self._started_mono = self._last_frame_mono = time.monotonic()
        self._thread = threading.Thread(target=self._capture_loop, name=f"source {self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def _capture_loop(self) -> None:
        index = 0
        while not self._stop.is_set():
            image = self._read_or_none()
            if image is None:
                if time.monotonic() - self._last_frame_mono >= self._stall_timeout_s:
                    self._reopen()
                continue
            now = time.monotonic()
            self._last_frame_mono = now
            frame = Frame(index, image, now - self._started_mono, now, time.time())
            index += 1
            with self._condition:
                if self._newest is not None:
                    self.dropped += 1
                self._newest = frame
                self._condition.notify()

    def _read_or_none(self) -> np.ndarray | None:
        try:
            image = self._grabber.read()
        except Exception:  # noqa: BLE001 - any driver failure is a lost camera: reopen it
            image = None
        if image is None:
            self._stop.wait(0.01)
        return image

    def _reopen(self) -> None:
        backoff = 0.5
        self._grabber.close()
        while not self._stop.is_set():
            self.reconnects += 1
            try:
                self._grabber.open()
                self._last_frame_mono = time.monotonic()
                return
            except Exception:  # noqa: BLE001 - keep trying: the camera may come back
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        while not (self._stop.is_set() or stop.is_set()):
            with self._condition:
                self._condition.wait_for(lambda: self._newest is not None or stop.is_set()
                                         or self._stop.is_set(), timeout=0.25)
                frame, self._newest = self._newest, None
            if frame is not None:
                yield frame

    def close(self) -> None:
        self._stop.set()
        with self._condition:
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._grabber.close()
