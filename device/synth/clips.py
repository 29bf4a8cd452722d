"""One clip of one action: what a dataset is made of and what a classifier sees as one input."""
from __future__ import annotations

import numpy as np

from har_device.core.errors import BadInput
from har_device.synth.actions import LABELS, make_motion
from har_device.synth.body import capsules
from har_device.synth.camera import frame_size
from har_device.synth.look import Look, random_look
from har_device.synth.placement import Placer
from har_device.synth.render import Scene
from har_device.synth.staging import film, seat_under

CLIP_FIGURE = (0.45, 0.85)  # standing height as a fraction of the frame height
MIN_SIZE = 32
OCCLUSION = 0.1  # training variety; a scripted scene (a demo, a smoke test) is never occluded

Seed = int | np.random.Generator


def check_request(frames: int, fps: float, size: int | tuple[int, int]) -> tuple[int, int]:
    """Validate the common render arguments; returns the frame size as (height, width)."""
    if frames < 1:
        raise BadInput(f"frames: expected at least 1, got {frames}")
    if not fps > 0:
        raise BadInput(f"fps: expected a positive frame rate, got {fps}")
    height, width = frame_size(size)
    if min(height, width) < MIN_SIZE:
        raise BadInput(f"size: expected at least {MIN_SIZE} pixels, got {height}x{width}")
    return height, width


def check_label(label: str, field: str = "action") -> str:
    if label not in LABELS:
        raise BadInput(f'{field}: unknown action "{label}" (expected one of {", ".join(LABELS)})')
    return label


def plan_clip(action: str, frames: int, fps: float, size: int | tuple[int, int], rng_or_seed: Seed,
              look: Look | None = None) -> Scene:
    """Every random decision of one clip, ready to render. The action spans the clip: a fall, sit or
    bend happens inside it at a random moment and speed; walk, wave and idle fill it from a random
    phase. `look` (person and room) is drawn from the generator unless given (a dataset group)."""
    check_label(action)
    shape = check_request(frames, fps, size)
    rng = np.random.default_rng(rng_or_seed)
    look = look or random_look(rng)
    motion = make_motion(action, rng, frames / fps)
    radii = look.body.radii()
    t = np.arange(frames) / fps
    caps = capsules(motion.poses(t), look.body)
    planted = motion.planted(t) if motion.planted else None
    world, facing = Placer(0.0, int(rng.choice([-1, 1]))).place(caps, radii, planted=planted)
    chairs = ()
    if motion.seated_at is not None:
        seated = min(frames - 1, int(np.ceil(motion.seated_at * fps)))
        chairs = (seat_under(world[seated], radii, int(facing[seated]), rng),)
    return film(world, facing, look, rng, shape, CLIP_FIGURE, chairs, OCCLUSION)


def render_clip(action: str, frames: int, fps: float, size: int | tuple[int, int], rng_or_seed: Seed,
                look: Look | None = None) -> np.ndarray:
    """One clip of `action` as (frames, H, W, 3) uint8 BGR; `size` is an int (square) or (H, W)."""
    return plan_clip(action, frames, fps, size, rng_or_seed, look).render()


def figure_boxes(action: str, frames: int, fps: float, size: int | tuple[int, int],
                 rng_or_seed: Seed, look: Look | None = None) -> np.ndarray:
    """The figure's pixel box per frame (x0, y0, x1, y1) in the clip `render_clip` draws for the same
    arguments; the box height over time is the action's vertical extent."""
    return plan_clip(action, frames, fps, size, rng_or_seed, look).boxes()


def vertical_extent(boxes: np.ndarray) -> np.ndarray:
    """Box heights relative to the first frame's: 1 standing, a fraction when low."""
    heights = boxes[:, 3] - boxes[:, 1]
    return heights / heights[0]
