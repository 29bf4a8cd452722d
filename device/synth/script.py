"""A continuous scene from a script such as "walk:4,fall:2,idle:3": one person, one room, one camera,
and a ground-truth timeline of which action happens when.

Transitions are continuous. A segment that follows a fall starts by getting up off the floor, and one
that follows a sit starts by standing up from the chair; those moves count as part of the following
segment (its label covers them), because that is what a person does next. Between standing actions the
pose blends over 0.3 s. Before a walk or a fall the person may turn to face the middle of the room, so
walks stay in view (a walker also turns back at the room's edge) and falls land inside the picture.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from har_device.core.errors import BadInput
from har_device.synth.actions import (
    LABELS,
    LYING,
    SEATED,
    STANDING,
    Motion,
    get_up,
    make_motion,
    relaxed_stance,
    stand_up,
)
from har_device.synth.body import capsules
from har_device.synth.camera import View
from har_device.synth.clips import CLIP_FIGURE, OCCLUSION, check_label, check_request
from har_device.synth.look import Furniture, Look, random_look
from har_device.synth.placement import Placer
from har_device.synth.pose import blend, smooth
from har_device.synth.render import Scene
from har_device.synth.staging import film, seat_under

SCRIPT_FIGURE = (0.5, 0.65)
ROOM_HALF_WIDTH = 0.3  # a walker turns back beyond this many standing heights from the middle
BLEND_S = 0.3


@dataclass(frozen=True)
class Segment:
    label: str
    seconds: float


def parse_script(text: str) -> list[Segment]:
    """"label:seconds,label:seconds,..." → segments; BadInput names the bad segment."""
    segments = []
    for number, part in enumerate(text.split(","), start=1):
        where = f'script segment {number} "{part.strip()}"'
        label, colon, seconds = part.strip().partition(":")
        if not colon:
            raise BadInput(f"{where}: expected label:seconds, e.g. walk:4")
        label = label.strip().lower()
        if label not in LABELS:
            raise BadInput(f'{where}: unknown action "{label}" (expected one of {", ".join(LABELS)})')
        try:
            length = float(seconds)
        except ValueError:
            length = float("nan")
        if not (np.isfinite(length) and length > 0):
            raise BadInput(f"{where}: seconds must be a positive number")
        segments.append(Segment(label, length))
    return segments


def format_script(segments: Sequence[Segment]) -> str:
    return ",".join(f"{s.label}:{s.seconds:g}" for s in segments)


def timeline(segments: Sequence[Segment]) -> list[dict]:
    """[{label, start_s, end_s}] in script order."""
    out, start = [], 0.0
    for segment in segments:
        out.append({"label": segment.label, "start_s": round(start, 6),
                    "end_s": round(start + segment.seconds, 6)})
        start += segment.seconds
    return out


def _transition(state: str, last: np.ndarray, rng: np.random.Generator,
                seconds: float) -> tuple[Motion | None, float]:
    if state == LYING:
        return get_up(rng, last, seconds)
    if state == SEATED:
        return stand_up(rng, last, seconds)
    return None, 0.0


def _facing_for(motion: Motion, placer: Placer) -> int:
    """Face the middle of the room before travelling or falling, when away from it."""
    towards_middle = -1 if placer.x > 0 else 1
    if abs(placer.x) < 0.15:
        return placer.facing
    if motion.travels:
        return towards_middle
    if motion.heading:
        return towards_middle * motion.heading
    return placer.facing


class _Planner:
    """Walks the script segment by segment, carrying the pose, the body state and the placement."""

    def __init__(self, rng: np.random.Generator, look: Look | None = None) -> None:
        self.rng = rng
        self.look = look or random_look(rng)
        self.radii = self.look.body.radii()
        self.placer = Placer(0.0, int(rng.choice([-1, 1])))
        self.state, self.last = STANDING, relaxed_stance(rng)
        self.world: list[np.ndarray] = []
        self.facing: list[np.ndarray] = []
        self.chairs: list[Furniture] = []

    def _place(self, poses: np.ndarray, bounds: float | None = None,
               planted: np.ndarray | None = None) -> np.ndarray:
        world, facing = self.placer.place(capsules(poses, self.look.body), self.radii, bounds, planted)
        self.world.append(world)
        self.facing.append(facing)
        self.last = poses[-1]
        return world

    def segment(self, segment: Segment, t: np.ndarray) -> None:
        """Plan the frames at local times `t` (seconds since the segment started)."""
        moving, took = _transition(self.state, self.last, self.rng, segment.seconds)
        motion = make_motion(segment.label, self.rng, segment.seconds - took)
        early = t < took
        if early.any():
            self._place(moving.poses(t[early]))
        if early.all():
            self.state = STANDING
            return
        self.placer.turn(_facing_for(motion, self.placer))
        since = t[~early] - took
        poses = blend(np.repeat(self.last[None, :], since.size, axis=0), motion.poses(since),
                      smooth(np.clip(since / BLEND_S, 0.0, 1.0)))
        world = self._place(poses, ROOM_HALF_WIDTH if motion.travels else None,
                            motion.planted(since) if motion.planted else None)
        if motion.seated_at is not None:
            seated = min(int(np.searchsorted(since, motion.seated_at)), since.size - 1)
            self.chairs.append(seat_under(world[seated], self.radii, self.placer.facing, self.rng))
        self.state = motion.end


def plan_script(script: str | Sequence[Segment], fps: float, size: int | tuple[int, int],
                seed: int, view: View | None = None) -> tuple[Scene, list[dict]]:
    """The whole scene decided up front (poses are cheap), frames rendered later on demand; `view`
    films it from a camera height and tilt instead of straight on."""
    segments = parse_script(script) if isinstance(script, str) else list(script)
    total = sum(s.seconds for s in segments)
    shape = check_request(int(round(total * fps)), fps, size)
    rng = np.random.default_rng(seed)
    planner = _plan(segments, int(round(total * fps)), fps, _Planner(rng))
    scene = film(np.concatenate(planner.world), np.concatenate(planner.facing), planner.look, rng,
                 shape, SCRIPT_FIGURE, tuple(planner.chairs), view=view)
    return scene, timeline(segments)


def _plan(segments: Sequence[Segment], frames: int, fps: float, planner: _Planner) -> _Planner:
    frame_times = np.arange(frames) / fps
    start = 0.0
    for segment in segments:
        inside = (frame_times >= start - 1e-9) & (frame_times < start + segment.seconds - 1e-9)
        if inside.any():
            planner.segment(segment, frame_times[inside] - start)
        start += segment.seconds
    return planner


def plan_motion(segments: Sequence[Segment], frames: int, fps: float, rng: np.random.Generator,
                look: Look, start: tuple[str, np.ndarray] | None = None,
                hold: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """World capsules (F, parts, 2, 2) and facing (F,) of the segments, unfilmed: for the skeleton
    sequences, which project the body themselves. `start` is the body's state and pose before the
    first segment (default: standing at ease), held still for `hold` seconds first (a person lying
    before getting up)."""
    planner = _Planner(rng, look)
    if start is not None:
        planner.state, planner.last = start
    held = min(frames, int(round(hold * fps)))
    if held:
        planner._place(np.repeat(planner.last[None, :], held, axis=0))
    if held < frames:
        _plan(segments, frames - held, fps, planner)
    return np.concatenate(planner.world), np.concatenate(planner.facing)


def plan_in_context(action: str, lead_in: str, frames: int, fps: float,
                    size: int | tuple[int, int], rng: np.random.Generator, look: Look) -> Scene:
    """A training clip of `action` that opens with the last 25-50 % of a `lead_in` action, as a window
    sliding over continuous video sees a fall that interrupts a walk. Filmed like any dataset clip."""
    check_label(action)
    check_label(lead_in, "lead-in")
    shape = check_request(frames, fps, size)
    seconds = frames / fps
    lead = rng.uniform(0.25, 0.5) * seconds
    script = [Segment(lead_in, lead), Segment(action, seconds - lead)]
    planner = _plan(script, frames, fps, _Planner(rng, look))
    return film(np.concatenate(planner.world), np.concatenate(planner.facing), look, rng, shape,
                CLIP_FIGURE, tuple(planner.chairs), OCCLUSION)


def iter_script_frames(script: str | Sequence[Segment], fps: float, size: int | tuple[int, int],
                       seed: int, loop: bool = False) -> Iterator[np.ndarray]:
    """Frames of the scripted scene one by one (uint8 BGR); with `loop`, the scene repeats forever."""
    scene, _ = plan_script(script, fps, size, seed)
    while True:
        yield from scene.iter_frames()
        if not loop:
            return


def render_script(script: str | Sequence[Segment], fps: float, size: int | tuple[int, int],
                  seed: int) -> tuple[Iterator[np.ndarray], list[dict]]:
    """(lazy frames, timeline [{label, start_s, end_s}]) of the scripted scene."""
    scene, events = plan_script(script, fps, size, seed)
    return scene.iter_frames(), events
