"""Keypoint sequences from the synthetic body's kinematics: what the pose stage would report for a
person doing the actions, seen from anywhere, without rendering a pixel.

The figure moves in a side-view plane (`body`, `actions`, `placement`: x forward, y up). Here it is
lifted to 3D: the plane is the body's sagittal plane, the near limbs sit half a hip or shoulder width
in front of it (+z) and the far ones behind (-z), and the face points are placed on the head from its
facing. Limbs keep their sides: facing +x the near side is the right one, facing -x the left one.
Then a random pinhole camera films it (height 0.5-3 m, any yaw, 1.5-8 m away from the nearest point
of the body's path, tilted toward it, a random field of view), and the pose stage's kinds of error
are applied (`add_errors`): jitter, missed frames, low visibility on hidden joints, left/right swaps
and a person partly out of the picture. Units: the figure is in standing heights, scaled to a random
height in metres.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm import tqdm

from har_device.core.atomic import atomic_dir
from har_device.core.keypoints import INDEX, KEYPOINTS, MIRROR, SEQUENCE_SUFFIX, save_sequence
from har_device.synth.actions import LABELS, LYING, lying_pose
from har_device.synth.added import copy_added, plan_added
from har_device.synth.body import PART_INDEX, Body, standing_height
from har_device.synth.dataset import (
    LEAD_INS,
    DatasetSpec,
    check_output,
    clip_name,
    clip_slots,
    group_look,
    split_lists,
)
from har_device.synth.look import Look
from har_device.synth.script import Segment, plan_motion

SKELETON_LABELS = LABELS + ("lying", "getting_up")
IMAGE_SIZES = ((480, 640), (720, 1280), (640, 480))  # (height, width)
PARTLY_OUT = 0.15
HAND = 0.1  # hand length, standing heights
EXTREMITIES = [i for name, i in INDEX.items()
               if name.split("_", 1)[-1] in ("wrist", "pinky", "index", "thumb", "ankle", "heel",
                                             "foot_index")]
# Jitter per landmark, relative: the landmark model is steadiest at the hips and shakiest at the
# hands and feet (measured on renders, frame-to-frame: wrists and ankles 4-6x the hips).
JITTER = np.ones(KEYPOINTS)
JITTER[EXTREMITIES] = 2.5
JITTER[[INDEX[f"{s}_{j}"] for s in ("left", "right") for j in ("elbow", "knee")]] = 1.5
JITTER[[INDEX["left_hip"], INDEX["right_hip"]]] = 0.6
MAX_VIEW_TRIES = 30
# How often, and how far, the pose stage reads a body bent far over as a crouch (`read_as_crouch`).
CROUCH_READ = 0.5
CROUCH_SLIDE = (0.2, 0.8)
BEND_FROM, BEND_FULL = 35.0, 70.0  # degrees of torso lean
UPPER_BODY = [i for name, i in INDEX.items()
              if name.split("_", 1)[-1] not in ("knee", "ankle", "heel", "foot_index")]
# One-shot actions a person may stay in: a window over continuous video ends anywhere in them. (A
# fall is always seen whole: its window is the one that must show the topple.)
OPEN_ENDED = ("bend", "sit")

# Face points on the head: (forward, up, right) in head radii; "right" points go to the person's
# right, their twins (the same with -right) to the left.
FACE = {"nose": (1.0, -0.15, 0.0), "right_eye_inner": (0.85, 0.2, 0.15),
        "right_eye": (0.8, 0.22, 0.3), "right_eye_outer": (0.72, 0.22, 0.45),
        "right_ear": (0.0, 0.1, 0.95), "mouth_right": (0.85, -0.45, 0.25)}


@dataclass(frozen=True)
class Build:
    """What the side-view body lacks: size in metres and the widths across the body; and where the
    landmark model puts the points the capsule figure has no exact twin for. `hip_drop`: the hip
    landmarks' place down the thigh (share of its length; below 0 up the torso); `head_reach`: the
    face points' distance above the shoulders, as a share of the figure's. Both vary widely: the
    pose stage's hips and face on renders sit lower than the figure's joints (measured: ankles 1.4
    torso lengths below the hips, the nose 0.2 above the shoulders, against 1.8 and 0.5 here
    without them), and people's proportions differ from the renders' anyway."""

    height_m: float
    shoulder_half: float  # standing heights
    hip_half: float
    hip_drop: float = 0.0
    head_reach: float = 1.0


def random_build(rng: np.random.Generator) -> Build:
    return Build(rng.uniform(1.5, 1.95), rng.uniform(0.1, 0.125), rng.uniform(0.045, 0.06),
                 rng.uniform(-0.1, 0.4), rng.uniform(0.4, 1.0))


@dataclass(frozen=True)
class View:
    """A pinhole camera: pixel = (cx + f·X/Z, cy − f·Y/Z) in its (right, up, forward) axes."""

    position: np.ndarray
    axes: np.ndarray  # rows: right, up, forward (world, y up)
    focal: float
    cx: float
    cy: float
    size: tuple[int, int]


def joints_3d(world: np.ndarray, facing: np.ndarray, body: Body, build: Build) -> np.ndarray:
    """World capsules (F, parts, 2, 2) → the 33 landmarks (F, 33, 3) in metres, y up."""
    metres = build.height_m / standing_height(body)
    caps = world * metres
    out = np.zeros((len(caps), KEYPOINTS, 3))
    for near, sign in (("near", 1.0), ("far", -1.0)):
        # facing +x the near side is the person's right, facing -x their left
        right = facing * sign > 0
        for joint, (xy, z) in _limb_points(caps, near, sign, build, metres).items():
            for side, rows in (("right", right), ("left", ~right)):
                out[rows, INDEX[f"{side}_{joint}"], :2] = xy[rows]
                out[rows, INDEX[f"{side}_{joint}"], 2] = z
    _face(out, caps, facing, body.head * metres)
    _landmark_conventions(out, build)
    return out


def _landmark_conventions(out: np.ndarray, build: Build) -> None:
    """Move the hips down the thighs by `hip_drop` and the face toward the shoulders by
    `head_reach` (see `Build`)."""
    for side in ("left", "right"):
        hip, knee = INDEX[f"{side}_hip"], INDEX[f"{side}_knee"]
        out[:, hip] += build.hip_drop * (out[:, knee] - out[:, hip])
    shoulders = out[:, [INDEX["left_shoulder"], INDEX["right_shoulder"]]].mean(axis=1)
    face = slice(0, INDEX["mouth_right"] + 1)
    out[:, face] = shoulders[:, None] + build.head_reach * (out[:, face] - shoulders[:, None])


def _limb_points(caps: np.ndarray, near: str, sign: float, build: Build,
                 metres: float) -> dict[str, tuple[np.ndarray, float]]:
    """The arm, leg, hand and foot landmarks of one side: (sagittal xy (F, 2), lateral z)."""
    def end(part: str, which: int) -> np.ndarray:
        return caps[:, PART_INDEX[f"{near}_{part}"], which]

    arm_z, leg_z = sign * build.shoulder_half * metres, sign * build.hip_half * metres
    ankle, toe, wrist = end("foot", 0), end("foot", 1), end("hand", 0)
    forearm = wrist - end("upper_arm", 1)
    forearm /= np.maximum(np.linalg.norm(forearm, axis=-1, keepdims=True), 1e-9)
    hand = HAND * metres
    return {"shoulder": (end("upper_arm", 0), arm_z), "elbow": (end("upper_arm", 1), arm_z * 1.1),
            "wrist": (wrist, arm_z * 1.05), "index": (wrist + 0.75 * hand * forearm, arm_z),
            "pinky": (wrist + 0.65 * hand * forearm, arm_z * 1.15),
            "thumb": (wrist + 0.45 * hand * forearm, arm_z * 0.85),
            "hip": (end("thigh", 0), leg_z), "knee": (end("thigh", 1), leg_z * 1.1),
            "ankle": (ankle, leg_z * 1.2), "heel": (ankle + 0.3 * (ankle - toe), leg_z * 1.2),
            "foot_index": (toe, leg_z * 1.2)}


def _face(out: np.ndarray, caps: np.ndarray, facing: np.ndarray, radius: float) -> None:
    """Nose, eyes, ears and mouth placed on the head from the neck-to-head direction and facing."""
    head, neck = caps[:, PART_INDEX["head"], 0], caps[:, PART_INDEX["neck"], 0]
    up = (head - neck) / np.maximum(np.linalg.norm(head - neck, axis=-1, keepdims=True), 1e-9)
    forward = np.stack([up[:, 1], -up[:, 0]], axis=-1) * facing[:, None]
    right = facing.astype(float)  # the person's right is +z facing +x, -z facing -x
    for name, (f, u, r) in FACE.items():
        twins = [(name, r)] if r == 0 else [(name, r), (_left_twin(name), -r)]
        for twin, lateral in twins:
            out[:, INDEX[twin], :2] = head + radius * (f * forward + u * up)
            out[:, INDEX[twin], 2] = radius * lateral * right


def _left_twin(name: str) -> str:
    return name.replace("right", "left")


def random_view(rng: np.random.Generator, points: np.ndarray, partly_out: bool) -> View:
    """A camera that sees the whole path of `points` (F, 33, 3) metres, or on purpose part of the
    person out of the picture; redrawn until it does (at most MAX_VIEW_TRIES times: the last draw
    is kept, its points outside the picture then treated as such by `add_errors`)."""
    for _ in range(MAX_VIEW_TRIES):
        view = _draw_view(rng, points)
        pixels, depth = _to_camera(points, view)
        if (depth <= 0.3).any():
            continue
        height, width = view.size
        low, high = pixels.reshape(-1, 2).min(axis=0), pixels.reshape(-1, 2).max(axis=0)
        inside = (low >= 0).all() and (high[0] < width) and (high[1] < height)
        if inside and not partly_out:
            return view
        if inside and partly_out:
            return _shift_out(rng, view, low, high)
    return view


def _draw_view(rng: np.random.Generator, points: np.ndarray) -> View:
    ground = points[..., [0, 2]].reshape(-1, 2)
    centre = ground.mean(axis=0)
    reach = float(np.linalg.norm(ground - centre, axis=1).max())
    yaw = rng.uniform(0, 2 * np.pi)
    away = np.array([np.sin(yaw), np.cos(yaw)])
    distance = rng.uniform(1.5, 8.0) + reach
    height = rng.uniform(0.5, 3.0)
    position = np.array([centre[0] + distance * away[0], height, centre[1] + distance * away[1]])
    aim = rng.uniform(0.3, 1.1)
    pitch = np.arctan2(height - aim, distance) + np.radians(rng.normal(0, 3))
    roll = np.radians(rng.normal(0, 2))
    level = -np.array([away[0], 0.0, away[1]])
    forward = np.cos(pitch) * level + np.sin(pitch) * np.array([0.0, -1.0, 0.0])
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    right, up = np.cos(roll) * right + np.sin(roll) * up, np.cos(roll) * up - np.sin(roll) * right
    size = IMAGE_SIZES[rng.choice(len(IMAGE_SIZES), p=[0.5, 0.3, 0.2])]
    focal = size[1] / 2 / np.tan(np.radians(rng.uniform(45, 95)) / 2)
    return View(position, np.stack([right, up, forward]), focal, size[1] / 2, size[0] / 2, size)


def _to_camera(points: np.ndarray, view: View) -> tuple[np.ndarray, np.ndarray]:
    """(pixels (..., 2), depth (...)) of world points."""
    local = (points - view.position) @ view.axes.T
    depth = local[..., 2]
    safe = np.where(depth > 1e-6, depth, 1e-6)
    pixels = np.stack([view.cx + view.focal * local[..., 0] / safe,
                       view.cy - view.focal * local[..., 1] / safe], axis=-1)
    return pixels, depth


def _shift_out(rng: np.random.Generator, view: View, low: np.ndarray, high: np.ndarray) -> View:
    """Move the picture (the principal point) so that 15-45 % of the person's extent along one
    side falls outside it, as a camera that frames someone badly does."""
    share = rng.uniform(0.15, 0.45)
    axis, sign = int(rng.integers(2)), float(rng.choice([-1.0, 1.0]))
    limit = view.size[1 - axis]
    extent = high[axis] - low[axis]
    offset = (limit + share * extent - high[axis]) if sign > 0 else (-share * extent - low[axis])
    cx, cy = (view.cx + offset, view.cy) if axis == 0 else (view.cx, view.cy + offset)
    return View(view.position, view.axes, view.focal, cx, cy, view.size)


def project(points: np.ndarray, view: View) -> np.ndarray:
    """World landmarks (F, 33, 3) → pixel x, y and BlazePose's z (depth relative to the hips, in
    pixels at the hips' distance): (F, 33, 3)."""
    pixels, depth = _to_camera(points, view)
    hips = depth[:, [INDEX["left_hip"], INDEX["right_hip"]]].mean(axis=1, keepdims=True)
    z = (depth - hips) * view.focal / hips
    return np.concatenate([pixels, z[..., None]], axis=-1)


def true_visibility(rng: np.random.Generator, points: np.ndarray, facing: np.ndarray,
                    view: View) -> np.ndarray:
    """(F, 33) visibility as the landmark model reports it: high for joints facing the camera,
    low for the far side's limbs when seen side-on and for the face seen from behind."""
    frames = len(points)
    hips = points[:, [INDEX["left_hip"], INDEX["right_hip"]]].mean(axis=1)
    to_camera = view.position - hips
    to_camera /= np.linalg.norm(to_camera, axis=-1, keepdims=True)
    right_side = facing.astype(float) * to_camera[:, 2]  # > 0: the camera sees the person's right
    nose, head = points[:, INDEX["nose"]], points[:, [INDEX["left_ear"], INDEX["right_ear"]]].mean(1)
    face_on = np.einsum("fi,fi->f", nose - head, to_camera) / np.maximum(
        np.linalg.norm(nose - head, axis=-1), 1e-9)
    visibility = rng.uniform(0.85, 1.0, (frames, KEYPOINTS))
    hidden = rng.uniform(0.05, 0.5, (frames, KEYPOINTS))
    for index, name in enumerate(INDEX):
        if name.startswith("left_") or name == "mouth_left":
            covered = right_side > 0.45
        elif name.startswith("right_") or name == "mouth_right":
            covered = right_side < -0.45
        else:
            covered = np.zeros(frames, bool)
        if index <= INDEX["mouth_right"] and "ear" not in name:
            covered = covered | (face_on < -0.2)
        visibility[covered, index] = hidden[covered, index]
    return visibility


def add_errors(rng: np.random.Generator, pixels: np.ndarray, visibility: np.ndarray,
               size: tuple[int, int], low: np.ndarray) -> np.ndarray:
    """The pose stage's output (F, 33, 5) from the true pixels (F, 33, 3) and visibility (F, 33):
    jitter (more on hidden joints and on hands and feet, `JITTER`), hands and feet misplaced for a
    frame or three, joints outside the picture with low visibility and presence, missed frames in
    short bursts (more for small people or a torso far from upright, `low`, and when most of the
    body is out of the picture) as NaN, and short bursts of left/right swaps."""
    frames = len(pixels)
    height, width = size
    person = max(float(np.nanmax(np.ptp(pixels[..., 1], axis=1))), 1.0)
    sigma = rng.uniform(0.002, 0.012) * person * JITTER[None, :] * (1 + 2 * (1 - visibility))
    out = np.empty((frames, KEYPOINTS, 5), np.float32)
    out[..., :3] = pixels + rng.normal(0, 1, pixels.shape) * sigma[..., None]
    out[..., :2] += _misplaced(rng, frames, person)
    outside = ((pixels[..., 0] < 0) | (pixels[..., 0] >= width) | (pixels[..., 1] < 0)
               | (pixels[..., 1] >= height))
    out[..., 3] = np.where(outside, rng.uniform(0.0, 0.2, outside.shape), visibility)
    out[..., 4] = np.where(outside, rng.uniform(0.0, 0.3, outside.shape),
                           rng.uniform(0.9, 1.0, outside.shape))
    swapped = _bursts(rng, frames, rng.uniform(0, 0.04) if rng.random() < 0.3 else 0.0)
    out[swapped] = out[swapped][:, MIRROR]
    miss_rate = rng.uniform(0.0, 0.06) * (3.0 if person < 100 else 1.0)
    missed = _bursts(rng, frames, miss_rate) | (_bursts(rng, frames, miss_rate) & low)
    missed |= outside.mean(axis=1) > 0.6
    out[missed] = np.nan
    return out


def _misplaced(rng: np.random.Generator, frames: int, person: float) -> np.ndarray:
    """(F, 33, 2) pixel offsets: now and then a hand or foot landmark put 10-30 % of the person's
    height away for 1-4 frames, as the landmark model does with thin or blurred limbs."""
    offsets = np.zeros((frames, KEYPOINTS, 2))
    rate = rng.uniform(0.0, 0.04)
    for joint in EXTREMITIES:
        for start in np.flatnonzero(rng.random(frames) < rate):
            angle = rng.uniform(0, 2 * np.pi)
            jump = rng.uniform(0.1, 0.3) * person * np.array([np.cos(angle), np.sin(angle)])
            offsets[start:start + int(rng.integers(1, 5)), joint] = jump
    return offsets


def _bursts(rng: np.random.Generator, frames: int, rate: float) -> np.ndarray:
    """Frames (F,) bool covered by bursts of 1-4 frames starting at `rate` per frame."""
    hit = np.zeros(frames, bool)
    for start in np.flatnonzero(rng.random(frames) < rate):
        hit[start:start + int(rng.integers(1, 5))] = True
    return hit


def plan_world(label: str, frames: int, fps: float, rng: np.random.Generator, look: Look,
               lead_in: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World capsules, facing and a flag per frame for a torso over 60° from upright (lying, or bent
    far over: the pose stage loses those more often) of one sequence of `label` (an action of
    `SKELETON_LABELS`), played at a random speed (0.8-1.25x), optionally opening with the end of
    `lead_in` as a window over continuous motion does."""
    speed = rng.uniform(0.8, 1.25)
    seconds, rate = frames / fps * speed, fps / speed
    if label == "lying":
        start = (LYING, lying_pose(rng, int(rng.choice([-1, 1]))))
        world, facing = plan_motion([], frames, rate, rng, look, start, hold=seconds)
    elif label == "getting_up":
        start = (LYING, lying_pose(rng, int(rng.choice([-1, 1]))))
        hold = rng.uniform(0.0, 0.3) * seconds
        world, facing = plan_motion([Segment("idle", seconds - hold)], frames, rate, rng, look,
                                    start, hold=hold)
    else:
        world, facing = _open_window(label, frames, rate, rng, look, lead_in)
    torso = world[:, PART_INDEX["torso"]]
    rise = np.abs(torso[:, 1, 1] - torso[:, 0, 1]) / np.maximum(
        np.linalg.norm(torso[:, 1] - torso[:, 0], axis=-1), 1e-9)
    return world, facing, rise < 0.5


def _open_window(label: str, frames: int, rate: float, rng: np.random.Generator, look: Look,
                 lead_in: str | None) -> tuple[np.ndarray, np.ndarray]:
    """`frames` frames of `label` (optionally after the end of `lead_in`). An OPEN_ENDED action is
    planned up to twice as long and cut at a random point, so the window may end while the person is
    still bent over or has long sat down: a window sliding over a camera's video sees the action at
    every stage, not only whole."""
    extra = int(rng.integers(0, frames + 1)) if label in OPEN_ENDED else 0
    seconds = (frames + extra) / rate
    if lead_in is None:
        segments, offset = [Segment(label, seconds)], int(rng.integers(0, extra + 1)) if extra else 0
    else:
        lead = rng.uniform(0.25, 0.5) * frames / rate
        segments, offset = [Segment(lead_in, lead), Segment(label, seconds - lead)], 0
    world, facing = plan_motion(segments, frames + extra, rate, rng, look)
    return world[offset:offset + frames], facing[offset:offset + frames]


def skeleton_sequence(label: str, frames: int, fps: float, rng: np.random.Generator, look: Look,
                      build: Build, lead_in: str | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """One sequence as the pose stage would report it: ((F, 33, 5) float32, image (height, width))."""
    world, facing, low = plan_world(label, frames, fps, rng, look, lead_in)
    points = joints_3d(world, facing, look.body, build)
    view = random_view(rng, points, partly_out=rng.random() < PARTLY_OUT)
    pixels = project(points, view)
    if rng.random() < CROUCH_READ:
        pixels = read_as_crouch(pixels, bend_depth(points), rng.uniform(*CROUCH_SLIDE))
    visibility = true_visibility(rng, points, facing, view)
    return add_errors(rng, pixels, visibility, view.size, low), view.size


def bend_depth(points: np.ndarray) -> np.ndarray:
    """(F,) 0 for a torso within BEND_FROM of upright, rising to 1 at BEND_FULL, for a body whose
    hips are above its knees (bent over, not lying or sitting on the floor); from world landmarks
    (F, 33, 3) in metres, y up."""
    hips = points[:, [INDEX["left_hip"], INDEX["right_hip"]]].mean(axis=1)
    shoulders = points[:, [INDEX["left_shoulder"], INDEX["right_shoulder"]]].mean(axis=1)
    knees = points[:, [INDEX["left_knee"], INDEX["right_knee"]]].mean(axis=1)
    torso = shoulders - hips
    lean = np.degrees(np.arccos(np.clip(torso[:, 1] / np.maximum(np.linalg.norm(torso, axis=1), 1e-9),
                                        -1.0, 1.0)))
    depth = np.clip((lean - BEND_FROM) / (BEND_FULL - BEND_FROM), 0.0, 1.0)
    return np.where(hips[:, 1] > knees[:, 1], depth, 0.0)


def read_as_crouch(pixels: np.ndarray, depth: np.ndarray, slide: float) -> np.ndarray:
    """The landmark model's reading of a body bent far over as a crouch: everything above the knees
    slid down the thighs by `slide` of their length (times `depth`), so the hips sink toward the
    knees and the legs look folded while the torso keeps its shape. Measured on har-synth renders
    of a person bent 45-100° over: the stage put the ankles a median 1.24-1.33 torso lengths below
    the hips (a quarter of frames under 0.6-0.87) against 1.46 standing and 1.8 really."""
    out = pixels.copy()
    knees = pixels[:, [INDEX["left_knee"], INDEX["right_knee"]], :2].mean(axis=1)
    hips = pixels[:, [INDEX["left_hip"], INDEX["right_hip"]], :2].mean(axis=1)
    shift = (slide * depth)[:, None] * (knees - hips)
    out[:, UPPER_BODY, :2] += shift[:, None, :]
    return out


def plan_skeleton_slot(spec: DatasetSpec, label: str, group: int,
                       clip: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The sequence `v_<label>_g<group>_c<clip>.npz` from (seed, group, class, clip) alone. A group
    is one person (the same body as the clips' group of the same seed) and build."""
    slot = [spec.seed, group, SKELETON_LABELS.index(label), clip]
    rng, look = np.random.default_rng(slot), group_look(spec.seed, group)
    build = random_build(np.random.default_rng([spec.seed, group, 1]))
    context = np.random.default_rng([*slot, 1])
    lead_in = None
    if label in LABELS and context.random() < spec.context:
        lead_in = str(context.choice([name for name in LEAD_INS if name != label]))
    return skeleton_sequence(label, spec.frames, spec.fps, rng, look, build, lead_in)


def write_skeletons(root: Path, spec: DatasetSpec, force: bool = False, progress: bool = True,
                    split: bool = True, add: Sequence[Path] = ()) -> int:
    """Every sequence (`.npz`, har_device.core.keypoints' format) and the split files into `root`,
    atomically, in the clips' layout and group split, with the sequences of the `add` folders
    (har_device.synth.added); returns the number of sequences."""
    root = Path(root)
    check_output(root, force)
    slots = clip_slots(spec)
    added = plan_added(add, spec)
    with atomic_dir(root) as tmp:
        for label, group, clip in tqdm(slots, desc="writing skeletons", unit="sequence",
                                       disable=not progress):
            keypoints, size = plan_skeleton_slot(spec, label, group, clip)
            (tmp / label).mkdir(exist_ok=True)
            name = clip_name(label, group, clip, SEQUENCE_SUFFIX)
            save_sequence(tmp / label / name, keypoints, size, spec.fps)
        copy_added(added, tmp)
        lists = split_lists(spec, SEQUENCE_SUFFIX,
                            [(item.label, item.group, item.name) for item in added])
        for name, text in lists.items():
            if split or name == "classInd.txt":
                (tmp / name).write_text(text)
    return len(slots) + len(added)
