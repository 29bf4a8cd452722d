"""One Euro filtering of landmarks, vectorised over all coordinates, as MediaPipe's landmark
smoothing does it: the speed term is divided by the person's size so the same motion is smoothed
the same way near and far, and visibility gets a plain low-pass."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DEFAULT_FREQUENCY = 30.0


def _alpha(cutoff: np.ndarray | float, frequency: float) -> np.ndarray | float:
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau * frequency)


@dataclass
class OneEuro:
    """Filters an array of values sharing one timestamp; `reset` starts over (person lost)."""

    min_cutoff: float
    beta: float
    derivative_cutoff: float = 1.0
    frequency: float = DEFAULT_FREQUENCY
    _value: np.ndarray | None = None
    _raw: np.ndarray | None = None
    _speed: np.ndarray | None = None
    _time: float | None = None

    def reset(self) -> None:
        self._value = self._raw = self._speed = self._time = None

    def __call__(self, value: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """Filter `value` at time `t` (seconds); `scale` divides the speed (the object's size)."""
        if self._time is not None and t <= self._time:
            return value
        if self._time is not None:
            self.frequency = 1.0 / (t - self._time)
        self._time = t
        if self._value is None:
            self._value, self._raw, self._speed = value.copy(), value.copy(), np.zeros_like(value)
            return value
        speed = (value - self._raw) * self.frequency / scale
        self._speed = self._speed + _alpha(self.derivative_cutoff, self.frequency) * (speed - self._speed)
        cutoff = self.min_cutoff + self.beta * np.abs(self._speed)
        self._value = self._value + _alpha(cutoff, self.frequency) * (value - self._value)
        self._raw = value.copy()
        return self._value


@dataclass
class LowPass:
    alpha: float
    _value: np.ndarray | None = None

    def reset(self) -> None:
        self._value = None

    def __call__(self, value: np.ndarray) -> np.ndarray:
        self._value = value.copy() if self._value is None else self._value + self.alpha * (value - self._value)
        return self._value


@dataclass
class LandmarkSmoother:
    """MediaPipe's pose filtering: body landmarks (0.05, 80, 1.0), the two auxiliary points that
    place the next region (0.01, 10, 1.0), visibility low-passed with alpha 0.1."""

    body: OneEuro
    aux: OneEuro
    visibility: LowPass

    @classmethod
    def mediapipe(cls) -> "LandmarkSmoother":
        return cls(OneEuro(0.05, 80.0, 1.0), OneEuro(0.01, 10.0, 1.0), LowPass(0.1))

    def reset(self) -> None:
        for part in (self.body, self.aux, self.visibility):
            part.reset()

    def __call__(self, points: np.ndarray, aux: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Smoothed copies of (33, 5) landmarks and (2, 2) auxiliary points; the object scale is the
        size of the auxiliary region (twice the hip-centre to scale-point distance)."""
        scale = max(2.0 * float(np.hypot(*(aux[1] - aux[0]))), 1e-6)
        out = points.copy()
        out[:, :3] = self.body(points[:, :3], t, scale)
        out[:, 3] = self.visibility(points[:, 3])
        return out, self.aux(aux, t, scale)
