"""The pose stage: detector when needed, landmarks every frame, the next region from this frame's
landmarks, smoothing.

Tracking follows MediaPipe's video mode (the region of frame n+1 comes from frame n's auxiliary
landmarks, so it inherits their rotation), with two additions for a person who falls: when the
landmarks lose the person, the detector is tried on the same frame upright and then turned by ±90°
(the turn nearest the last tracked rotation first), because the detector keys on an upright face
and misses a body lying on the floor. Before the detector, for `recover_s` after the person was last
seen, the landmark model gets the last region enlarged 1.5× at its own rotation and turned to lying
on the side it was turning to: a fall moves the body out of its region within one frame at 8 fps,
and measured on har-synth falls this wider look finds it where the detector finds nothing. The
detector also runs every `redetect_s` seconds so a region that drifted onto the background is
replaced.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
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
RECOVER_S = 1.0
RECOVER_SCALE = 1.5
MAX_GROWTH = 1.4
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


def plausible(region: Region, found: Landmarks) -> bool:
    """Whether the region these landmarks place for the next frame is within MAX_GROWTH of the last
    tracked one: a body does not change size that fast, while a tracker that lost it does (seen
    on har-synth: a person sitting up from the floor blew the region up 4× in four frames, the
    presence score staying above 0.5)."""
    side = from_keypoints(found.aux[0], found.aux[1]).width
    return region.width / MAX_GROWTH <= side <= region.width * MAX_GROWTH


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
    keep_lying: bool = True
    min_presence: float = MIN_PRESENCE
    redetect_s: float | None = REDETECT_S
    recover_s: float = RECOVER_S
    smoother: LandmarkSmoother = field(default_factory=LandmarkSmoother.mediapipe)
    _region: Region | None = None
    _last_region: Region | None = None
    _last_seen_t: float = -math.inf
    _last_detect_t: float = -math.inf

    @classmethod
    def load(cls, models_dir: Path | None = None, threads: int | None = None, **options) -> "PoseStage":
        """Both models from the cache, or `BadInput` naming the fetch command; both are verified
        before either is loaded, so a bad one costs one line and no LiteRT log."""
        detector, landmarks = (verified_path(model, models_dir) for model in (DETECTOR, LANDMARKS))
        return cls(PoseDetector(detector, threads), LandmarkModel(landmarks, threads), **options)

    def reset(self) -> None:
        self._region = None
        self._last_region = None
        self._last_seen_t = -math.inf
        self._last_detect_t = -math.inf
        self.smoother.reset()

    def process(self, bgr: np.ndarray, t: float) -> PoseResult:
        """Landmarks of the one person in a BGR frame taken at `t` seconds."""
        start = time.perf_counter()
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        clock = _Clock()
        found = self._track(rgb, t, clock)
        if found is None:
            self.smoother.reset()
            found = self._recover(rgb, t, clock) if self.keep_lying else None
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
        found = self._landmarks(rgb, region, clock)
        return found if found is not None and plausible(self._region, found) else None

    def _recover(self, rgb: np.ndarray, t: float, clock: _Clock) -> Landmarks | None:
        """The last region, enlarged, as it was and turned to lying, shortly after a loss."""
        last = self._last_region
        if last is None or t - self._last_seen_t > self.recover_s:
            return None
        wide = replace(last, width=last.width * RECOVER_SCALE, height=last.height * RECOVER_SCALE)
        for region in (wide, replace(wide, rotation=math.copysign(QUARTER, last.rotation))):
            found = self._landmarks(rgb, region, clock)
            if found is not None and plausible(last, found):
                return found
        return None

    def _turns(self) -> list[float]:
        if not self.keep_lying:
            return [0.0]
        last = self._last_region.rotation if self._last_region is not None else 0.0
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
        """Smooth the landmarks and place the next region, or forget the person. The filters start
        afresh whenever tracking failed, as MediaPipe's do after a loss: a re-found body has moved."""
        if found is None:
            self._region = None
            return None
        points, aux = self.smoother(found.points, found.aux, t) if self.smooth else (found.points, found.aux)
        self._region = self._last_region = from_keypoints(aux[0], aux[1])
        self._last_seen_t = t
        return points
