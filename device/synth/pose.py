"""Body poses as plain vectors of joint angles, so keyframes blend by interpolation and a whole clip
is one (frames, fields) array.

Angles are in degrees. Conventions (side view, the figure faces +x):
- `tilt`: the whole body rotated forward about the hips (a forward fall goes to +90, backward to -90);
- `trunk`: torso lean forward from upright; `neck`: head bowed forward relative to the torso;
- `hip_*`: thigh swung forward from hanging straight down; `knee_*`: knee flexion (the shin folds back);
- `sho_*`: upper arm raised forward from lying along the torso (180 = straight up beside the head);
- `elb_*`: elbow flexion (the forearm folds forward/up).
`_n` is the limb nearer the camera, `_f` the farther one.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

FIELDS = ("tilt", "trunk", "neck", "hip_n", "knee_n", "hip_f", "knee_f",
          "sho_n", "elb_n", "sho_f", "elb_f")
INDEX = {name: i for i, name in enumerate(FIELDS)}

Ease = Callable[[np.ndarray], np.ndarray]


def pose(**angles: float) -> np.ndarray:
    """A pose vector; fields not given are 0 (standing straight, arms hanging)."""
    unknown = set(angles) - set(INDEX)
    if unknown:
        raise KeyError(f"unknown pose fields: {sorted(unknown)}")
    vector = np.zeros(len(FIELDS))
    for name, value in angles.items():
        vector[INDEX[name]] = value
    return vector


def with_fields(base: np.ndarray, **angles: float) -> np.ndarray:
    """`base` with some fields replaced (keyframes are mostly small edits of a neighbour)."""
    return base + pose(**{name: value - base[INDEX[name]] for name, value in angles.items()})


STAND = pose(sho_n=4, elb_n=10, sho_f=2, elb_f=8)


def smooth(u: np.ndarray) -> np.ndarray:
    """Ease in and out: limbs start and stop gently."""
    return u * u * (3.0 - 2.0 * u)


def accelerate(u: np.ndarray) -> np.ndarray:
    """Ease in only: a toppling body speeds up until it hits the floor."""
    return u * u * u


def keyframe_track(t: np.ndarray, keys: Sequence[tuple[float, np.ndarray, Ease]]) -> np.ndarray:
    """Poses at times `t` from keys (time_s, pose, ease into this key), held before the first and after
    the last key."""
    times = np.array([key[0] for key in keys], dtype=float)
    if np.any(np.diff(times) < 0):
        raise ValueError("keyframe times must not decrease")
    t = np.asarray(t, dtype=float)
    out = np.empty((t.size, len(FIELDS)))
    after = np.searchsorted(times, t, side="right")
    for i, ti in enumerate(t):
        k = after[i]
        if k == 0:
            out[i] = keys[0][1]
        elif k == len(keys):
            out[i] = keys[-1][1]
        else:
            (t0, p0, _), (t1, p1, ease) = keys[k - 1], keys[k]
            u = float(ease(np.clip((ti - t0) / max(t1 - t0, 1e-9), 0.0, 1.0)))
            out[i] = p0 + (p1 - p0) * u
    return out


def blend(first: np.ndarray, second: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per-frame mix of two pose arrays (weight 0 → first, 1 → second)."""
    return first + (second - first) * np.asarray(weight)[:, None]
