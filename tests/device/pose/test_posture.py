"""Whether a window's person is down: lying in any direction, against standing, bending, sitting."""
from __future__ import annotations

import numpy as np
import pytest

from har_device.core.keypoints import FIELDS, INDEX, KEYPOINTS, NO_PERSON
from har_device.pose.posture import is_down

SHOULDERS, HIPS = ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip")
ANKLES = ("left_ankle", "right_ankle")


def body(shoulders: tuple[float, float], hips: tuple[float, float],
         ankles: tuple[float, float]) -> np.ndarray:
    """One frame (33, 5): every other landmark at the hips, all seen."""
    points = np.zeros((KEYPOINTS, len(FIELDS)), np.float32)
    points[:, :2] = hips
    points[:, 3:] = 1.0
    for names, xy in ((SHOULDERS, shoulders), (HIPS, hips), (ANKLES, ankles)):
        for name in names:
            points[INDEX[name], :2] = xy
    return points


STANDING = body((200, 100), (200, 200), (200, 380))


def window(*last: np.ndarray) -> np.ndarray:
    """Standing frames, then `last`: the window's torso length is the standing one."""
    return np.stack([STANDING] * (16 - len(last)) + list(last))


@pytest.mark.parametrize("name, frame", [
    ("standing", STANDING),
    ("bending deep, torso level", body((290, 195), (200, 200), (200, 380))),
    ("sitting on a chair", body((200, 180), (200, 280), (200, 390))),
    ("kneeling upright", body((200, 220), (200, 320), (200, 400))),
])
def test_a_person_on_their_feet_or_on_a_chair_is_not_down(name: str, frame: np.ndarray) -> None:
    assert is_down(window(frame)) is False


@pytest.mark.parametrize("name, frame", [
    ("lying across the view", body((100, 400), (200, 405), (380, 410))),
    ("lying along the camera's axis, foreshortened", body((200, 380), (200, 400), (200, 430))),
    ("head down a slope", body((200, 420), (200, 400), (210, 330))),
])
def test_a_person_lying_is_down(name: str, frame: np.ndarray) -> None:
    assert is_down(window(frame)) is True


def test_the_last_person_seen_counts_when_the_stage_lost_them() -> None:
    lying = body((100, 400), (200, 405), (380, 410))
    assert is_down(window(lying, NO_PERSON, NO_PERSON)) is True
    assert is_down(window(NO_PERSON)) is False


def test_a_window_without_a_person_says_nothing() -> None:
    assert is_down(np.stack([NO_PERSON] * 16)) is None
