"""Mode `pose`: each frame through the pose stage, the last T keypoint frames through the head.

The pose stage (BlazePose in LiteRT, tracked) turns the frame into 33 landmarks; the ring holds the
last T of them at the bundle's sample rate (the loop has already subsampled the camera to it), a
frame without a person as NaN. When a decision is due and a person is in view, the window is
normalised exactly as the head was trained (`har_device.core.keypoints.normalise`) and the int8
head runs; the window also says whether the person is down (`har_device.pose.posture`), which a
fall needs to start. No person in view: no head run, and `Scores.person` says so — except for
GRACE_S after the stage lost the person: the stage loses people most often as they fall (a body on
the floor is what BlazePose knows least), and the window still holds the topple, so the head keeps
judging it (the missing frames are held at the last seen pose with visibility 0, as in training).
A person smaller than `min_person_height` of the frame is out of BlazePose's range and counts as no
person (`har_device.core.pose_models.MIN_PERSON_HEIGHT`).
"""
from __future__ import annotations

from collections import deque
from dataclasses import replace

import numpy as np

from har_device.agent.runners import Cadence, Scores, timed
from har_device.core.keypoints import NO_PERSON, normalise
from har_device.core.litert import TensorInfo, TFLiteModel
from har_device.core.pose_models import MIN_PERSON_HEIGHT
from har_device.pose.posture import is_down
from har_device.pose.tracker import PoseResult, PoseStage

GRACE_S = 0.5
# BlazePose's region is 1.5 times a standing person's height (median over a walking har-synth figure,
# 10-90 % 1.48-1.88), and it keeps its size when they lie down: the person's height from the region.
REGION_PER_HEIGHT = 1.5


class PoseRunner:
    def __init__(self, stage: PoseStage, head: TFLiteModel, frames: int, fps: float,
                 stride: int = 1, min_person_height: float = MIN_PERSON_HEIGHT):
        self.stage, self.head, self.frames, self.fps = stage, head, frames, fps
        self.min_person_height = min_person_height
        self._points: deque[np.ndarray] = deque(maxlen=frames)
        self._cadence = Cadence(frames, stride)
        self._pushed = 0
        self._grace = max(0, round(GRACE_S * fps))
        self._missing = self._grace + 1

    @property
    def input(self) -> TensorInfo:
        return self.head.input

    def push(self, frame_input: np.ndarray) -> Scores:
        """`frame_input` is the camera's BGR frame itself (the stage does its own cropping)."""
        pose = self._in_range(self.stage.process(frame_input, self._pushed / self.fps),
                              min(frame_input.shape[:2]))
        self._pushed += 1
        self._points.append(pose.points if pose.person else NO_PERSON)
        self._missing = 0 if pose.person else self._missing + 1
        if not (self._cadence.due(len(self._points)) and self._missing <= self._grace):
            return Scores(None, 0.0, pose)
        window = np.stack(self._points)
        features = normalise(window, self.fps)[np.newaxis]
        tensor = (self.head.input.quantize(features) if self.head.input.quantized
                  else features.astype(self.head.input.dtype))
        output, elapsed = timed(self.head, tensor)
        return Scores(self.head.output.dequantize(output)[0], elapsed, pose, is_down(window))

    def _in_range(self, pose: PoseResult, frame_side: int) -> PoseResult:
        """The stage's answer, without its person when they are too small to be judged."""
        if pose.region is None or pose.region.width >= (
                self.min_person_height * REGION_PER_HEIGHT * frame_side):
            return pose
        return replace(pose, points=None)
