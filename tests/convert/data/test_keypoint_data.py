"""Folders of keypoint sequences load like video folders: the same split, windows normalised as on
the device, calibration windows from the train split; a folder mixing both kinds is refused."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from keypoint_data import FPS, FRAMES, KEYPOINT_CLASSES, write_skeleton_tree

from har_convert.data import calibration_samples, common_fps, index_folder, load_dataset
from har_device.core.errors import BadInput
from har_device.core.keypoints import FEATURES, load_sequence, normalise


@pytest.fixture(scope="module")
def skeletons(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_skeleton_tree(tmp_path_factory.mktemp("skeletons") / "data")


def test_a_keypoint_folder_loads_as_normalised_windows(skeletons: Path) -> None:
    index = index_folder(skeletons)
    assert index.kind == "keypoints" and index.labels == list(KEYPOINT_CLASSES)
    data = load_dataset(skeletons, FRAMES, None, sample_fps=FPS, progress=False)
    assert data.train.x.shape[1:] == (FRAMES, FEATURES) and data.train.x.dtype == np.float32
    assert data.train.inputs() is data.train.x
    assert set(data.test.groups) == {"g01"} and "g01" not in data.train.groups
    points, _, fps = load_sequence(data.test.paths[0])
    assert np.allclose(data.test.x[0], normalise(points, fps))
    assert common_fps(index.clips) == FPS


def test_calibration_windows_come_from_every_class(skeletons: Path) -> None:
    windows = calibration_samples(skeletons, FRAMES, None, n=6, sample_fps=FPS)
    assert windows.shape == (6, FRAMES, FEATURES) and np.isfinite(windows).all()


def test_a_folder_with_videos_and_sequences_is_refused(skeletons: Path, tiny_ucf: Path,
                                                       tmp_path: Path) -> None:
    mixed = shutil.copytree(skeletons, tmp_path / "mixed")
    video = next(tiny_ucf.glob("*/*.mp4"))
    shutil.copy(video, mixed / "fall" / video.name)
    with pytest.raises(BadInput, match="holds both videos and keypoint sequences"):
        index_folder(mixed)
