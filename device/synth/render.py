"""Turning a planned scene into frames: backdrop, figure, foreground occluder, then the camera's
imperfections (shake, lighting, blur, sensor noise).

A `Scene` holds every random decision already made, so frames can be produced lazily, in any order and
more than once with identical bytes (per-frame noise is seeded by the frame index).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator

import cv2
import numpy as np

from har_device.synth.body import HEAD, NECK, PARTS
from har_device.synth.camera import Camera
from har_device.synth.look import Furniture, Look
from har_device.synth.room import draw_furniture

SUBPIXEL = 4  # OpenCV fixed-point bits: smooth motion and thin limbs at 100 px
FAR_SHADE = 0.72


@dataclass(frozen=True)
class Effects:
    """Per-clip camera and lighting conditions, expanded per frame."""

    light: np.ndarray
    flicker: np.ndarray
    jitter: np.ndarray
    blur: float
    noise: float
    noise_seed: int


def random_effects(rng: np.random.Generator, frames: int, camera: Camera) -> Effects:
    """Exposure, colour cast and a side light; camera shake; focus blur; sensor noise."""
    h, w = camera.height, camera.width
    ramp = rng.uniform(0, 0.25) * np.linspace(-1, 1, w, dtype=np.float32) * rng.choice([-1, 1])
    cast = rng.uniform(0.9, 1.1, 3).astype(np.float32)
    light = rng.uniform(0.65, 1.3) * (1 + ramp)[None, :, None] * cast[None, None, :]
    shake = int(rng.integers(0, camera.margin + 1)) if rng.random() < 0.6 else 0
    return Effects(
        light=np.broadcast_to(light, (h, w, 3)).astype(np.float32),
        flicker=rng.normal(0, 0.015, frames).astype(np.float32),
        jitter=rng.integers(-shake, shake + 1, (frames, 2)),
        blur=0.0 if rng.random() < 0.6 else rng.uniform(0.3, 0.7) * min(h, w) / 112,
        noise=rng.uniform(0, 3), noise_seed=int(rng.integers(2**31)),
    )


@dataclass(frozen=True)
class Scene:
    """A fully decided clip or scripted video: world-space figure per frame and how it is filmed."""

    caps: np.ndarray
    radii: np.ndarray
    facing: np.ndarray
    look: Look
    camera: Camera
    backdrop: np.ndarray
    occluder: Furniture | None
    effects: Effects

    @property
    def frames(self) -> int:
        return self.caps.shape[0]

    def _camera_at(self, index: int) -> Camera:
        dx, dy = self.effects.jitter[index]
        return replace(self.camera, cx=self.camera.cx - dx, floor_px=self.camera.floor_px - dy, margin=0)

    def frame(self, index: int) -> np.ndarray:
        """Frame `index` as uint8 BGR (H, W, 3)."""
        camera, m = self._camera_at(index), self.camera.margin
        dx, dy = self.effects.jitter[index]
        img = self.backdrop[m + dy:m + dy + camera.height, m + dx:m + dx + camera.width].copy()
        draw_figure(img, camera.to_px(self.caps[index]), self.radii * camera.scale, self.look,
                    int(self.facing[index]))
        if self.occluder is not None:
            draw_furniture(img, camera, self.occluder)
        out = img.astype(np.float32) * self.effects.light * (1 + self.effects.flicker[index])
        if self.effects.blur > 0:
            out = cv2.GaussianBlur(out, (0, 0), self.effects.blur)
        noise = np.random.default_rng([self.effects.noise_seed, index])
        out += noise.standard_normal(out.shape, dtype=np.float32) * self.effects.noise
        return np.clip(out, 0, 255).astype(np.uint8)

    def iter_frames(self) -> Iterator[np.ndarray]:
        for index in range(self.frames):
            yield self.frame(index)

    def render(self) -> np.ndarray:
        return np.stack(list(self.iter_frames()))

    def boxes(self) -> np.ndarray:
        """The figure's pixel bounding box per frame, (F, 4) as x0, y0, x1, y1, as drawn (shake included)."""
        out = np.empty((self.frames, 4))
        for index in range(self.frames):
            camera = self._camera_at(index)
            px = camera.to_px(self.caps[index])
            r = (self.radii * camera.scale)[:, None]
            out[index] = [(px[..., 0] - r).min(), (px[..., 1] - r).min(),
                          (px[..., 0] + r).max(), (px[..., 1] + r).max()]
        return out


def _fixed(point: np.ndarray) -> tuple[int, int]:
    return int(round(point[0] * (1 << SUBPIXEL))), int(round(point[1] * (1 << SUBPIXEL)))


def _colours(look: Look) -> list[tuple[int, int, int]]:
    return [tuple(int(c * (FAR_SHADE if far else 1.0)) for c in look.clothes[slot]) for _, slot, far in PARTS]


def draw_figure(img: np.ndarray, caps_px: np.ndarray, radii_px: np.ndarray, look: Look, facing: int) -> None:
    """Filled anti-aliased capsules back to front, then hair on the back and top of the head."""
    for index, ((a, b), r, colour) in enumerate(zip(caps_px, radii_px, _colours(look))):
        if index == HEAD:
            _head(img, a, r, caps_px[NECK], look, facing)
        elif np.allclose(a, b):
            cv2.circle(img, _fixed(a), int(round(r * (1 << SUBPIXEL))), colour, -1, cv2.LINE_AA, SUBPIXEL)
        else:
            cv2.line(img, _fixed(a), _fixed(b), colour, max(1, int(round(2 * r))), cv2.LINE_AA, SUBPIXEL)


def _head(img: np.ndarray, centre: np.ndarray, r: float, neck: np.ndarray, look: Look, facing: int) -> None:
    up = centre - neck[0]
    up = up / max(float(np.hypot(*up)), 1e-6)
    forward = facing * np.array([-up[1], up[0]])
    radius = int(round(r * (1 << SUBPIXEL)))
    cv2.circle(img, _fixed(centre), radius, look.hair, -1, cv2.LINE_AA, SUBPIXEL)
    face = centre + r * (0.28 * forward - 0.12 * up)
    cv2.circle(img, _fixed(face), int(radius * 0.8), look.clothes["skin"], -1, cv2.LINE_AA, SUBPIXEL)
