"""Video files through OpenCV: probing, reading chosen frames, writing mp4.

Both sides use this one reader: the host's data loader (training, calibration, evaluation) and the
device's file source, so a clip is decoded the same way wherever it is read.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import cv2
import numpy as np

from har_device.core.errors import BadInput


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    fps: float
    frame_count: int
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0


class UnreadableVideo(BadInput):
    """A file OpenCV cannot open or decode."""


def _open(path: Path) -> cv2.VideoCapture:
    if not path.is_file():
        raise UnreadableVideo(f"{path}: no such video file")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise UnreadableVideo(f"{path}: OpenCV cannot open it as a video")
    return capture


def probe(path: Path | str) -> VideoInfo:
    """Container facts; frame counts from headers can lie, so readers stop at the real end."""
    path = Path(path)
    capture = _open(path)
    try:
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    finally:
        capture.release()
    return VideoInfo(path, float(fps), count, width, height)


def iter_frames(path: Path | str) -> Iterator[np.ndarray]:
    """Every decoded BGR frame of a file, in order."""
    capture = _open(Path(path))
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


def read_all(path: Path | str) -> np.ndarray:
    """All frames as one (N, H, W, 3) BGR array; an empty or undecodable file is UnreadableVideo."""
    frames = list(iter_frames(path))
    if not frames:
        raise UnreadableVideo(f"{path}: no decodable frame")
    return np.stack(frames)


def read_indices(path: Path | str, indices: Sequence[int]) -> np.ndarray:
    """The frames at `indices` (sorted or not, repeats allowed), decoding sequentially once.

    Seeking is unreliable across codecs, so the file is read front to back and only the wanted
    frames are kept. Raises UnreadableVideo when the file ends before the largest index.
    """
    wanted = sorted(set(indices))
    if not wanted:
        raise ValueError("no frame index asked for")
    kept: dict[int, np.ndarray] = {}
    position = -1
    for position, frame in enumerate(iter_frames(path)):
        if position in wanted:
            kept[position] = frame
        if position >= wanted[-1]:
            break
    if len(kept) < len(wanted):
        raise UnreadableVideo(f"{path}: ended after {position + 1} frames, needed frame {wanted[-1] + 1}")
    return np.stack([kept[i] for i in indices])


class VideoWriter:
    """BGR frames pushed one at a time into an mp4 (mp4v), renamed into place on `close`: the
    agent's preview is written as the frames go by, and a crash leaves no half file."""

    def __init__(self, path: Path | str, fps: float):
        self.path, self.fps, self.written = Path(path), fps, 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.mp4")
        self._writer: cv2.VideoWriter | None = None

    def write(self, frame: np.ndarray) -> None:
        if self._writer is None:
            height, width = frame.shape[:2]
            self._writer = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter_fourcc(*"mp4v"),
                                           self.fps, (width, height))
            if not self._writer.isOpened():
                raise OSError(f"{self.path}: OpenCV cannot write mp4 here")
        self._writer.write(np.ascontiguousarray(frame))
        self.written += 1

    def close(self, keep: bool = True) -> None:
        """Rename the finished file into place (`keep` and at least one frame), else remove it."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if keep and self.written:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)


def write_video(path: Path | str, frames: Iterable[np.ndarray], fps: float) -> int:
    """Write BGR frames as mp4 (mp4v) atomically; returns the number of frames written."""
    writer = VideoWriter(path, fps)
    try:
        for frame in frames:
            writer.write(frame)
    except BaseException:
        writer.close(keep=False)
        raise
    written = writer.written
    writer.close()
    if written == 0:
        raise ValueError(f"{path}: no frame to write")
    return written
