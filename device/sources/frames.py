"""What every source yields (`Frame`) and the replayed kind of source (files, rendered scenes).

Files and synthetic scenes are replayed frame by frame: nothing is dropped, and the run ends at the
end of the stream unless it loops.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One captured frame and when it was captured.

    `stream_s` is the frame's time in the stream (a file's own clock, or seconds since a live source
    started): subsampling and event times use it. `captured_mono` is the monotonic clock at capture,
    for latency; `captured_wall` is the wall clock, for event timestamps.
    """

    index: int
    image: np.ndarray
    stream_s: float
    captured_mono: float
    captured_wall: float


class Source(Protocol):
    name: str
    dropped: int
    reconnects: int

    def frames(self, stop: threading.Event) -> Iterator[Frame]: ...

    def close(self) -> None: ...


def _stamp(index: int, image: np.ndarray, stream_s: float) -> Frame:
    return Frame(index, image, stream_s, time.monotonic(), time.time())


class ReplaySource:
    """A finite, deterministic stream (a video file or a synthetic scene): every frame, in order."""

    def __init__(self, name: str, open_frames: Callable[[], Iterator[np.ndarray]], fps: float,
                 loop: bool = False):
        self.name = name
        self.fps = fps
        self.loop = loop
        self.dropped = 0
        self.reconnects = 0
        self._open_frames = open_frames

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        index = 0
        while not stop.is_set():
            for image in self._open_frames():
                if stop.is_set():
                    return
                yield _stamp(index, image, index / self.fps)
                index += 1
            if not self.loop or index == 0:
                return

    def close(self) -> None:
        """Nothing is held open between frames."""
