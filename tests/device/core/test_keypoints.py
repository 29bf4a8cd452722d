"""The keypoint sequence format and the normalisation host and device share: invariances, missing
frames and joints, mirroring, windows."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from har_device.core.errors import BadInput
from har_device.core.keypoints import (CLIP, FEATURES, INDEX, KEYPOINTS, MIRROR, PER_KEYPOINT,
                                       VELOCITY_UNIT, load_sequence, mirror_features, normalise,
                                       sample_window, save_sequence)


def standing(frames: int = 6, torso_px: float = 100.0) -> np.ndarray:
    """A still person: hips centred at (300, 400) px, shoulders `torso_px` above, every other
    point scattered around them, all visible."""
    rng = np.random.default_rng(0)
    points = np.zeros((frames, KEYPOINTS, 5), np.float32)
    points[..., :2] = [300, 400] + rng.uniform(-80, 80, (KEYPOINTS, 2))
    for name, (x, y) in {"left_hip": (290, 400), "right_hip": (310, 400),
                         "left_shoulder": (280, 400 - torso_px),
                         "right_shoulder": (320, 400 - torso_px)}.items():
        points[:, INDEX[name], :2] = [x, y]
    points[..., 3:] = 0.9
    return points


def joint(features: np.ndarray, name: str) -> np.ndarray:
    """(T, 5) features of one joint."""
    return features.reshape(len(features), KEYPOINTS, len(PER_KEYPOINT))[:, INDEX[name]]


def test_hips_at_origin_and_one_torso_length_to_the_shoulders() -> None:
    features = normalise(standing(), fps=8.0)
    assert features.shape == (6, FEATURES) and features.dtype == np.float32
    hips = (joint(features, "left_hip") + joint(features, "right_hip"))[:, :2] / 2
    shoulders = (joint(features, "left_shoulder") + joint(features, "right_shoulder"))[:, :2] / 2
    assert np.allclose(hips, 0.0, atol=1e-6)
    assert np.allclose(shoulders, [0.0, -1.0], atol=1e-6)  # image axes: up is -y
    assert np.allclose(joint(features, "nose")[:, 2:4], 0.0)  # still: no velocity


def test_same_features_whatever_the_person_size_and_place_in_the_frame() -> None:
    near = standing()
    far = near.copy()
    far[..., :2] = near[..., :2] * 0.4 + [900, 20]
    assert np.allclose(normalise(near, 8.0), normalise(far, 8.0), atol=1e-5)


def test_velocity_is_torso_lengths_per_second_over_the_unit() -> None:
    moving = standing(torso_px=100.0)
    moving[..., 1] += np.arange(6)[:, None] * 10.0  # 0.1 torso per frame downwards, at 8 fps
    velocity = joint(normalise(moving, 8.0), "nose")[:, 3]
    assert velocity[0] == 0.0
    assert np.allclose(velocity[1:], 0.1 * 8.0 / VELOCITY_UNIT)


def test_missing_frame_is_interpolated_with_no_visibility() -> None:
    moving = standing()
    moving[..., 0] += np.arange(6)[:, None] * 10.0
    gap = moving.copy()
    gap[2] = np.nan
    full, holed = normalise(moving, 8.0), normalise(gap, 8.0)
    assert np.allclose(joint(holed, "nose")[2, :4], joint(full, "nose")[2, :4], atol=1e-5)
    assert (holed.reshape(6, KEYPOINTS, 5)[2, :, 4] == 0).all()
    assert np.isfinite(holed).all()


def test_a_joint_never_seen_sits_at_its_frames_centre_invisible() -> None:
    points = standing()
    points[:, INDEX["left_wrist"]] = np.nan
    features = normalise(points, 8.0)
    assert np.isfinite(features).all()
    assert (joint(features, "left_wrist")[:, 4] == 0).all()


def test_no_person_in_the_window_is_all_zeros_and_values_stay_clipped() -> None:
    assert not normalise(np.full((4, KEYPOINTS, 5), np.nan), 8.0).any()
    wild = standing()
    wild[3, INDEX["nose"], :2] += 5000
    assert np.abs(normalise(wild, 8.0)).max() <= CLIP


def test_mirror_swaps_sides_negates_x_and_is_its_own_inverse() -> None:
    assert MIRROR[INDEX["left_hip"]] == INDEX["right_hip"]
    assert MIRROR[INDEX["mouth_left"]] == INDEX["mouth_right"] and MIRROR[INDEX["nose"]] == 0
    points = standing()
    flipped = points.copy()
    flipped[..., 0] = 1000 - points[:, MIRROR, 0]
    flipped[..., 1:] = points[:, MIRROR, 1:]
    features = normalise(points, 8.0)
    assert np.allclose(mirror_features(features), normalise(flipped, 8.0), atol=1e-5)
    assert np.allclose(mirror_features(mirror_features(features)), features)


def test_window_is_centred_at_the_sample_rate() -> None:
    sequence = np.arange(32, dtype=np.float32)[:, None, None] * np.ones((1, KEYPOINTS, 5))
    window = sample_window(sequence, fps=16.0, frames=4, sample_fps=8.0)
    assert window[:, 0, 0].tolist() == [12.0, 14.0, 16.0, 18.0]
    assert sample_window(sequence[:2], 16.0, 3, 8.0)[:, 0, 0].tolist() == [0.0, 0.0, 1.0]  # ends repeat


def test_sequence_file_round_trip_and_refusals(tmp_path: Path) -> None:
    points = standing()
    points[1] = np.nan
    save_sequence(tmp_path / "a.npz", points, (480, 640), 8.0)
    loaded, size, fps = load_sequence(tmp_path / "a.npz")
    assert np.array_equal(loaded, points, equal_nan=True) and size == (480, 640) and fps == 8.0
    (tmp_path / "b.npz").write_bytes(b"not a zip")
    with pytest.raises(BadInput, match="not a keypoint sequence file"):
        load_sequence(tmp_path / "b.npz")
    with pytest.raises(BadInput, match="expected"):
        save_sequence(tmp_path / "c.npz", points[:, :17], (480, 640), 8.0)
