"""Body keypoints: the sequence file format, and the one normalisation the host trains with and the
device runs on the pose stage's output, so that a keypoint model sees the same numbers in both places.

The points of a frame are BlazePose's 33 landmarks (order in `NAMES`) as the pose stage gives them:
an array (33, 5) of x, y (frame pixels), z (pixels, depth relative to the hips, same scale as x),
visibility and presence (0..1). A frame with no person is NaN in every field.

Sequence file (`.npz`, written by `save_sequence`, by `har-synth skeletons` and by the pose stage
over videos): `keypoints` float32 (T, 33, 5) as above; `image_size` int32 (height, width);
`fps` float32 (frames per second of the sequence); `format` the string `FORMAT`.

Normalisation (`NORMALISATION`, version `NORMALISATION_VERSION`): `normalise(window, fps)` maps a
window (T, 33, 5) to features float32 (T, FEATURES), per joint [x, y, vx, vy, visibility]:
- x, y: relative to that frame's hip centre (midpoint of the hips, joints 23 and 24), divided by
  the window's torso length (hip centre to shoulder centre; the 90th percentile over the window's
  frames, so that a torso foreshortened while lying does not blow the scale up); image axes are
  kept (y down), since which way is down is what tells lying from standing;
- vx, vy: the joint's movement since the previous frame in torso lengths per second, divided by
  VELOCITY_UNIT (so that both kinds of feature share one int8 range); 0 in the first frame;
- visibility: the pose stage's visibility, 0 where the joint or the whole frame is missing.
Missing frames (no person) and missing joints (NaN) take positions interpolated in time from the
frames that have them (held at the window's ends), with visibility 0; a window with no person at
all is all zeros. Positions and velocities are clipped to +-CLIP.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from har_device.core.errors import BadInput

FORMAT = "har-edge-keypoints/1"
SEQUENCE_SUFFIX = ".npz"
NAMES = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
         "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
         "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
         "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
         "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
         "right_heel", "left_foot_index", "right_foot_index")
KEYPOINTS = len(NAMES)
FIELDS = ("x", "y", "z", "visibility", "presence")
INDEX = {name: i for i, name in enumerate(NAMES)}

NORMALISATION = "hips-torso"
NORMALISATION_VERSION = 1
PER_KEYPOINT = ("x", "y", "vx", "vy", "visibility")
FEATURES = KEYPOINTS * len(PER_KEYPOINT)
VELOCITY_UNIT = 4.0  # torso lengths per second
CLIP = 4.0
MIN_TORSO_PX = 1e-3
TORSO_PERCENTILE = 90

# A frame in which the pose stage found nobody: every field NaN (see the module doc).
NO_PERSON = np.full((KEYPOINTS, len(FIELDS)), np.nan, dtype=np.float32)
NO_PERSON.flags.writeable = False

LEFT_HIP, RIGHT_HIP = INDEX["left_hip"], INDEX["right_hip"]
LEFT_SHOULDER, RIGHT_SHOULDER = INDEX["left_shoulder"], INDEX["right_shoulder"]


def _mirror_order() -> np.ndarray:
    """Index of each landmark's left/right twin (itself for the nose)."""
    swap = {"left_": "right_", "right_": "left_"}
    order = []
    for name in NAMES:
        prefix = next((p for p in swap if name.startswith(p)), None)
        twin = swap[prefix] + name[len(prefix):] if prefix else name
        twin = {"mouth_left": "mouth_right", "mouth_right": "mouth_left"}.get(name, twin)
        order.append(INDEX[twin])
    return np.array(order)


MIRROR = _mirror_order()


def save_sequence(path: Path | str, keypoints: np.ndarray, image_size: tuple[int, int],
                  fps: float) -> None:
    """Write one sequence file (see the module doc); `keypoints` (T, 33, 5)."""
    keypoints = np.asarray(keypoints, dtype=np.float32)
    check_points(keypoints, str(path))
    with open(path, "wb") as handle:
        np.savez_compressed(handle, keypoints=keypoints,
                            image_size=np.asarray(image_size, dtype=np.int32),
                            fps=np.float32(fps), format=np.str_(FORMAT))


def load_sequence(path: Path | str) -> tuple[np.ndarray, tuple[int, int], float]:
    """(keypoints float32 (T, 33, 5), (height, width), fps) of a sequence file; BadInput when it is
    not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            keypoints = data["keypoints"].astype(np.float32)
            size = tuple(int(v) for v in data["image_size"])
            fps = float(data["fps"])
    except (OSError, ValueError, KeyError, EOFError) as error:
        raise BadInput(f"{path}: not a keypoint sequence file ({error})") from None
    check_points(keypoints, str(path))
    if len(size) != 2 or not fps > 0:
        raise BadInput(f"{path}: expected image_size (height, width) and a positive fps")
    return keypoints, (size[0], size[1]), fps


def check_points(keypoints: np.ndarray, where: str) -> None:
    if keypoints.ndim != 3 or keypoints.shape[1:] != (KEYPOINTS, len(FIELDS)) or not len(keypoints):
        raise BadInput(f"{where}: keypoints of shape {list(keypoints.shape)}; expected "
                       f"(T >= 1, {KEYPOINTS}, {len(FIELDS)})")


def normalise(window: np.ndarray, fps: float) -> np.ndarray:
    """Features float32 (T, FEATURES) of a window (T, 33, 5) sampled at `fps` (module doc)."""
    window = np.asarray(window, dtype=np.float64)
    xy = window[..., :2].copy()
    visibility = np.nan_to_num(window[..., 3], nan=0.0)
    known = np.isfinite(xy).all(axis=-1)
    visibility[~known] = 0.0
    if not known.any():
        return np.zeros((len(window), FEATURES), np.float32)
    xy = _fill_in_time(xy, known)
    hips = xy[:, [LEFT_HIP, RIGHT_HIP]].mean(axis=1)
    scale = torso_length(xy, known)
    position = (xy - hips[:, None]) / scale
    velocity = np.zeros_like(xy)
    velocity[1:] = np.diff(xy, axis=0) / scale * fps / VELOCITY_UNIT
    features = np.concatenate([np.clip(position, -CLIP, CLIP), np.clip(velocity, -CLIP, CLIP),
                               visibility[..., None]], axis=-1)
    return features.reshape(len(window), FEATURES).astype(np.float32)


def _fill_in_time(xy: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Each joint's unknown frames interpolated linearly between its nearest known frames before
    and after (held at the ends), all joints at once: the device runs this on every window. A
    joint never seen in the window sits at the mean of the seen joints of its frame."""
    count = len(xy)
    frames = np.arange(count)[:, None]
    before = np.maximum.accumulate(np.where(known, frames, -1), axis=0)
    after = np.minimum.accumulate(np.where(known, frames, count)[::-1], axis=0)[::-1]
    before, after = np.where(before < 0, after, before), np.where(after >= count, before, after)
    before, after = np.clip(before, 0, count - 1), np.clip(after, 0, count - 1)
    weight = np.where(after > before, (frames - before) / np.maximum(after - before, 1), 0.0)
    joints = np.arange(xy.shape[1])[None, :]
    between = xy[before, joints] * (1 - weight[..., None]) + xy[after, joints] * weight[..., None]
    xy = np.where(known[..., None], xy, between)
    never = ~known.any(axis=0)
    if never.any():
        centre = xy[:, ~never].mean(axis=1)
        xy[:, never] = centre[:, None]
    return xy


def torso_length(xy: np.ndarray, known: np.ndarray) -> float:
    """The window's scale in pixels: the TORSO_PERCENTILE of its frames' hip-to-shoulder-centre
    lengths where all four joints are known, else a third of the seen points' largest extent."""
    torso = np.linalg.norm(xy[:, [LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=1)
                           - xy[:, [LEFT_HIP, RIGHT_HIP]].mean(axis=1), axis=-1)
    whole = known[:, [LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP]].all(axis=1)
    if whole.any():
        return max(float(np.percentile(torso[whole], TORSO_PERCENTILE)), MIN_TORSO_PX)
    seen = xy[known]
    return max(float(np.ptp(seen, axis=0).max()) / 3.0, MIN_TORSO_PX)


def mirror_features(features: np.ndarray) -> np.ndarray:
    """The features of the mirrored scene (x and vx negated, left and right swapped): the same
    action seen in a mirror, for augmentation. Works on (..., FEATURES)."""
    shaped = features.reshape(*features.shape[:-1], KEYPOINTS, len(PER_KEYPOINT))[..., MIRROR, :]
    shaped = shaped * np.array([-1.0, 1.0, -1.0, 1.0, 1.0], dtype=features.dtype)
    return shaped.reshape(features.shape)


def sample_window(keypoints: np.ndarray, fps: float, frames: int, sample_fps: float) -> np.ndarray:
    """`frames` frames of a sequence at `sample_fps`, centred in it (nearest frames; the ends
    repeat when the sequence is shorter), as the agent's ring holds the pose stage's output."""
    duration = (frames - 1) / sample_fps
    middle = (len(keypoints) - 1) / fps / 2
    times = middle - duration / 2 + np.arange(frames) / sample_fps
    index = np.clip(np.round(times * fps).astype(int), 0, len(keypoints) - 1)
    return keypoints[index]
