"""The stage's numpy parts against what MediaPipe's configuration says they are."""
from __future__ import annotations

import math

import numpy as np

from har_device.pose.anchors import ssd_anchor_centres
from har_device.pose.detector import weighted_nms
from har_device.pose.region import Region, from_keypoints
from har_device.pose.smoothing import OneEuro
from har_device.pose.tracker import fallen


def test_anchor_count_and_grid() -> None:
    anchors = ssd_anchor_centres()
    assert anchors.shape == (2254, 2)
    assert np.allclose(anchors[0], [0.5 / 28, 0.5 / 28]) and np.allclose(anchors[1], anchors[0])
    assert np.allclose(anchors[-1], [6.5 / 7, 6.5 / 7])


def test_region_maps_its_own_corners() -> None:
    region = Region(100.0, 50.0, 40.0, 40.0, math.radians(30))
    corners = region.corners()
    assert np.allclose(corners.mean(axis=0), [100, 50])
    assert np.allclose(np.linalg.norm(corners[1] - corners[0]), 40)
    assert np.allclose(region.to_frame(np.array([0.5, 0.5])), [100, 50])


def test_region_from_keypoints_points_the_body_up() -> None:
    upright = from_keypoints(np.array([100.0, 200.0]), np.array([100.0, 120.0]))
    assert upright.width == upright.height == 2 * 80 * 1.25 and abs(upright.rotation) < 1e-9
    lying = from_keypoints(np.array([100.0, 200.0]), np.array([180.0, 200.0]))
    assert math.isclose(lying.rotation, math.pi / 2)


def test_weighted_nms_averages_a_cluster() -> None:
    boxes = np.array([[0, 0, 1, 1], [0.05, 0, 1.05, 1], [3, 3, 4, 4]], float)
    keypoints = np.array([[[0, 0]] * 4, [[1, 1]] * 4, [[9, 9]] * 4], float)
    out = weighted_nms(np.array([0.9, 0.6, 0.7]), boxes, keypoints)
    assert [round(score, 2) for score, _ in out] == [0.9, 0.7]
    assert np.allclose(out[0][1][0], [0.4, 0.4])


def test_one_euro_follows_fast_motion_and_smooths_jitter() -> None:
    filt = OneEuro(0.05, 80.0, 1.0)
    noise = np.random.default_rng(0).normal(0, 0.2, 60)
    still = [filt(np.array([100.0 + n]), i / 30, scale=100.0)[0] for i, n in enumerate(noise)]
    assert np.std(still[30:]) < 0.5 * np.std(noise[30:])
    moved = [filt(np.array([100.0 + 5 * i]), (60 + i) / 30, scale=100.0)[0] for i in range(30)]
    assert abs(moved[-1] - (100 + 5 * 29)) < 10


def test_a_region_fallen_over_its_feet_lies_beside_them_head_first() -> None:
    """A person standing over their feet at (100, 200), hips at (100, 140), topples to lie with the
    head to the right (+90°) or left (-90°): the region turns about the feet."""
    standing = Region(100.0, 140.0, 150.0, 150.0, 0.0)
    right = fallen(standing, np.array([100.0, 200.0]), math.pi / 2)
    left = fallen(standing, np.array([100.0, 200.0]), -math.pi / 2)
    assert np.allclose([right.cx, right.cy, right.rotation], [160, 200, math.pi / 2])
    assert np.allclose([left.cx, left.cy, left.rotation], [40, 200, -math.pi / 2])
    assert right.width == standing.width
    # the region's up (head) direction points away from the feet
    head = right.to_frame(np.array([0.5, 0.0]))
    assert head[0] > right.cx > 100
