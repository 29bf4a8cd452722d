"""Whether the person in a keypoint window is down on the floor: what confirms a fall (mode pose).

The keypoint head judges the motion, and on the pose stage's readings of scripted scenes it also
calls the descent of a deep bend or of sitting down a fall (2 to 14 false alarms on 30 scenes,
depending on the training draw). A fall ends with the body low and horizontal, which the landmarks
show directly, whatever the head learned: in the last frame with a person, the shoulders are less
than UPRIGHT_MAX torso lengths above the hips (the torso leans more than 60° from upright, or is
foreshortened as much, as a body lying along the camera's axis is), and the ankles less than
LEGS_MAX below them (standing, bending or sitting on a chair they are 1-2 torso lengths below).
The torso length is the window's own scale (`core.keypoints.torso_length`), so a body that lies
down keeps the length it had standing. Both limits were chosen on the scenes with seeds 41-70 over
nine trained heads (benchmarks/results/fall_scenes_pose.md reports seeds 11-40); of the falls three
heads caught on seeds 11-70, 95 % had the ankles within 0.1 torso lengths of the hips at the moment
the head started the event.
"""
from __future__ import annotations

import numpy as np

from har_device.core.keypoints import (INDEX, LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER,
                                        torso_length)

UPRIGHT_MAX = 0.5
LEGS_MAX = 0.5
ANKLES = [INDEX["left_ankle"], INDEX["right_ankle"]]


def is_down(window: np.ndarray) -> bool | None:
    """For a window (T, 33, 5) of the pose stage's output (NaN where no person was found): whether
    the last person seen is down (module doc); None when the window has no person at all."""
    xy = np.asarray(window, dtype=np.float64)[..., :2]
    known = np.isfinite(xy).all(axis=-1)
    seen = np.flatnonzero(known.all(axis=1))
    if not len(seen):
        return None
    scale = torso_length(xy, known)
    last = xy[seen[-1]]
    hips = last[[LEFT_HIP, RIGHT_HIP]].mean(axis=0)
    shoulders = last[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=0)
    ankles = last[ANKLES].mean(axis=0)
    upright = (hips[1] - shoulders[1]) / scale
    legs = (ankles[1] - hips[1]) / scale
    return bool(upright < UPRIGHT_MAX and legs < LEGS_MAX)
