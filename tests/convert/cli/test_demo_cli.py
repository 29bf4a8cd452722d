"""`./run demo`'s command line: the pose pipeline by default, built with the recipe's `KEYPOINT_*`
options and a video the pose stage can see; `--pixels` the pixel pipeline beside it in the same
work folder; a misspelt option exits 2."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from har_convert.cli.demo import pixel_pipeline, pose_pipeline
from har_convert.recipes import (
    CONVERT_OPTIONS,
    KEYPOINT_CONVERT_OPTIONS,
    KEYPOINT_SKELETON_OPTIONS,
    KEYPOINT_TRAIN_OPTIONS,
    POSE_VIDEO_SIZE,
    TRAIN_OPTIONS,
)


def _contains(command: list[str], options: list[str]) -> bool:
    return any(command[i:i + len(options)] == options for i in range(len(command)))


def _size(command: list[str]) -> int:
    return int(command[command.index("--size") + 1])


def test_the_pose_pipeline_uses_the_keypoint_recipe(tmp_path: Path) -> None:
    pose = pose_pipeline(tmp_path, 7)
    fetch, skeletons, train, convert, video = (step.command for step in pose.steps)
    assert Path(fetch[0]).name == "har-pose" and fetch[1:] == ["fetch"]
    assert skeletons[1] == "skeletons" and _contains(skeletons, KEYPOINT_SKELETON_OPTIONS)
    assert _contains(train, KEYPOINT_TRAIN_OPTIONS) and _contains(convert, KEYPOINT_CONVERT_OPTIONS)
    assert _size(video) == POSE_VIDEO_SIZE and video[2] == str(pose.video)
    assert convert[convert.index("--out") + 1] == str(pose.bundle)


def test_the_pixel_pipeline_lives_beside_it(tmp_path: Path) -> None:
    pose, pixels = pose_pipeline(tmp_path, 7), pixel_pipeline(tmp_path, 7)
    train, convert, video = (step.command for step in pixels.steps[1:])
    assert _contains(train, TRAIN_OPTIONS) and _contains(convert, CONVERT_OPTIONS)
    assert _size(video) < POSE_VIDEO_SIZE
    built = lambda p: {path for step in p.steps for path in step.done_when}  # noqa: E731
    assert not built(pose) & built(pixels) and pose.bundle != pixels.bundle


def test_a_misspelt_option_exits_2_and_names_pixels() -> None:
    done = subprocess.run([sys.executable, "-m", "har_convert.cli.demo", "--pixel"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "'--pixels'" in done.stderr.splitlines()[-1], done.stderr
