"""The keypoint heads: small, trained by har-train from a folder of keypoint sequences (windows
normalised as the device normalises them), mirrored in training with the device side's arithmetic;
a head and a folder of the wrong kind exit 2 with one line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from keypoint_data import FRAMES, KEYPOINT_CLASSES, write_skeleton_tree

from har_convert.cli.train import cli, main, sibling
from har_convert.data import ClipSet
from har_convert.data.batches import keypoint_batches
from har_convert.train.zoo import build
from har_device.core.bundle import KeypointInput
from har_device.core.keypoints import FEATURES, mirror_features


@pytest.fixture(scope="module")
def skeletons(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_skeleton_tree(tmp_path_factory.mktemp("skeletons") / "data")


@pytest.mark.parametrize("arch", ["kp-tcn", "kp-gru"])
def test_heads_are_small_and_read_normalised_windows(arch: str) -> None:
    model = build(arch, num_classes=8, frames=16)
    assert model.input_shape == (None, 16, FEATURES) and model.output_shape == (None, 8)
    assert model.count_params() < 60_000


def test_har_train_trains_a_head_from_keypoint_sequences(skeletons: Path, tmp_path: Path) -> None:
    out = tmp_path / "head.keras"
    result = CliRunner().invoke(cli, ["--arch", "kp-gru", "--data", str(skeletons), "--frames",
                                      str(FRAMES), "--epochs", "2", "--quiet", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    info = json.loads(sibling(out, ".train.json").read_text())
    assert info["kind"] == "keypoints" and info["size"] is None and "input" not in info
    assert info["keypoints"] == KeypointInput().model_dump() and info["sample_fps"] == 8.0
    assert info["labels"] == list(KEYPOINT_CLASSES)
    report = json.loads(sibling(out, ".report.json").read_text())
    assert report["n"] == len((skeletons / "testlist01.txt").read_text().split())


def test_mirror_augmentation_is_the_device_sides_mirror() -> None:
    x = np.random.default_rng(0).normal(size=(16, 4, FEATURES)).astype(np.float32)
    clips = ClipSet(x, np.arange(16) % 3, tuple(Path(f"{i}") for i in range(16)), ("g01",) * 16)
    seen = {"same": 0, "mirrored": 0}
    for features, labels in keypoint_batches(clips, 4, seed=0, mirror=True):
        for sample, label in zip(features.numpy(), labels.numpy()):
            original = x[np.flatnonzero(clips.y == label)]
            if any(np.allclose(sample, o) for o in original):
                seen["same"] += 1
            else:
                assert any(np.allclose(sample, mirror_features(o), atol=1e-6) for o in original)
                seen["mirrored"] += 1
    assert seen["same"] and seen["mirrored"]


@pytest.mark.parametrize("arch, data, extra, message", [
    ("lrcn", "skeletons", [], "holds keypoint sequences (.npz), which --arch lrcn does not read; "
                              "architectures for them: kp-tcn, kp-gru"),
    ("kp-tcn", "videos", [], "holds videos, which --arch kp-tcn does not read"),
    ("kp-tcn", "skeletons", ["--size", "32"], "reads keypoints, not frames; leave it out"),
])
def test_wrong_kinds_exit_2_with_one_line(arch: str, data: str, extra: list[str], message: str,
                                          skeletons: Path, tiny_ucf: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture) -> None:
    folder = skeletons if data == "skeletons" else tiny_ucf
    monkeypatch.setattr(sys, "argv", ["har-train", "--arch", arch, "--data", str(folder), *extra,
                                      "--out", str(tmp_path / "m.keras")])
    with pytest.raises(SystemExit) as finished:
        main()
    lines = capsys.readouterr().err.strip().splitlines()
    assert finished.value.code == 2 and len(lines) == 1 and message in lines[0]
