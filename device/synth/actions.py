"""The six actions as pose trajectories over time, plus the getting-up moves that join them in a scene.

Each maker draws its own variety from `rng` (speed, amplitude, which arm, how the person falls) and
returns a `Motion`: a function from seconds-since-start to poses, and the state it leaves the body in.
One-shot actions (fall, sit, bend) happen inside the `span` they are given; periodic ones (walk, wave,
idle) fill it. The geometry the classes are told apart by:
- fall: the body topples within ~0.5-0.9 s and ends lying flat (forward, backward or after the knees
  buckle), and stays down;
- bend: the torso leans forward at most ~78°, the hips stay up on nearly straight legs, and the body
  comes back upright before the span ends;
- sit: the hips go down and back onto a seat and stay there; walk: legs swing, the body travels;
- wave: one arm (sometimes both) goes up above the head and the forearm swings; idle: small sway only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from har_device.synth.body import ankle_point
from har_device.synth.pose import (
    INDEX,
    STAND,
    accelerate,
    keyframe_track,
    pose,
    smooth,
    with_fields,
)

LABELS = ("fall", "walk", "sit", "bend", "wave", "idle")
STANDING, LYING, SEATED = "standing", "lying", "seated"


@dataclass(frozen=True)
class Motion:
    """Poses over time (seconds since the motion began → (F, fields) degrees) and what a scene needs to
    stage it: the state the body is left in (`end`), which way a fall topples (`heading` +1 forward,
    -1 backward, so the figure can be turned to land in view), whether it travels (a walker is kept in
    the room), when the hips reach the seat (`seated_at`, where the chair goes) and, for a walk, which
    capsule end is `planted` at each time (otherwise the lowest point stays put)."""

    poses: Callable[[np.ndarray], np.ndarray]
    end: str = STANDING
    heading: int = 0
    travels: bool = False
    seated_at: float | None = None
    planted: Callable[[np.ndarray], np.ndarray] | None = None


def relaxed_stance(rng: np.random.Generator) -> np.ndarray:
    """Standing at ease, in one of a few arm postures (hanging, hands together, hands on hips)."""
    u = rng.uniform
    arms = [
        dict(sho_n=u(0, 10), elb_n=u(5, 20), sho_f=u(0, 10), elb_f=u(5, 20)),
        dict(sho_n=u(15, 30), elb_n=u(60, 90), sho_f=u(15, 30), elb_f=u(60, 90)),
        dict(sho_n=u(-25, -10), elb_n=u(60, 90), sho_f=u(-25, -10), elb_f=u(60, 90)),
    ][rng.integers(3)]
    return pose(trunk=u(-2, 4), neck=u(-5, 10), hip_n=u(-3, 4), hip_f=u(-3, 4),
                knee_n=u(0, 5), knee_f=u(0, 5), **arms)


def _sway(rng: np.random.Generator, scale: float = 1.0) -> Callable[[np.ndarray], np.ndarray]:
    """Slow body sway and small head/arm drift: a standing person is never perfectly still."""
    period, phase = rng.uniform(2.0, 4.0), rng.uniform(0, 2 * np.pi)
    tilt, neck, arm = rng.uniform(1.0, 3.0) * scale, rng.uniform(2, 6) * scale, rng.uniform(2, 6) * scale

    def delta(t: np.ndarray) -> np.ndarray:
        w = 2 * np.pi * t / period + phase
        out = np.zeros((t.size, len(INDEX)))
        out[:, INDEX["tilt"]] = tilt * np.sin(w)
        out[:, INDEX["neck"]] = neck * np.sin(0.7 * w + 1.0)
        out[:, INDEX["sho_n"]] = arm * np.sin(0.5 * w)
        out[:, INDEX["sho_f"]] = -arm * np.sin(0.5 * w + 0.5)
        return out

    return delta


def idle(rng: np.random.Generator, span: float) -> Motion:
    base, sway = relaxed_stance(rng), _sway(rng)
    return Motion(lambda t: base + sway(t))


def walk(rng: np.random.Generator, span: float) -> Motion:
    """Gait: the swinging leg's knee flexes, arms counter-swing. The foot of the leg moving backward
    (the stance leg) stays planted, which is what carries the body forward (see placement)."""
    u = rng.uniform
    period, phase = u(1.0, 1.4), u(0, 2 * np.pi)
    hip_amp, knee_amp, arm_amp = u(15, 24), u(35, 55), u(15, 30)
    base = pose(trunk=u(2, 8), neck=u(-5, 10), elb_n=u(10, 35), elb_f=u(10, 35))
    def cycle(t: np.ndarray) -> np.ndarray:
        return 2 * np.pi * t / period + phase

    def poses(t: np.ndarray) -> np.ndarray:
        w = cycle(t)
        swing = np.sin(w)
        out = np.repeat(base[None, :], t.size, axis=0)
        out[:, INDEX["hip_n"]] = hip_amp * swing
        out[:, INDEX["hip_f"]] = -hip_amp * swing
        out[:, INDEX["knee_n"]] = 4 + knee_amp * np.maximum(0.0, np.cos(w)) ** 1.5
        out[:, INDEX["knee_f"]] = 4 + knee_amp * np.maximum(0.0, -np.cos(w)) ** 1.5
        out[:, INDEX["sho_n"]] = 4 - arm_amp * swing
        out[:, INDEX["sho_f"]] = 4 + arm_amp * swing
        return out

    def planted(t: np.ndarray) -> np.ndarray:
        return np.where(np.cos(cycle(t)) < 0, ankle_point("near"), ankle_point("far"))

    return Motion(poses, travels=True, planted=planted)


def wave(rng: np.random.Generator, span: float) -> Motion:
    """An arm goes up, nearly vertical, the hand well above the head, and the forearm swings to and
    fro (with a little of the upper arm): clear even when it is the far arm, behind the head."""
    u = rng.uniform
    base = relaxed_stance(rng)
    base[[INDEX["sho_n"], INDEX["elb_n"], INDEX["sho_f"], INDEX["elb_f"]]] = [u(0, 10), u(5, 20),
                                                                           u(0, 10), u(5, 20)]
    sides = [["n"], ["f"], ["n", "f"]][rng.choice(3, p=[0.6, 0.15, 0.25])]
    raise_at, raise_for = u(0, min(0.2 * span, 0.4)), u(0.25, 0.4)
    shoulder, centre, amp, period = u(150, 180), u(10, 30), u(20, 35), u(0.45, 0.8)
    raised = base.copy()
    for side in sides:
        raised[INDEX[f"sho_{side}"]], raised[INDEX[f"elb_{side}"]] = shoulder, centre
    sway = _sway(rng, 0.5)

    def poses(t: np.ndarray) -> np.ndarray:
        out = keyframe_track(t, [(raise_at, base, smooth), (raise_at + raise_for, raised, smooth)])
        up = np.clip((t - raise_at) / raise_for, 0.0, 1.0)
        swing = up * np.sin(2 * np.pi * (t - raise_at) / period)
        for side in sides:
            out[:, INDEX[f"elb_{side}"]] += amp * swing
            out[:, INDEX[f"sho_{side}"]] += 0.5 * amp * swing
        return out + sway(t)

    return Motion(poses)


def bend(rng: np.random.Generator, span: float) -> Motion:
    """Bend down to pick something up and straighten again, once per ~2.4 s of span: the torso goes
    forward and the arms reach down, but the legs stay nearly straight so the hips stay high."""
    u = rng.uniform
    base = relaxed_stance(rng)
    lead, tail = u(0, min(0.15 * span, 0.4)), u(0, 0.08 * span)
    reps = max(1, round((span - lead - tail) / 2.4))
    each = (span - lead - tail) / reps
    trunk = u(55, 78)
    down = with_fields(base, trunk=trunk, neck=u(10, 30), hip_n=u(5, 18), hip_f=u(-3, 10),
                       knee_n=u(3, 15), knee_f=u(3, 15), sho_n=trunk + u(-10, 20), elb_n=u(0, 25),
                       sho_f=trunk + u(-10, 20), elb_f=u(0, 25))
    reach = with_fields(down, sho_n=down[INDEX["sho_n"]] + u(5, 15), sho_f=down[INDEX["sho_f"]] + u(5, 15))
    down_at, hold_to = u(0.3, 0.45), u(0.55, 0.7)
    keys = [(lead, base, smooth)]
    for k in range(reps):
        start = lead + k * each
        keys += [(start + down_at * each, down, smooth), (start + hold_to * each, reach, smooth),
                 (start + each, base, smooth)]
    sway = _sway(rng, 0.5)
    return Motion(lambda t: keyframe_track(t, keys) + sway(t))


def sit(rng: np.random.Generator, span: float) -> Motion:
    """Lower the hips back and down onto a seat (lean forward on the way), then stay seated."""
    u = rng.uniform
    base = relaxed_stance(rng)
    lead = u(0, min(0.25 * span, 0.6))
    down = min(u(0.7, 1.2), 0.55 * span)
    mid = with_fields(base, trunk=u(30, 45), hip_n=u(40, 50), hip_f=u(40, 50), knee_n=u(50, 60),
                      knee_f=u(50, 60), sho_n=u(20, 40), sho_f=u(20, 40))
    hip, knee = u(82, 95), u(82, 100)
    seated = pose(trunk=u(-5, 12), neck=u(-5, 10), hip_n=hip, knee_n=knee, hip_f=hip + u(-8, 5),
                  knee_f=knee + u(-10, 10), sho_n=u(25, 50), elb_n=u(40, 70), sho_f=u(25, 50),
                  elb_f=u(40, 70))
    keys = [(lead, base, smooth), (lead + 0.45 * down, mid, smooth), (lead + down, seated, smooth)]
    sway = _sway(rng, 0.6)

    def poses(t: np.ndarray) -> np.ndarray:
        settling = np.clip((lead + down - t) / down, 0.0, 1.0)[:, None]  # the sway dies out once seated
        return keyframe_track(t, keys) + sway(t) * settling

    return Motion(poses, end=SEATED, seated_at=lead + down)


def lying_pose(rng: np.random.Generator, heading: int) -> np.ndarray:
    """Flat on the floor, face down (heading +1) or on the back (-1). Face down, every forward angle
    points into the floor, so limbs only fold backward (upward); on the back, knees and arms may lift a
    little. Nothing sticks up: the body's height stays a fraction of its standing height."""
    u = rng.uniform
    overhead = rng.random() < 0.5
    if heading > 0:
        arms = [u(175, 190), u(175, 190)] if overhead else [u(-8, 3), u(-8, 3)]
        return pose(tilt=u(87, 92), trunk=u(-3, 2), neck=u(-15, 0), hip_n=u(-4, 2), hip_f=u(-4, 2),
                    knee_n=u(0, 20), knee_f=u(0, 20), sho_n=arms[0], elb_n=u(0, 8), sho_f=arms[1],
                    elb_f=u(0, 8))
    arms = [u(160, 185), u(160, 185)] if overhead else [u(-5, 20), u(-5, 20)]
    hip_n, hip_f = u(0, 15), u(0, 15)
    return pose(tilt=-u(86, 92), trunk=u(-2, 4), neck=u(-5, 10), hip_n=hip_n, hip_f=hip_f,
                knee_n=u(0, hip_n + 10), knee_f=u(0, hip_f + 10), sho_n=arms[0], elb_n=u(0, 25),
                sho_f=arms[1], elb_f=u(0, 25))


def fall(rng: np.random.Generator, span: float) -> Motion:
    """Topple within ~0.5-0.9 s (accelerating, as a falling body does) and end lying flat: forward,
    backward, or collapsing at the knees first."""
    u = rng.uniform
    base = relaxed_stance(rng)
    tip = min(u(0.5, 0.9), 0.45 * span)
    lead = min(u(0.05, 0.4) * span, 0.8, 0.85 * span - tip)
    style = rng.choice(["forward", "backward", "collapse"])
    heading = {"forward": 1, "backward": -1}.get(style, int(rng.choice([-1, 1])))
    if style == "forward":
        mid_at, mid = 0.3, with_fields(base, tilt=u(8, 15), hip_n=u(0, 15), hip_f=u(0, 15),
                                       knee_n=u(10, 25), knee_f=u(10, 25), sho_n=u(30, 60),
                                       sho_f=u(30, 60))
    elif style == "backward":
        mid_at, mid = 0.35, with_fields(base, tilt=u(-12, -5), trunk=u(5, 15), hip_n=u(20, 40),
                                        hip_f=u(20, 40), knee_n=u(20, 40), knee_f=u(20, 40),
                                        sho_n=u(30, 80), sho_f=u(30, 80))
    else:
        mid_at, mid = 0.45, with_fields(base, trunk=u(10, 25), hip_n=u(35, 50), hip_f=u(35, 50),
                                        knee_n=u(70, 95), knee_f=u(70, 95), sho_n=u(20, 50),
                                        sho_f=u(20, 50))
    down = lying_pose(rng, heading)
    settled = with_fields(down, neck=down[INDEX["neck"]] + u(-5, 5))
    keys = [(lead, base, smooth), (lead + mid_at * tip, mid, smooth), (lead + tip, down, accelerate),
            (lead + tip + 0.3, settled, smooth)]
    return Motion(lambda t: keyframe_track(t, keys), end=LYING, heading=heading)


MAKERS: dict[str, Callable[[np.random.Generator, float], Motion]] = {
    "fall": fall, "walk": walk, "sit": sit, "bend": bend, "wave": wave, "idle": idle,
}


def make_motion(label: str, rng: np.random.Generator, span: float) -> Motion:
    return MAKERS[label](rng, span)


def get_up(rng: np.random.Generator, lying: np.ndarray, span: float) -> tuple[Motion, float]:
    """From the floor back to standing: face down → hands and knees → kneel; on the back → sit up with
    legs out → crouch. Returns the motion and its duration."""
    u = rng.uniform
    took = min(u(1.4, 2.0), 0.6 * span)
    if lying[INDEX["tilt"]] > 0:
        steps = [pose(trunk=u(75, 90), neck=u(-20, 0), knee_n=90, knee_f=90, sho_n=85, sho_f=85),
                 pose(trunk=u(5, 15), hip_n=u(80, 95), knee_n=90, knee_f=90, sho_n=20, sho_f=20)]
    else:
        steps = [pose(hip_n=90, hip_f=90, sho_n=u(-30, -10), sho_f=u(-30, -10)),
                 pose(trunk=u(35, 50), hip_n=120, knee_n=140, hip_f=115, knee_f=135, sho_n=60, sho_f=60)]
    keys = [(0.0, lying, smooth), (0.4 * took, steps[0], smooth), (0.75 * took, steps[1], smooth),
            (took, STAND, smooth)]
    return Motion(lambda t: keyframe_track(t, keys)), took


def stand_up(rng: np.random.Generator, seated: np.ndarray, span: float) -> tuple[Motion, float]:
    """From the chair to standing: lean forward over the feet, then push up."""
    took = min(rng.uniform(0.8, 1.2), 0.5 * span)
    lean = pose(trunk=rng.uniform(35, 45), hip_n=60, knee_n=70, hip_f=60, knee_f=70, sho_n=30, sho_f=30)
    keys = [(0.0, seated, smooth), (0.45 * took, lean, smooth), (took, STAND, smooth)]
    return Motion(lambda t: keyframe_track(t, keys)), took
