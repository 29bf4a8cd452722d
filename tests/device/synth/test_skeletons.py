"""har-synth skeletons: the 3D lifting of the side-view body, the camera, the pose stage's errors, and
the dataset in the clips' layout and group split."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from har_device.core.keypoints import INDEX, load_sequence, normalise, save_sequence
from har_device.synth.dataset import group_look, make_spec
from har_device.synth.skeleton import (SKELETON_LABELS, Build, add_errors, bend_depth, joints_3d,
                                       plan_skeleton_slot, plan_world, read_as_crouch)


@pytest.fixture(scope="module")
def skeletons(tmp_path_factory: pytest.TempPathFactory, har_synth: str) -> Path:
    root = tmp_path_factory.mktemp("skeletons") / "data"
    subprocess.run([har_synth, "skeletons", str(root), "--clips-per-class", "3"], check=True,
                   capture_output=True)
    return root


def test_layout_and_group_split_as_the_clips(skeletons: Path) -> None:
    assert (skeletons / "classInd.txt").read_text().split()[1::2] == list(SKELETON_LABELS)
    train = (skeletons / "trainlist01.txt").read_text().split()[::2]
    test = (skeletons / "testlist01.txt").read_text().split()
    assert len(train) + len(test) == 3 * len(SKELETON_LABELS)
    assert {name.rsplit("_g", 1)[1][:2] for name in test} == {"01"}
    assert "01" not in {name.rsplit("_g", 1)[1][:2] for name in train}
    points, size, fps = load_sequence(skeletons / "lying" / "v_lying_g02_c01.npz")
    assert points.shape == (16, 33, 5) and fps == 8.0 and size[0] > 0


def test_same_slot_same_sequence() -> None:
    spec = make_spec(SKELETON_LABELS, 4, 16, 8.0, None, 3, None, known=SKELETON_LABELS)
    first, size = plan_skeleton_slot(spec, "fall", 2, 1)
    again, same_size = plan_skeleton_slot(spec, "fall", 2, 1)
    assert np.array_equal(first, again, equal_nan=True) and size == same_size
    assert not np.array_equal(first, plan_skeleton_slot(spec, "fall", 2, 2)[0], equal_nan=True)


def test_lifted_body_has_its_widths_and_sides() -> None:
    look, build = group_look(0, 1), Build(1.8, 0.11, 0.05)
    world, facing, _ = plan_world("idle", 4, 8.0, np.random.default_rng(0), look, None)
    for turned in (facing, -facing):
        points = joints_3d(world, turned, look.body, build)
        shoulders = points[:, INDEX["right_shoulder"]] - points[:, INDEX["left_shoulder"]]
        assert np.allclose(np.abs(shoulders[:, 2]), 0.22 * 1.8, rtol=0.15)
        # the person's right is +z facing +x, and the nose is ahead of the ears
        assert (np.sign(shoulders[:, 2]) == turned).all()
        ears = points[:, [INDEX["left_ear"], INDEX["right_ear"]]].mean(axis=1)
        assert (np.sign(points[:, INDEX["nose"], 0] - ears[:, 0]) == turned).all()
        height = points[..., 1].max(axis=1) - points[..., 1].min(axis=1)
        assert np.all((height > 1.5) & (height < 1.9))


def test_errors_the_pose_stage_makes() -> None:
    rng = np.random.default_rng(0)
    pixels = np.zeros((200, 33, 3))
    pixels[..., :2] = [320, 240] + rng.uniform(-100, 100, (200, 33, 2))
    pixels[:, 0, 0] = -50  # the nose always out of the picture
    out = add_errors(np.random.default_rng(1), pixels, np.full((200, 33), 0.95), (480, 640),
                     np.ones(200, bool))
    absent = np.isnan(out).all(axis=(1, 2))
    assert 0 < absent.mean() < 0.6 and not np.isnan(out[~absent]).any()
    assert (out[~absent, 0, 3] < 0.25).all() and (out[~absent, 1:, 3] > 0.8).mean() > 0.9
    error = np.linalg.norm(out[~absent, :, :2] - pixels[~absent, :, :2], axis=-1)
    person = np.ptp(pixels[..., 1], axis=1).max()
    assert 0 < np.median(error) < 0.03 * person
    hips, wrists = [INDEX["left_hip"], INDEX["right_hip"]], [INDEX["left_wrist"], INDEX["right_wrist"]]
    assert np.median(error[:, wrists]) > 2 * np.median(error[:, hips])


def test_standing_and_lying_differ_in_normalised_torso(skeletons: Path) -> None:
    """Hips-centred idle people have their shoulders above the hips in the picture."""
    upright = []
    for path in sorted((skeletons / "idle").glob("*.npz")):
        points, _, fps = load_sequence(path)
        features = normalise(points, fps).reshape(len(points), 33, 5)
        shoulders = features[:, [INDEX["left_shoulder"], INDEX["right_shoulder"]], 1].mean(axis=1)
        upright.append(np.median(shoulders))
    assert max(upright) < -0.5


def test_unknown_class_is_one_line_and_exit_2(har_synth: str, tmp_path: Path) -> None:
    done = subprocess.run([har_synth, "skeletons", str(tmp_path / "x"), "--classes", "fall,jump"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'har-synth: error: classes: unknown action "jump" (expected one of '
        + ", ".join(SKELETON_LABELS) + ")"]


def test_a_bend_window_may_end_bent_over() -> None:
    """Windows over continuous video end anywhere in a bend: some sequences still end with the torso
    far from upright (with the hips high), which a bend seen whole never does."""
    look = group_look(0, 1)
    ends = []
    for seed in range(40):
        world, facing, _ = plan_world("bend", 16, 8.0, np.random.default_rng(seed), look, None)
        points = joints_3d(world, facing, look.body, Build(1.7, 0.11, 0.05))
        ends.append(bend_depth(points)[-1])
    assert np.mean(np.array(ends) > 0.5) >= 0.15


def test_a_deep_bend_may_be_read_as_a_crouch() -> None:
    """The hips and everything above them slide down the thighs by slide x depth; the legs below the
    knees stay where they are; an upright or lying body has no bend depth."""
    look = group_look(0, 2)
    world, facing, _ = plan_world("bend", 16, 8.0, np.random.default_rng(3), look, None)
    points = joints_3d(world, facing, look.body, Build(1.7, 0.11, 0.05))
    depth = bend_depth(points)
    assert depth[0] == 0.0 and depth.max() == 1.0
    pixels = np.concatenate([points[..., :2] * [100, -100], points[..., 2:]], axis=-1)
    read = read_as_crouch(pixels, depth, 0.5)
    hips, knees = ([INDEX[f"{s}_{j}"] for s in ("left", "right")] for j in ("hip", "knee"))
    deepest = int(np.argmax(depth))
    expected = pixels[deepest, hips, :2] + 0.5 * (pixels[deepest, knees, :2].mean(0)
                                                 - pixels[deepest, hips, :2].mean(0))
    assert np.allclose(read[deepest, hips, :2], expected)
    assert np.array_equal(read[:, knees], pixels[:, knees]) and np.array_equal(read[0], pixels[0])
    lying, lying_facing, _ = plan_world("lying", 4, 8.0, np.random.default_rng(0), look, None)
    assert not bend_depth(joints_3d(lying, lying_facing, look.body, Build(1.7, 0.11, 0.05))).any()


def _readings(skeletons: Path, root: Path, names: list[str]) -> Path:
    """A folder as `har-pose extract` writes it: class folders of sequence files."""
    points, size, fps = load_sequence(skeletons / "fall" / "v_fall_g01_c01.npz")
    for name in names:
        label = name.split("/")[0]
        (root / label).mkdir(parents=True, exist_ok=True)
        save_sequence(root / name, points, size, fps)
    return root


def test_added_readings_join_the_split_of_their_group(skeletons: Path, har_synth: str,
                                                     tmp_path: Path) -> None:
    readings = _readings(skeletons, tmp_path / "readings",
                         ["fall/v_fall_g01_c01.npz", "fall/v_fall_g02_c01.npz",
                          "sit/v_sit_g02_c07.npz"])
    out = tmp_path / "with_readings"
    subprocess.run([har_synth, "skeletons", str(out), "--clips-per-class", "3", "--add",
                    str(readings)], check=True, capture_output=True)
    train = (out / "trainlist01.txt").read_text().splitlines()
    test = (out / "testlist01.txt").read_text().splitlines()
    assert len(train) + len(test) == 3 * len(SKELETON_LABELS) + 3
    assert "fall/v_fall_g01_c03.npz" in test  # group 1 is held out; clips 1-2 are synthetic
    assert {"fall/v_fall_g02_c03.npz 1", "sit/v_sit_g02_c03.npz 3"} <= set(train)
    assert (out / "sit" / "v_sit_g02_c03.npz").read_bytes() == \
        (readings / "sit" / "v_sit_g02_c07.npz").read_bytes()


@pytest.mark.parametrize("name, message", [
    ("jump/v_jump_g01_c01.npz", "class 'jump' is not one of the skeletons'"),
    ("fall/clip.npz", "expected a UCF name v_<class>_g<group>_c<clip>.npz")])
def test_readings_that_cannot_be_added_are_one_line_and_exit_2(
        skeletons: Path, har_synth: str, tmp_path: Path, name: str, message: str) -> None:
    readings = _readings(skeletons, tmp_path / "readings", [name])
    done = subprocess.run([har_synth, "skeletons", str(tmp_path / "out"), "--add", str(readings)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and not (tmp_path / "out").exists()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
