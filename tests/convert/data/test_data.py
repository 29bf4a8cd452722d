"""har_convert.data on real video files: UCF names and split files, the generated group split,
frame sampling, skipped bad videos, calibration samples and the augmented tf.data pipeline."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from tiny_videos import TINY_CLASSES, TINY_FRAMES, TINY_SIZE, write_ucf_tree

from har_convert.data import (
    ClipRef,
    TooShort,
    calibration_samples,
    common_fps,
    decode_clip,
    index_folder,
    load_dataset,
    parse_ucf_name,
    sample_indices,
    stratified_group_split,
)
from har_convert.data.clips import rate_indices, uniform_indices
from har_convert.data.eval_set import load_eval_set
from har_device.core.errors import BadInput
from har_device.core.video import write_video

# --- names, folders, splits -------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("v_ApplyEyeMakeup_g08_c01.avi", ("ApplyEyeMakeup", 8, 1)),
    ("v_HandStandPushups_g25_c04.avi", ("HandStandPushups", 25, 4)),
    ("v_fall_g01_c12.mp4", ("fall", 1, 12)),
    ("v_Pick_Up_g3_c7.mkv", ("Pick_Up", 3, 7)),
])
def test_ucf101_names_parse(name: str, expected: tuple) -> None:
    assert tuple(parse_ucf_name(name)) == expected


@pytest.mark.parametrize("name", ["clip.mp4", "v_fall_g01.mp4", "fall_g01_c01.mp4", "v__g01_c01"])
def test_other_names_do_not_parse(name: str) -> None:
    assert parse_ucf_name(name) is None


def test_real_ucf101_layout_with_split_files(tmp_path: Path) -> None:
    # UCF101 itself: classInd order is not alphabetical here, the folder is "HandstandPushups"
    # while the file names say "HandStandPushups", and testlist lines carry no label.
    for relative in ["ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi",
                     "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c02.avi",
                     "HandstandPushups/v_HandStandPushups_g08_c01.avi",
                     "HandstandPushups/v_HandStandPushups_g01_c03.avi"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"not decoded by the index")
    (tmp_path / "classInd.txt").write_text("1 HandstandPushups\n2 ApplyEyeMakeup\n")
    (tmp_path / "trainlist01.txt").write_text(
        "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 2\n"
        "HandstandPushups/v_HandStandPushups_g08_c01.avi 1\n"
        "HandstandPushups/v_HandStandPushups_g09_c01.avi 1\n")
    (tmp_path / "testlist01.txt").write_text(
        "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c02.avi\n"
        "HandstandPushups/v_HandStandPushups_g01_c03.avi\n")
    index = index_folder(tmp_path, split=1)
    assert index.labels == ["HandstandPushups", "ApplyEyeMakeup"]
    assert index.from_split_files
    assert [(c.path.name, c.label, c.group) for c in index.train] == [
        ("v_ApplyEyeMakeup_g08_c01.avi", 1, "g08"), ("v_HandStandPushups_g08_c01.avi", 0, "g08")]
    assert [(c.path.name, c.label) for c in index.test] == [
        ("v_ApplyEyeMakeup_g01_c02.avi", 1), ("v_HandStandPushups_g01_c03.avi", 0)]
    assert [p.name for p in index.missing] == ["v_HandStandPushups_g09_c01.avi"]
    with pytest.raises(BadInput, match="trainlist02.txt: no such split file"):
        index_folder(tmp_path, split=2)


def test_split_file_naming_an_unknown_class_is_bad_input(tiny_ucf: Path, tmp_path: Path) -> None:
    root = shutil.copytree(tiny_ucf, tmp_path / "data")
    (root / "testlist01.txt").write_text("dance/v_dance_g01_c01.mp4\n")
    with pytest.raises(BadInput, match=r"testlist01.txt:1: expected '<class>/<clip>'"):
        index_folder(root)


def test_folder_without_split_files_is_split_by_group(tiny_folder: Path) -> None:
    index = index_folder(tiny_folder, seed=3)
    assert index.labels == sorted(TINY_CLASSES) and not index.from_split_files
    train_groups = {(c.label, c.group) for c in index.train}
    test_groups = {(c.label, c.group) for c in index.test}
    assert not train_groups & test_groups, "a group must not straddle the split"
    # 4 groups per class, fraction 0.25 -> exactly one group (2 clips) of every class in test
    assert sorted(c.label for c in index.test) == [0, 0, 1, 1, 2, 2]
    # the same group number goes the same way in every class
    assert len({group for _, group in test_groups}) == 1
    again = index_folder(tiny_folder, seed=3)
    assert [c.path for c in again.test] == [c.path for c in index.test]
    test_group_by_seed = {next(iter(index_folder(tiny_folder, seed=s).test)).group
                          for s in range(8)}
    assert len(test_group_by_seed) > 1, "the seed must change the split"


def test_group_split_edge_cases() -> None:
    # class 0: five groups -> round(0.4 * 5) = 2 in test; class 1: one group of three clips ->
    # split by clip, round(0.4 * 3) = 1; class 2: a single clip stays in train.
    labels = [0] * 5 + [1] * 3 + [2]
    groups = ["g1", "g2", "g3", "g4", "g5", "g1", "g1", "g1", "g1"]
    train, test = stratified_group_split(labels, groups, 0.4, seed=0)
    assert sorted(train + test) == list(range(9))
    assert sum(labels[i] == 0 for i in test) == 2
    assert sum(labels[i] == 1 for i in test) == 1
    assert 8 in train
    # fraction near 1 still leaves a group in train
    _, all_but_one = stratified_group_split(labels[:5], groups[:5], 0.99, seed=0)
    assert len(all_but_one) == 4


@pytest.mark.parametrize("setup, message", [
    ("missing", "not a directory"),
    ("empty", "no video files in class folders"),
    ("one_class", "only one class with videos (fall)"),
    ("bad_class_index", "expected lines '<index> <class>'"),
])
def test_unusable_folders_are_bad_input(tmp_path: Path, setup: str, message: str) -> None:
    root = tmp_path / "data"
    if setup != "missing":
        root.mkdir()
    if setup == "one_class":
        write_ucf_tree(root, classes=["fall"], groups=2, split_files=False)
    if setup == "bad_class_index":
        write_ucf_tree(root, groups=2)
        (root / "classInd.txt").write_text("fall\nwalk\n")
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(root, frames=4, size=32, progress=False)


# --- frame sampling ---------------------------------------------------------------------------

def test_uniform_sampling_takes_segment_centres() -> None:
    assert uniform_indices(32, 4) == [4, 12, 20, 28]
    assert uniform_indices(16, 16) == list(range(16))


def test_rate_sampling_is_centred_at_the_asked_rate() -> None:
    # 25 fps clip sampled at 5 fps: every 5th frame; 4 samples span 20 frames, centred in 40
    assert rate_indices(40, 25.0, 5.0, 4) == [10, 15, 20, 25]
    assert rate_indices(16, 8.0, 8.0, 16) == list(range(16))
    assert rate_indices(30, 30.0, 10.0, 10) == list(range(0, 30, 3))


def test_short_clips_pad_within_tolerance_else_too_short() -> None:
    assert sample_indices(14, 16, 8.0, None) == list(range(14)) + [13, 13]
    assert sample_indices(12, 16, 8.0, 8.0) == list(range(12)) + [11] * 4
    with pytest.raises(TooShort, match="has 11 frames, needs 12"):
        sample_indices(11, 16, 8.0, None)
    with pytest.raises(TooShort):  # 8 fps clip of 16 frames sampled at 2 fps needs 64 frames
        sample_indices(16, 16, 8.0, 2.0)


def gray_ramp(path: Path, frames: int, fps: float) -> Path:
    """Frame i is flat gray 12*i (survives mp4v compression within a few levels)."""
    write_video(path, [np.full((32, 32, 3), 12 * i, np.uint8) for i in range(frames)], fps)
    return path


def test_decode_takes_the_frames_at_the_asked_rate(tmp_path: Path) -> None:
    path = gray_ramp(tmp_path / "ramp.mp4", 20, 20.0)
    clip = decode_clip(path, frames=4, size=16, sample_fps=5.0)
    assert clip.shape == (4, 16, 16, 3) and clip.dtype == np.uint8
    # 20 fps -> 5 fps is every 4th frame; 4 samples span 16 of 20 frames: start 2
    np.testing.assert_allclose(clip.mean(axis=(1, 2, 3)), [12 * i for i in (2, 6, 10, 14)], atol=4)
    uniform = decode_clip(path, frames=4, size=16)
    np.testing.assert_allclose(uniform.mean(axis=(1, 2, 3)), [12 * i for i in (2, 7, 12, 17)],
                               atol=4)


def test_decode_converts_to_rgb(tmp_path: Path) -> None:
    red_bgr = np.zeros((32, 32, 3), np.uint8)
    red_bgr[..., 2] = 255
    write_video(tmp_path / "red.mp4", [red_bgr] * 4, 8.0)
    pixel = decode_clip(tmp_path / "red.mp4", frames=2, size=8)[0, 4, 4].astype(int)
    assert pixel[0] > 200 and pixel[2] < 60


# --- loading whole folders ----------------------------------------------------------------------

def test_load_dataset_with_split_files(tiny_ucf: Path) -> None:
    data = load_dataset(tiny_ucf, frames=4, size=32, sample_fps=None, progress=False)
    assert data.labels == list(TINY_CLASSES)
    assert data.split_source == "trainlist01.txt/testlist01.txt"
    assert data.train.x.shape == (9, 4, 32, 32, 3) and data.train.x.dtype == np.uint8
    assert data.test.x.shape == (3, 4, 32, 32, 3)
    assert sorted(data.test.y.tolist()) == [0, 1, 2]
    assert all("_g01_" in path.name for path in data.test.paths)
    inputs = data.test.inputs()
    assert inputs.dtype == np.float32 and 0.0 <= inputs.min() and inputs.max() <= 1.0
    assert data.skipped == []


def test_convert_evaluation_clips_are_the_test_split_and_decode_once(tiny_ucf: Path) -> None:
    """har-convert evaluates on --data's test split and trains on its train split: it hands the
    evaluation clips to load_dataset instead of decoding the test split a second time."""
    data = load_dataset(tiny_ucf, frames=4, size=32, sample_fps=None, progress=False)
    evaluation = load_eval_set(None, tiny_ucf, list(TINY_CLASSES), 4, 32, None)
    assert evaluation.clips.paths == data.test.paths
    np.testing.assert_array_equal(evaluation.clips.x, data.test.x)
    reused = load_dataset(tiny_ucf, frames=4, size=32, sample_fps=None, progress=False,
                          decoded_test=evaluation.clips)
    assert reused.test is evaluation.clips
    np.testing.assert_array_equal(reused.train.x, data.train.x)


def test_bad_videos_are_skipped_with_one_warning_line(tiny_folder: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    root = shutil.copytree(tiny_folder, tmp_path / "data")
    (root / "fall" / "v_fall_g02_c07.mp4").write_bytes(b"")
    (root / "walk" / "v_walk_g02_c07.mp4").write_bytes(b"\x00garbage, not a video" * 50)
    write_video(root / "idle" / "v_idle_g02_c07.mp4",
                [np.zeros((32, 32, 3), np.uint8)] * 2, 8.0)
    data = load_dataset(root, frames=TINY_FRAMES, size=32, sample_fps=8.0, progress=False)
    assert len(data.train) + len(data.test) == 24
    reasons = {item.path.name: item.reason for item in data.skipped}
    assert reasons["v_fall_g02_c07.mp4"] == "unreadable"
    assert reasons["v_walk_g02_c07.mp4"] == "unreadable"
    assert reasons["v_idle_g02_c07.mp4"].startswith("too short (has 2 frames")
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: skipped 3 of 27 videos")
    assert all(name in warnings[0] for name in reasons)


def test_common_fps(tiny_folder: Path, tmp_path: Path) -> None:
    index = index_folder(tiny_folder)
    assert common_fps(index.clips) == 8.0
    other = gray_ramp(tmp_path / "walk" / "v_walk_g09_c01.mp4", 4, 25.0)
    mixed = index.clips + [ClipRef(other, 1, "g09")]
    assert common_fps(mixed) is None


def test_calibration_samples_cover_every_class(tiny_folder: Path) -> None:
    samples = calibration_samples(tiny_folder, frames=4, size=32, n=5)
    assert samples.shape == (5, 4, 32, 32, 3) and samples.dtype == np.float32
    assert 0.0 <= samples.min() and samples.max() <= 1.0
    everything = calibration_samples(tiny_folder, frames=4, size=32, n=100)
    assert len(everything) == 24, "a folder without split files gives all its clips"


def test_calibration_uses_only_the_train_split_when_there_is_one(tiny_ucf: Path) -> None:
    assert len(calibration_samples(tiny_ucf, frames=4, size=32, n=100)) == 9
    with pytest.raises(BadInput, match="expected >= 1"):
        calibration_samples(tiny_ucf, frames=4, size=32, n=0)


# --- the tf.data pipeline -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_train(tiny_ucf: Path):
    return load_dataset(tiny_ucf, frames=4, size=TINY_SIZE, progress=False).train


def _batches(dataset) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def test_pipeline_batches_clips_and_frames(tiny_train) -> None:
    from har_convert.data.batches import training_dataset
    clips = _batches(training_dataset(tiny_train, batch=4, seed=0))
    assert [x.shape for x, _ in clips] == [(4, 4, TINY_SIZE, TINY_SIZE, 3)] * 2 + \
        [(1, 4, TINY_SIZE, TINY_SIZE, 3)]
    assert clips[0][0].dtype == np.float32 and 0.0 <= clips[0][0].min() <= clips[0][0].max() <= 1.0
    assert sorted(np.concatenate([y for _, y in clips]).tolist()) == sorted(tiny_train.y.tolist())
    frames = _batches(training_dataset(tiny_train, batch=16, seed=0, frame_level=True))
    assert sum(len(y) for _, y in frames) == 4 * len(tiny_train)
    assert frames[0][0].shape[1:] == (TINY_SIZE, TINY_SIZE, 3)


def test_pipeline_is_deterministic_by_seed_and_varies_by_epoch(tiny_train) -> None:
    from har_convert.data.batches import training_dataset
    first = _batches(training_dataset(tiny_train, batch=9, seed=5))
    again = _batches(training_dataset(tiny_train, batch=9, seed=5))
    np.testing.assert_array_equal(first[0][0], again[0][0])
    pipeline = training_dataset(tiny_train, batch=9, seed=5)
    epoch1, epoch2 = _batches(pipeline), _batches(pipeline)
    assert not np.array_equal(epoch1[0][0], epoch2[0][0])


def test_augmentation_is_the_same_for_every_frame_of_a_clip() -> None:
    import tensorflow as tf

    from har_convert.data.batches import augment
    from har_convert.settings import Augmentation
    rng = np.random.default_rng(0)
    frame = rng.random((32, 32, 3), dtype=np.float32)
    clip = tf.constant(np.repeat(frame[None], 5, axis=0))
    strong = Augmentation(flip=True, max_rotation_deg=20.0, min_crop=0.6)
    outputs = [augment(clip, tf.constant([seed, 1], tf.int64), strong).numpy() for seed in range(6)]
    for out in outputs:
        assert out.shape == (5, 32, 32, 3)
        np.testing.assert_allclose(out, np.repeat(out[:1], 5, axis=0), atol=1e-6)
        assert not np.allclose(out[0], frame, atol=1e-3), "the strong draw must change the frame"
    assert not np.allclose(outputs[0], outputs[1])


def test_flip_only_mirrors_and_no_augmentation_is_identity() -> None:
    import tensorflow as tf

    from har_convert.data.batches import augment
    from har_convert.settings import NO_AUGMENTATION, Augmentation
    frame = np.random.default_rng(1).random((16, 16, 3), dtype=np.float32)
    flip_only = Augmentation(flip=True, max_rotation_deg=0.0, min_crop=1.0)
    seen = set()
    for seed in range(8):
        out = augment(tf.constant(frame), tf.constant([seed, 0], tf.int64), flip_only).numpy()
        mirrored = np.allclose(out, frame[:, ::-1], atol=1e-5)
        assert mirrored or np.allclose(out, frame, atol=1e-5)
        seen.add(mirrored)
    assert seen == {True, False}
    same = augment(tf.constant(frame), tf.constant([3, 3], tf.int64), NO_AUGMENTATION).numpy()
    np.testing.assert_array_equal(same, frame)


def test_training_batches_are_not_autotuned(tiny_train) -> None:
    """Deleting an autotuned iterator at an epoch's end can stall for as long as the epoch ran."""
    from har_convert.data.batches import training_dataset
    assert training_dataset(tiny_train, batch=4, seed=0).options().autotune.enabled is False
