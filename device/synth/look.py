"""Who is in the picture and what room they are in: one `Look` is one dataset group (one "person"),
so clips of the same group share it and the test split never shows a training person.

Colours are BGR tuples. Room colours are drawn to stay distinguishable from the clothes, because a
figure that vanishes into the wall teaches a classifier nothing.
"""
from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from har_device.synth.body import Body, random_body

Colour = tuple[int, int, int]

FURNITURE_KINDS = ("cabinet", "table", "shelf", "door", "window", "picture", "sofa", "chair")


@dataclass(frozen=True)
class Furniture:
    """A piece of furniture in world units (standing heights), standing `elevation` above the floor.
    For a chair `height` is the seat height and the backrest is on the side away from `facing`."""

    kind: str
    x: float
    width: float
    height: float
    elevation: float
    colour: Colour
    facing: int = 1


@dataclass(frozen=True)
class Room:
    wall: tuple[Colour, Colour]
    floor: tuple[Colour, Colour]
    texture: float
    texture_cells: int
    pattern: str
    furniture: tuple[Furniture, ...]
    seed: int


@dataclass(frozen=True)
class Look:
    body: Body
    clothes: dict[str, Colour]
    hair: Colour
    room: Room


def _bgr(hue: float, sat: float, val: float) -> Colour:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, sat, val)
    return (int(b * 255), int(g * 255), int(r * 255))


def luminance(colour: Colour) -> float:
    b, g, r = colour
    return (0.114 * b + 0.587 * g + 0.299 * r) / 255.0


def _skin(rng: np.random.Generator) -> Colour:
    light, dark = np.array([170, 200, 235]), np.array([45, 65, 100])
    tone = light + (dark - light) * rng.uniform(0, 1)
    return tuple(int(v) for v in np.clip(tone + rng.normal(0, 8, 3), 0, 255))


def _clothes(rng: np.random.Generator) -> dict[str, Colour]:
    skin = _skin(rng)
    shirt = _bgr(rng.uniform(), rng.uniform(0.15, 0.9), rng.uniform(0.2, 0.95))
    pants = _bgr(rng.uniform(), rng.uniform(0.05, 0.7), rng.uniform(0.12, 0.75))
    shoes = _bgr(rng.uniform(), rng.uniform(0, 0.5), rng.uniform(0.05, 0.5))
    return {"skin": skin, "shirt": shirt, "pants": pants, "shoes": shoes,
            "sleeve": shirt if rng.random() < 0.55 else skin}


def _contrasting(rng: np.random.Generator, avoid: list[float], sat: tuple[float, float],
                 val: tuple[float, float]) -> Colour:
    """A colour whose brightness differs from every `avoid` brightness by a visible margin."""
    for _ in range(50):
        colour = _bgr(rng.uniform(), rng.uniform(*sat), rng.uniform(*val))
        if all(abs(luminance(colour) - other) > 0.22 for other in avoid):
            return colour
    return colour


def _shade(colour: Colour, factor: float) -> Colour:
    return tuple(int(np.clip(c * factor, 0, 255)) for c in colour)


def _furniture(rng: np.random.Generator, avoid: list[float]) -> tuple[Furniture, ...]:
    u = rng.uniform
    sizes = {  # kind: (width range, height range, elevation range)
        "cabinet": ((0.4, 1.0), (0.4, 1.0), (0, 0)), "table": ((0.6, 1.2), (0.38, 0.45), (0, 0)),
        "shelf": ((0.5, 0.9), (1.0, 1.6), (0, 0)), "door": ((0.45, 0.55), (1.1, 1.25), (0, 0)),
        "window": ((0.4, 0.9), (0.4, 0.7), (0.5, 0.8)), "picture": ((0.2, 0.5), (0.15, 0.4), (0.8, 1.2)),
        "sofa": ((1.0, 1.6), (0.42, 0.5), (0, 0)), "chair": ((0.26, 0.32), (0.24, 0.3), (0, 0)),
    }
    pieces = []
    for _ in range(rng.integers(1, 4)):
        kind = str(rng.choice(FURNITURE_KINDS))
        (w0, w1), (h0, h1), (e0, e1) = sizes[kind]
        colour = _contrasting(rng, avoid, (0.05, 0.6), (0.15, 0.9))
        pieces.append(Furniture(kind, u(-2.5, 2.5), u(w0, w1), u(h0, h1), u(e0, e1), colour,
                                int(rng.choice([-1, 1]))))
    return tuple(pieces)


def random_room(rng: np.random.Generator, clothes: dict[str, Colour]) -> Room:
    avoid = [luminance(clothes["shirt"]), luminance(clothes["pants"])]
    wall = _contrasting(rng, avoid, (0.0, 0.5), (0.25, 0.95))
    floor = _contrasting(rng, avoid, (0.0, 0.6), (0.15, 0.85))
    return Room(
        wall=(wall, _shade(wall, rng.uniform(0.7, 1.1))),
        floor=(_shade(floor, rng.uniform(0.75, 1.0)), floor),
        texture=rng.uniform(2, 10), texture_cells=int(rng.integers(3, 14)),
        pattern=str(rng.choice(["plain", "stripes", "tiles", "planks"])),
        furniture=_furniture(rng, avoid), seed=int(rng.integers(2**31)),
    )


def random_look(rng: np.random.Generator) -> Look:
    clothes = _clothes(rng)
    hair = _bgr(rng.uniform(0.02, 0.12), rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.8))
    return Look(body=random_body(rng), clothes=clothes, hair=hair, room=random_room(rng, clothes))
