"""The camera: how world units (standing heights, floor at y = 0) map to pixels, chosen per clip so the
whole action stays in the picture at a random figure size and position."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    """Pixel = (cx + scale·x, floor_px − scale·y). `margin` pixels of backdrop exist around the frame
    on every side so the camera can shake without showing an edge."""

    height: int
    width: int
    scale: float
    cx: float
    floor_px: float
    margin: int

    def to_px(self, world: np.ndarray) -> np.ndarray:
        """World points (..., 2) → pixel points (..., 2) in frame coordinates."""
        px = np.empty_like(world, dtype=float)
        px[..., 0] = self.cx + self.scale * world[..., 0]
        px[..., 1] = self.floor_px - self.scale * world[..., 1]
        return px


def frame_size(size: int | tuple[int, int]) -> tuple[int, int]:
    """`size` as (height, width): an int means a square frame."""
    return (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))


def fit_camera(extent: tuple[float, float, float], stand_height: float, size: tuple[int, int],
               rng: np.random.Generator, figure: tuple[float, float]) -> Camera:
    """A camera showing the world box `extent` = (x_min, x_max, top) whole, with a standing figure
    `figure` (fraction range) of the frame height tall unless the box forces it smaller."""
    height, width = size
    x_min, x_max, top = extent
    scale = min(rng.uniform(*figure) * height / stand_height,
                0.94 * width / max(x_max - x_min, 1e-6), 0.9 * height / max(top, 1e-6))
    room = width - scale * (x_max - x_min)
    left = rng.uniform(0.03 * width, max(0.03 * width, room - 0.03 * width))
    lowest_floor = scale * top + 0.04 * height
    floor_px = rng.uniform(min(lowest_floor, 0.97 * height), 0.97 * height)
    return Camera(height, width, scale, left - scale * x_min, floor_px,
                  margin=max(1, round(0.015 * min(height, width))))


METRES_PER_UNIT = 1.7  # world units are standing heights; a person 1.7 m tall


@dataclass(frozen=True)
class View:
    """A pinhole camera `height_m` above the floor, pitched down `tilt_deg`, `distance_m` in front of
    the plane the person moves in. The figure's world is a plane facing the camera, so the view maps
    it to the plane as seen: heights foreshortened and farther parts smaller, while floor-parallel
    lines (the floor, a body lying on it) stay horizontal. The orthographic `Camera` then frames it."""

    height_m: float
    tilt_deg: float
    distance_m: float = 3.5

    def _depth(self, y: np.ndarray) -> np.ndarray:
        tilt = np.radians(self.tilt_deg)
        height = self.height_m / METRES_PER_UNIT
        return (height - y) * np.sin(tilt) + self.distance_m / METRES_PER_UNIT * np.cos(tilt)

    def _up(self, y: np.ndarray) -> np.ndarray:
        tilt = np.radians(self.tilt_deg)
        height = self.height_m / METRES_PER_UNIT
        return ((y - height) * np.cos(tilt) + self.distance_m / METRES_PER_UNIT * np.sin(tilt)) / self._depth(y)

    def scale_at(self, y: float) -> float:
        """Seen size relative to world size at height `y`, normalised to 1 at mid-body (y = 0.5)."""
        return float(self._depth(np.float64(0.5)) / self._depth(np.float64(y)))

    def project(self, world: np.ndarray) -> np.ndarray:
        """World points (..., 2) → the plane as this camera sees it, floor kept at y = 0 and sizes
        kept at mid-body, so the orthographic framing still applies."""
        x, y = world[..., 0], world[..., 1]
        if np.any(self._depth(y) <= 0):
            raise ValueError("the camera looks away from the person (lower the tilt or the height)")
        focal = self._depth(np.float64(0.5))
        out = np.empty_like(world, dtype=float)
        out[..., 0] = focal * x / self._depth(y)
        out[..., 1] = focal * (self._up(y) - self._up(np.zeros_like(y)))
        return out
