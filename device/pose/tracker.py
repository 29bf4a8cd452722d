"""The pose stage: detector when needed, landmarks every frame, the next region from this frame's
landmarks, smoothing.

Tracking follows MediaPipe's video mode: the region of frame n+1 comes from frame n's auxiliary
landmarks (so it inherits their rotation), and when the landmarks lose the person the upright
detector looks for them on the same frame. As MediaPipe separates the confidence that finds a person
from the one that keeps tracking them (min_detection_confidence, min_tracking_confidence), a person
is found at a pose presence of `min_presence` (0.5) but kept, in the region carried from the last
frame, down to `keep_presence` (0.25): an arm across the face or a turn dips the presence for a
frame, and each dip below 0.5 cost a detector run (on a person waving: 38 of 600 frames, against 25
with the lower keeping threshold). Three additions keep a person who falls, because the detector
keys on an upright face and misses a body on the floor:
- for `recover_s` after the person was last seen, the landmark model looks again in the last region
  enlarged 1.5× at its own rotation (before the upright detector, which it saves), and after the
  detector failed, turned to lying: in place on the side it was turning to, then fallen over the
  last seen feet to either side (a fall takes the body out of its region within one frame at 8
  fps, and lands it beside where it stood);
- then the detector runs on the frame turned by ±90° (every frame just after a loss, otherwise once
  a second);
- a fit whose next region grows or shrinks by more than MAX_GROWTH counts as a loss.
The detector also runs every `redetect_s` seconds so a region that drifted off the person is replaced.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from har_device.core.keypoints import INDEX
from har_device.core.pose_models import DETECTOR, LANDMARKS, verified_path
from har_device.pose.detector import PoseDetector
from har_device.pose.landmarks import LandmarkModel, Landmarks
from har_device.pose.region import Region, from_keypoints
from har_device.pose.smoothing import LandmarkSmoother

MIN_PRESENCE = 0.5
KEEP_PRESENCE = 0.25
REDETECT_S = 10.0
RECOVER_S = 1.0
RECOVER_SCALE = 1.5
MAX_GROWTH = 1.3
TURNED_EVERY_S = 1.0
MAX_REGION = 4.0
QUARTER = math.pi / 2
ANKLES = [INDEX["left_ankle"], INDEX["right_ankle"]]


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


def plausible(region: Region, found: Landmarks, frame_side: int) -> bool:
    """Whether the region these landmarks place for the next frame is within MAX_GROWTH of the one
    they were found in and at most MAX_REGION frame sides wide. On a body it fits, the model places
    0.88-1.05 of its region (measured on har-synth scenes) and a portrait's region is 3.2 frame
    sides (grace_hopper); fits gone wrong grew it 1.4-1.5× per frame (a person sitting up from the
    floor, presence above 0.5) or settled on a 4.7-frame-wide region of background."""
    side = from_keypoints(found.aux[0], found.aux[1]).width
    return region.width / MAX_GROWTH <= side <= min(region.width * MAX_GROWTH, MAX_REGION * frame_side)


def fallen(region: Region, feet: np.ndarray, rotation: float) -> Region:
    """`region` as it lands when its person topples over their feet to lie at `rotation` (±90°):
    turned about the feet, so the body ends beside where it stood, head first, as a fall leaves it
    (at 8 fps a body goes from upright to flat within a frame or two)."""
    turn = rotation - region.rotation
    c, s = math.cos(turn), math.sin(turn)
    dx, dy = region.cx - float(feet[0]), region.cy - float(feet[1])
    return replace(region, cx=float(feet[0]) + c * dx - s * dy, cy=float(feet[1]) + s * dx + c * dy,
                   rotation=rotation)


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
    keep_presence: float = KEEP_PRESENCE
    redetect_s: float | None = REDETECT_S
    recover_s: float = RECOVER_S
    smoother: LandmarkSmoother = field(default_factory=LandmarkSmoother.mediapipe)
    _region: Region | None = None
    _last_region: Region | None = None
    _last_feet: np.ndarray | None = None
    _last_seen_t: float = -math.inf
    _last_turned_t: float = -math.inf
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
        self._last_feet = None
        self._last_seen_t = self._last_turned_t = -math.inf
        self._last_detect_t = -math.inf
        self.smoother.reset()

    def process(self, bgr: np.ndarray, t: float) -> PoseResult:
        """Landmarks of the one person in a BGR frame taken at `t` seconds."""
        start = time.perf_counter()
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        clock = _Clock()
        found, recovered = self._track(rgb, t, clock), False
        if found is None:
            self.smoother.reset()
            found, recovered = self._refind(rgb, t, clock)
        points = self._accept(found, t, recovered)
        return PoseResult(points, found.presence if found else 0.0, found.region if found else None,
                          clock.detector_runs, clock.detector_ms, clock.landmark_ms,
                          (time.perf_counter() - start) * 1000)

    def _landmarks(self, rgb: np.ndarray, region: Region, clock: _Clock,
                   min_presence: float | None = None) -> Landmarks | None:
        """The person in `region`, if the model is sure enough and the fit is plausible."""
        found = self.landmarks.run(rgb, region)
        clock.landmark_ms += self.landmarks.invoke_ms
        sure = found.presence >= (self.min_presence if min_presence is None else min_presence)
        return found if sure and plausible(region, found, max(rgb.shape[:2])) else None

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
        return self._landmarks(rgb, region, clock, self.keep_presence)

    def _refind(self, rgb: np.ndarray, t: float, clock: _Clock) -> tuple[Landmarks | None, bool]:
        """The person lost by tracking (or not yet found), and whether a recovery found them."""
        if not self.keep_lying:
            return self._search(rgb, t, clock, (0.0,)), False
        found = self._recover(rgb, t, clock, turn=False)
        if found is not None:
            return found, True
        found = self._search(rgb, t, clock, (0.0,))
        if found is not None:
            return found, False
        found = self._recover(rgb, t, clock, turn=True)
        if found is not None:
            return found, True
        if not self._turned_search_due(t):
            return None, False
        self._last_turned_t = t
        return self._search(rgb, t, clock, self._turns()), False

    def _recover(self, rgb: np.ndarray, t: float, clock: _Clock, turn: bool) -> Landmarks | None:
        """Shortly after a loss, the last region enlarged, as it was or turned to lying; what it
        finds places a region of the right size, where the landmarks are read again (a body small
        in an enlarged region is read less precisely)."""
        last = self._last_region
        if last is None or t - self._last_seen_t > self.recover_s:
            return None
        wide = replace(last, width=last.width * RECOVER_SCALE, height=last.height * RECOVER_SCALE)
        candidates = [wide]
        if turn:
            candidates = [replace(wide, rotation=math.copysign(QUARTER, last.rotation)),
                          *(fallen(wide, self._last_feet, side) for side in self._turns())]
        for region in candidates:
            found = self._landmarks(rgb, region, clock)
            if found is not None:
                return self._landmarks(rgb, from_keypoints(found.aux[0], found.aux[1]), clock) or found
        return None

    def _turned_search_due(self, t: float) -> bool:
        """Every frame just after a loss; otherwise once per TURNED_EVERY_S, so an empty room costs
        one detector run per frame, as in MediaPipe, rather than three."""
        return t - self._last_seen_t <= self.recover_s or t - self._last_turned_t >= TURNED_EVERY_S

    def _turns(self) -> list[float]:
        """±90°, the one nearest the last tracked rotation first."""
        last = self._last_region.rotation if self._last_region is not None else 0.0
        return sorted((QUARTER, -QUARTER), key=lambda turn: abs(turn - last))

    def _search(self, rgb: np.ndarray, t: float, clock: _Clock, turns: Sequence[float]) -> Landmarks | None:
        """The detector on the frame turned by each of `turns` until the landmark model confirms."""
        for turn in turns:
            region = self._detect(rgb, turn, t, clock)
            found = self._landmarks(rgb, region, clock) if region is not None else None
            if found is not None:
                return found
        return None

    def _accept(self, found: Landmarks | None, t: float, recovered: bool) -> np.ndarray | None:
        """Smooth the landmarks and place the next region, or forget the person. The filters start
        afresh whenever tracking failed, as MediaPipe's do after a loss: a re-found body has moved.
        A recovered region does not become the anchor of the next recovery, so repeated recoveries
        cannot enlarge the region 1.5× per frame."""
        if found is None:
            self._region = None
            return None
        points, aux = self.smoother(found.points, found.aux, t) if self.smooth else (found.points, found.aux)
        self._region = from_keypoints(aux[0], aux[1])
        if not recovered:
            self._last_region = self._region
            self._last_feet = points[ANKLES, :2].mean(axis=0)
        self._last_seen_t = t
        return points
