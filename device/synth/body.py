"""The articulated figure: body proportions and the forward kinematics from joint angles to the
capsules that get drawn.

Lengths are in units of a typical standing height, so a body's own height lands near 1. Everything is
vectorised over frames: a clip's poses (F, fields) become capsules (F, parts, 2 ends, xy) in one call.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from har_device.synth.pose import INDEX, STAND

# Drawing order, back to front: the far limbs behind the torso, the near limbs in front of it.
# Each part: (name, clothing slot, far side?).
PARTS: tuple[tuple[str, str, bool], ...] = (
    ("far_thigh", "pants", True), ("far_shin", "pants", True), ("far_foot", "shoes", True),
    ("far_upper_arm", "shirt", True), ("far_forearm", "sleeve", True), ("far_hand", "skin", True),
    ("torso", "shirt", False), ("neck", "skin", False), ("head", "skin", False),
    ("near_thigh", "pants", False), ("near_shin", "pants", False), ("near_foot", "shoes", False),
    ("near_upper_arm", "shirt", False), ("near_forearm", "sleeve", False), ("near_hand", "skin", False),
)
PART_INDEX = {name: i for i, (name, _, _) in enumerate(PARTS)}
HEAD = PART_INDEX["head"]
NECK = PART_INDEX["neck"]
TORSO = PART_INDEX["torso"]


def ankle_point(side: str) -> int:
    """Index of a foot's ankle among a frame's capsule ends flattened to (parts * 2) points."""
    return 2 * PART_INDEX[f"{side}_foot"]


@dataclass(frozen=True)
class Body:
    """Segment lengths and capsule radii of one person."""

    torso: float
    neck: float
    head: float
    upper_arm: float
    forearm: float
    thigh: float
    shin: float
    foot: float
    radius: dict[str, float]

    def radii(self) -> np.ndarray:
        return np.array([self.radius[name] for name, _, _ in PARTS])


def random_body(rng: np.random.Generator) -> Body:
    """A plausible adult of random build: leg/torso proportions, limb lengths and girth vary."""
    leg = rng.uniform(0.45, 0.52)
    knee_at = rng.uniform(0.48, 0.53)
    arm = rng.uniform(0.31, 0.36)
    girth = rng.uniform(0.8, 1.3)
    head = rng.uniform(0.058, 0.072)
    limb = {"upper_arm": 0.036 * girth, "forearm": 0.031 * girth, "hand": 0.032,
            "thigh": 0.048 * girth, "shin": 0.036 * girth, "foot": 0.022}
    radius = {"torso": 0.072 * girth, "neck": 0.024 * girth, "head": head}
    radius.update({f"{side}_{name}": r for name, r in limb.items() for side in ("near", "far")})
    return Body(
        torso=rng.uniform(0.27, 0.32), neck=rng.uniform(0.025, 0.04), head=head,
        upper_arm=arm * 0.53, forearm=arm * 0.47 - limb["hand"],
        thigh=leg * knee_at, shin=leg * (1 - knee_at), foot=rng.uniform(0.06, 0.08), radius=radius,
    )


def _down(angle: np.ndarray) -> np.ndarray:
    """Unit vector at `angle` (radians) from straight down, turning toward the facing side (+x)."""
    return np.stack([np.sin(angle), -np.cos(angle)], axis=-1)


def capsules(poses: np.ndarray, body: Body) -> np.ndarray:
    """Forward kinematics: (F, fields) degrees → (F, parts, 2, 2) capsule ends, hips at the origin,
    figure facing +x, y up. The feet are not yet on the floor (see `on_floor`)."""
    a = {name: np.radians(poses[:, i]) for name, i in INDEX.items()}
    frames = poses.shape[0]
    hip = np.zeros((frames, 2))
    up = -_down(a["trunk"])
    neck_base = hip + body.torso * up
    shoulder = hip + 0.86 * body.torso * up
    head_dir = -_down(a["trunk"] + a["neck"])
    head = neck_base + (body.neck + body.head * 0.8) * head_dir
    ends = {"torso": (hip, neck_base), "neck": (neck_base, head), "head": (head, head)}
    for side in ("near", "far"):
        hip_a, knee_a = a[f"hip_{side[0]}"], a[f"knee_{side[0]}"]
        knee = hip + body.thigh * _down(hip_a)
        ankle = knee + body.shin * _down(hip_a - knee_a)
        toe = ankle + body.foot * _down(hip_a - knee_a + np.pi / 2)
        arm_a = a[f"sho_{side[0]}"] - a["trunk"]
        elbow = shoulder + body.upper_arm * _down(arm_a)
        wrist = elbow + body.forearm * _down(arm_a + a[f"elb_{side[0]}"])
        ends.update({f"{side}_thigh": (hip, knee), f"{side}_shin": (knee, ankle),
                     f"{side}_foot": (ankle, toe), f"{side}_upper_arm": (shoulder, elbow),
                     f"{side}_forearm": (elbow, wrist), f"{side}_hand": (wrist, wrist)})
    caps = np.stack([np.stack(ends[name], axis=1) for name, _, _ in PARTS], axis=1)
    return _rotate_forward(caps, a["tilt"])


def _rotate_forward(caps: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    """Rotate each frame's figure about the hips, head toward +x for a positive tilt."""
    c, s = np.cos(tilt)[:, None, None], np.sin(tilt)[:, None, None]
    x, y = caps[..., 0], caps[..., 1]
    return np.stack([x * c + y * s, -x * s + y * c], axis=-1)


def on_floor(caps: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Lift or lower each frame so the lowest point of the figure touches the floor (y = 0): the body
    is never floating or sunk, whatever the pose."""
    lowest = (caps[..., 1] - radii[None, :, None]).min(axis=(1, 2))
    shifted = caps.copy()
    shifted[..., 1] -= lowest[:, None, None]
    return shifted


def standing_height(body: Body) -> float:
    """Floor-to-crown height of this body standing straight."""
    caps = on_floor(capsules(STAND[None, :], body), body.radii())
    return float((caps[..., 1] + body.radii()[None, :, None]).max())
