"""The runners: how frames become class scores in each of the bundle's modes.

clip       a window of the last T frames through the whole model, every `stride` frames.
streaming  each frame through the per-frame model once; its feature vector goes into a ring
           buffer and the temporal head runs over the last T. The same answer as `clip` (the
           whole model is exactly frame network + head) for about 1/T of the compute.
frame      one frame, one inference; the clip score is the mean over the last T frames, which is
           how the frame classifiers of the zoo are evaluated.
pose       the pose stage's keypoints, T of them through a head (`agent.pose_runner`).

A runner takes one preprocessed frame (already in its input tensor's dtype, see
`preprocess.InputMapper`) and returns `Scores`: the time it spent in the models for this frame,
and class probabilities when this frame completed a decision.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from har_device.core.litert import TensorInfo, TFLiteModel

if TYPE_CHECKING:
    from har_device.pose.tracker import PoseResult


@dataclass(frozen=True)
class Scores:
    """`pose`: the pose stage's result for this frame, and `down` whether the window's last person
    is down on the floor at a decision (`har_device.pose.posture`), in mode `pose` only."""

    probabilities: np.ndarray | None
    inference_ms: float
    pose: PoseResult | None = None
    down: bool | None = None


class Runner(Protocol):
    frames: int

    @property
    def input(self) -> TensorInfo: ...

    def push(self, frame_input: np.ndarray) -> Scores: ...


class Cadence:
    """Counts frames so that a decision comes every `stride` frames once T inputs are buffered."""

    def __init__(self, frames: int, stride: int):
        self.frames, self.stride = frames, stride
        self._since_last = 0

    def due(self, buffered: int) -> bool:
        self._since_last += 1
        if buffered < self.frames or self._since_last < self.stride:
            return False
        self._since_last = 0
        return True


class _Window:
    """The last T inputs as one (1, T, ...) array that is the model's input tensor itself: shifted
    by one row per push, so a decision costs no stacking."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype):
        self.array = np.zeros(shape, dtype)
        self.filled = 0

    def push(self, row: np.ndarray) -> None:
        rows = self.array[0]
        rows[:-1] = rows[1:]
        rows[-1] = row
        self.filled = min(self.filled + 1, len(rows))


def timed(model: TFLiteModel, tensor: np.ndarray) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    output = model.invoke(tensor)
    return output, (time.perf_counter() - started) * 1000.0


class ClipRunner:
    """The whole model over a sliding window of T frames."""

    def __init__(self, model: TFLiteModel, frames: int, stride: int = 1):
        self.model, self.frames = model, frames
        self._window = _Window((1, frames, *model.input.shape[2:]), model.input.dtype)
        self._cadence = Cadence(frames, stride)

    @property
    def input(self) -> TensorInfo:
        return self.model.input

    def push(self, frame_input: np.ndarray) -> Scores:
        self._window.push(frame_input)
        if not self._cadence.due(self._window.filled):
            return Scores(None, 0.0)
        output, elapsed = timed(self.model, self._window.array)
        return Scores(self.model.output.dequantize(output)[0], elapsed)


class StreamingRunner:
    """Per-frame features once each, in a sliding window; the head over the last T of them.

    The frame model's int8 output and the head's int8 input have their own quantizations; the
    features are requantized once, when they enter the buffer, through a 256-entry table (an
    int8 value can only map to 256 results).
    """

    def __init__(self, frame_model: TFLiteModel, head: TFLiteModel, frames: int, stride: int = 1):
        self.frame_model, self.head, self.frames = frame_model, head, frames
        self._window = _Window(head.input.shape, head.input.dtype)
        self._cadence = Cadence(frames, stride)
        self._requantize = _requantization_table(frame_model.output, head.input)

    @property
    def input(self) -> TensorInfo:
        return self.frame_model.input

    def push(self, frame_input: np.ndarray) -> Scores:
        raw, frame_ms = timed(self.frame_model, frame_input[np.newaxis])
        self._window.push(self._to_head_input(raw[0]))
        if not self._cadence.due(self._window.filled):
            return Scores(None, frame_ms)
        output, head_ms = timed(self.head, self._window.array)
        return Scores(self.head.output.dequantize(output)[0], frame_ms + head_ms)

    def _to_head_input(self, raw: np.ndarray) -> np.ndarray:
        if self._requantize is not None:
            return self._requantize[raw.view(np.uint8)]
        source, target = self.frame_model.output, self.head.input
        real = source.dequantize(raw)
        return target.quantize(real) if target.quantized else real.astype(target.dtype)


def _requantization_table(source: TensorInfo, target: TensorInfo) -> np.ndarray | None:
    """target value for each of the 256 source values, indexed by the source's byte; None unless
    both are 8-bit quantized. An identity table where the two quantizations agree."""
    if not (source.quantized and target.quantized and np.dtype(source.dtype).itemsize == 1):
        return None
    values = np.arange(256, dtype=np.uint8).view(source.dtype)
    return target.quantize(source.dequantize(values))


class FrameRunner:
    """A single-frame classifier; decisions are the mean of its last T frame scores."""

    def __init__(self, model: TFLiteModel, frames: int = 1, stride: int = 1):
        self.model, self.frames = model, frames
        self._recent: deque[np.ndarray] = deque(maxlen=frames)
        self._cadence = Cadence(frames, stride)

    @property
    def input(self) -> TensorInfo:
        return self.model.input

    def push(self, frame_input: np.ndarray) -> Scores:
        output, elapsed = timed(self.model, frame_input[np.newaxis])
        self._recent.append(self.model.output.dequantize(output)[0])
        if not self._cadence.due(len(self._recent)):
            return Scores(None, elapsed)
        return Scores(np.mean(self._recent, axis=0), elapsed)
