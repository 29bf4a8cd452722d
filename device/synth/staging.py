"""Filming a placed figure: a chair where someone sits, perhaps something in front of them, a camera
that keeps the whole action in view, the room drawn behind, and the camera's imperfections."""
from __future__ import annotations

import numpy as np

from har_device.synth.body import PART_INDEX, TORSO, standing_height
from har_device.synth.camera import View, fit_camera
from har_device.synth.look import Furniture, Look, luminance
from har_device.synth.render import Scene, random_effects
from har_device.synth.room import draw_backdrop

SEAT_DEPTH = 0.3


def random_occluder(rng: np.random.Generator, x_range: tuple[float, float], avoid: list[float]) -> Furniture:
    """Something between camera and person that hides part of them: a pole or a low crate."""
    colour = tuple(int(c) for c in rng.integers(20, 235, 3))
    while any(abs(luminance(colour) - other) < 0.12 for other in avoid):
        colour = tuple(int(c) for c in rng.integers(20, 235, 3))
    x = rng.uniform(*x_range)
    if rng.random() < 0.5:
        return Furniture("pole", x, rng.uniform(0.05, 0.1), 4.0, 0.0, colour)
    return Furniture("crate", x, rng.uniform(0.25, 0.45), rng.uniform(0.1, 0.2), 0.0, colour)


def seat_under(caps: np.ndarray, radii: np.ndarray, facing: int, rng: np.random.Generator) -> Furniture:
    """A chair whose seat is just under the thighs of the seated figure `caps` (one frame, world)."""
    hip_x, hip_y = caps[TORSO, 0]
    thigh = radii[PART_INDEX["near_thigh"]]
    colour = tuple(int(c) for c in rng.integers(30, 220, 3))
    return Furniture("chair", hip_x + facing * 0.06, SEAT_DEPTH, max(hip_y - thigh, 0.05), 0.0, colour,
                     facing)


def film(world: np.ndarray, facing: np.ndarray, look: Look, rng: np.random.Generator,
         size: tuple[int, int], figure: tuple[float, float], chairs: tuple[Furniture, ...] = (),
         occlusion: float = 0.0, view: View | None = None) -> Scene:
    """A Scene for the placed figure `world` (F, parts, 2, 2), the standing figure being a `figure`
    fraction of the frame height where the action leaves room for it, and partly hidden behind a
    foreground object with probability `occlusion`; seen through `view` when given (limb widths
    take the view's mid-body scale; chairs are not re-projected)."""
    radii = look.body.radii()
    if view is not None:
        world = view.project(world)
        radii = radii * view.scale_at(0.5)
    x_min = float((world[..., 0] - radii[None, :, None]).min())
    x_max = float((world[..., 0] + radii[None, :, None]).max())
    top = float((world[..., 1] + radii[None, :, None]).max())
    camera = fit_camera((x_min, x_max, top), standing_height(look.body), size, rng, figure)
    occluder = None
    if rng.random() < occlusion:
        avoid = [luminance(look.clothes["shirt"]), luminance(look.clothes["pants"])]
        occluder = random_occluder(rng, (x_min + 0.1, max(x_min + 0.1, x_max - 0.1)), avoid)
    return Scene(caps=world, radii=radii, facing=facing, look=look, camera=camera,
                 backdrop=draw_backdrop(look.room, camera, chairs), occluder=occluder,
                 effects=random_effects(rng, world.shape[0], camera))
