"""Putting the posed figure into the world: on the floor, facing left or right, and moving the way a
body moves — by the point touching the floor staying put.

Each frame the lowest point of the figure is found; the figure is shifted so that this point has not
slid since the previous frame. This one rule gives walking from leg swing (the stance foot is planted),
a fall that pivots over the feet, a sit that lowers the hips behind the planted feet, and stillness when
lying — without scripting any translation.
"""
from __future__ import annotations

import numpy as np

from har_device.synth.body import on_floor


class Placer:
    """Carries the figure's world position and facing from frame to frame (and segment to segment)."""

    def __init__(self, x: float, facing: int) -> None:
        self.x = x
        self.facing = facing
        self._previous: np.ndarray | None = None
        self._contact = 0

    def turn(self, facing: int) -> None:
        """Face the other way in place: mirror about the current floor contact, so nothing jumps."""
        if facing == self.facing:
            return
        if self._previous is not None:
            self.x += 2 * self.facing * self._previous[self._contact][0]
        self.facing = facing

    def place(self, caps: np.ndarray, radii: np.ndarray, bounds: float | None = None,
              planted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Body-frame capsules (F, parts, 2, 2) → world capsules (x right, y up, floor at 0) and the
        facing (+1 right, -1 left) of each frame.

        `planted` (F,) names the capsule end that must not slide in each frame (a walker's stance
        foot); by default it is the lowest point. With `bounds`, a figure that travels past ±bounds
        turns around (a walker stays in the room).
        """
        grounded = on_floor(caps, radii)
        points = grounded.reshape(grounded.shape[0], -1, 2)
        lows = points[..., 1] - np.repeat(radii, 2)[None, :]
        world = np.empty_like(grounded)
        facing = np.empty(grounded.shape[0], dtype=int)
        for f in range(grounded.shape[0]):
            contact = int(np.argmin(lows[f]) if planted is None else planted[f])
            if self._previous is not None:
                self.x += self.facing * (self._previous[contact][0] - points[f, contact, 0])
            self._previous, self._contact = points[f], contact
            world[f, ..., 0] = self.x + self.facing * grounded[f, ..., 0]
            world[f, ..., 1] = grounded[f, ..., 1]
            facing[f] = self.facing
            if bounds is not None and self.facing * self.x > bounds:
                self.turn(-self.facing)
        return world, facing
