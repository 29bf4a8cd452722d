"""The pose stage: detector when needed, landmarks every frame, the next region from this frame's
landmarks, smoothing.

Tracking follows MediaPipe's video mode (the region of frame n+1 comes from frame n's auxiliary
landmarks, so it inherits their rotation), with two additions for a person who falls: when the
landmarks lose the person, the detector is tried on the same frame upright and then turned by ±90°
(the turn nearest the last tracked rotation first), because the detector keys on an upright face
and misses a body lying on the floor; and the detector also runs every `redetect_s` seconds so a
region that drifted onto the background is replaced.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from har_device.pose.detector import PoseDetector
from har_device.pose.landmarks import LandmarkModel, Landmarks
from har_device.pose.models import DETECTOR, LANDMARKS, verified_path
from har_device.pose.region import Region, from_keypoints
from har_device.pose.smoothing import LandmarkSmoother

MIN_PRESENCE = 0.5
REDETECT_S = 10.0
QUARTER = math.pi / 2


@dataclass(frozen=True)
class PoseResult:
    """One frame's answer. `points` is (33, 5) x, y, z, visibility, presence in frame pixels, or None
    when no person was found; the times split the frame's milliseconds between the two models'
    invokes and the whole stage."""

    points: np.ndarray | None
    presence: float
    region: Region | None
    detector_runs: int
    detector_ms: float
    landmark_ms: float
    total_ms: float

    @property
    def person(self) -> bool:
        return self.points is not None


@dataclass
class _Clock:
    detector_runs: int = 0
    detector_ms: float = 0.0
    landmark_ms: float = 0.0


@dataclass
class PoseStage:
    """Stateful per video: feed frames in order with their time in seconds."""

    detector: PoseDetector
    landmarks: LandmarkModel
    smooth: bool = True
    rotated_retry: bool = True
    min_presence: float = MIN_PRESENCE
    redetect_s: float | None = REDETECT_S
    smoother: LandmarkSmoother = field(default_factory=LandmarkSmoother.mediapipe)
    _region: Region | None = None
    _last_rotation: float = 0.0
    _last_detect_t: float = -math.inf

    @classmethod
    def load(cls, models_dir: Path | None = None, threads: int | None = None, **options) -> "PoseStage":
        """Both models from the cache (verified), or `BadInput` naming the fetch command."""
        return cls(PoseDetector(verified_path(DETECTOR, models_dir), threads),
                   LandmarkModel(verified_path(LANDMARKS, models_dir), threads), **options)

    def reset(self) -> None:
        self._region = None
        self._last_rotation = 0.0
        self._last_detect_t = -math.inf
        self.smoother.reset()

    def process(self, bgr: np.ndarray, t: float) -> PoseResult:
        """Landmarks of the one person in a BGR frame taken at `t` seconds."""
        start = time.perf_counter()
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        clock = _Clock()
        found = self._track(rgb, t, clock)
        if found is None:
            found = self._search(rgb, t, clock)
        points = self._accept(found, t)
        return PoseResult(points, found.presence if found else 0.0, found.region if found else None,
                          clock.detector_runs, clock.detector_ms, clock.landmark_ms,
                          (time.perf_counter() - start) * 1000)

    def _landmarks(self, rgb: np.ndarray, region: Region, clock: _Clock) -> Landmarks | None:
        found = self.landmarks.run(rgb, region)
        clock.landmark_ms += self.landmarks.invoke_ms
        return found if found.presence >= self.min_presence else None

    def _detect(self, rgb: np.ndarray, rotation: float, t: float, clock: _Clock) -> Region | None:
        detections = self.detector.detect(rgb, rotation)
        clock.detector_runs += 1
        clock.detector_ms += self.detector.invoke_ms
        self._last_detect_t = t
        return detections[0].region() if detections else None

    def _track(self, rgb: np.ndarray, t: float, clock: _Clock) -> Landmarks | None:
        """Landmarks in the region carried from the last frame (re-detected when it is time)."""
        if self._region is None:
            return None
        region = self._region
        if self.redetect_s is not None and t - self._last_detect_t >= self.redetect_s:
            region = self._detect(rgb, 0.0, t, clock) or region
        return self._landmarks(rgb, region, clock)

    def _turns(self) -> list[float]:
        if not self.rotated_retry:
            return [0.0]
        last = self._last_rotation
        return [0.0] + sorted((QUARTER, -QUARTER), key=lambda turn: abs(turn - last))

    def _search(self, rgb: np.ndarray, t: float, clock: _Clock) -> Landmarks | None:
        """The detector upright, then turned, until the landmark model confirms a person."""
        for turn in self._turns():
            region = self._detect(rgb, turn, t, clock)
            found = self._landmarks(rgb, region, clock) if region is not None else None
            if found is not None:
                return found
        return None

    def _accept(self, found: Landmarks | None, t: float) -> np.ndarray | None:
        """Smooth the landmarks and place the next region, or forget the person."""
        if found is None:
            self._region = None
            self.smoother.reset()
            return None
        points, aux = self.smoother(found.points, found.aux, t) if self.smooth else (found.points, found.aux)
        self._region = from_keypoints(aux[0], aux[1])
        self._last_rotation = self._region.rotation
        return points
