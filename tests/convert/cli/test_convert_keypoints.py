"""`har-convert` on a keypoint head (kp-tcn, briefly trained on tiny skeleton data): pruned, trained
quantization-aware and converted to full int8 on keypoint windows; the bundle is mode "pose" with the
keypoint input described, its int8 model runs in ai-edge-litert on windows normalised by the device
side's function, the report scores every stage, har-bench times it on keypoint-shaped inputs;
wrong-kind data and missing calibration exit 2."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from convert_helpers import error_lines, har_convert
from keypoint_data import FPS, FRAMES, KEYPOINT_CLASSES, write_skeleton_tree

from har_convert.data import load_dataset
from har_convert.export.metadata import embedded_view
from har_convert.train.zoo import build
from har_device.agent.model import ModelRequest, load_device_model
from har_device.core.bundle import KeypointInput, load_bundle, read_embedded_metadata
from har_device.core.keypoints import FEATURES, load_sequence, normalise
from har_device.core.litert import TFLiteModel

STAGES = ("keras", "float", "pruned", "qat", "int8", "ptq_int8")


@pytest.fixture(scope="module")
def skeletons(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_skeleton_tree(tmp_path_factory.mktemp("skeletons") / "data", clips_per_class=10,
                               groups=5)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, skeletons: Path) -> Path:
    """kp-tcn fitted for a few epochs and saved with the side files har-train writes."""
    keras.utils.set_random_seed(0)
    data = load_dataset(skeletons, FRAMES, None, sample_fps=FPS, progress=False)
    model = build("kp-tcn", num_classes=len(KEYPOINT_CLASSES), frames=FRAMES, filters=16)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(data.train.x, data.train.y, epochs=15, batch_size=16, verbose=0)
    path = tmp_path_factory.mktemp("model") / "head.keras"
    model.save(path)
    path.with_name("head.labels.txt").write_text("\n".join(KEYPOINT_CLASSES) + "\n")
    path.with_name("head.train.json").write_text(json.dumps(
        {"arch": "kp-tcn", "frames": FRAMES, "size": None, "sample_fps": FPS, "seed": 0,
         "labels": list(KEYPOINT_CLASSES), "keypoints": KeypointInput().model_dump()}))
    return path


@pytest.fixture(scope="module")
def converted(trained: Path, skeletons: Path) -> tuple[int, str, Path]:
    out = trained.with_name("bundle")
    code, stdout, stderr = har_convert(trained, "--data", skeletons, "--prune", "0.5",
                                       "--finetune-epochs", "1", "--qat-epochs", "1",
                                       "--out", out)
    assert code == 0, stderr
    return code, stdout, out


def test_the_bundle_is_a_pose_bundle(converted: tuple[int, str, Path]) -> None:
    _, stdout, out = converted
    meta = load_bundle(out)
    assert meta.mode == "pose" and meta.input is None and meta.frames == FRAMES
    assert meta.keypoints == KeypointInput() and meta.sample_fps == FPS
    assert {name: entry.role for name, entry in meta.files.items()} == {
        "model_int8.tflite": "clip", "model_float.tflite": "clip_float",
        "pose_detection.tflite": "pose_detector", "pose_landmark_full.tflite": "pose_landmarks"}
    raw = json.loads((out / "har_model.json").read_text())
    assert "input" not in raw and raw["keypoints"]["normalisation"] == "hips-torso"
    assert read_embedded_metadata(out / "model_int8.tflite") == embedded_view(meta)
    assert "mode pose" in stdout


def test_int8_head_runs_on_windows_normalised_by_the_device_side(
        converted: tuple[int, str, Path], skeletons: Path) -> None:
    _, _, out = converted
    model = TFLiteModel(out / "model_int8.tflite")
    assert model.input.shape == (1, FRAMES, FEATURES) and model.input.quantized
    assert str(model.input.dtype) == "int8"
    float_model = TFLiteModel(out / "model_float.tflite")
    windows = [normalise(*load_sequence(path)[::2])
               for path in sorted(skeletons.glob("*/*.npz"))[:12]]
    agree = [np.argmax(model.predict(w[None])) == np.argmax(float_model.predict(w[None]))
             for w in windows]
    assert np.mean(agree) >= 0.75


def test_the_report_scores_every_stage(converted: tuple[int, str, Path], skeletons: Path) -> None:
    _, _, out = converted
    report = json.loads((out / "report.json").read_text())
    assert tuple(report["stages"]) == STAGES and report["mode"] == "pose"
    assert report["keypoints"]["features"] == FEATURES and "input" not in report
    assert report["evaluation"]["clips"] == len((skeletons / "testlist01.txt").read_text().split())
    for stage in STAGES:
        assert 0.0 <= report["stages"][stage]["accuracy"] <= 1.0
    assert report["optimization"]["prune"]["ratio"] == 0.5
    assert report["stages"]["pruned"]["params"] < report["stages"]["float"]["params"]
    assert "hips-torso" in (out / "report.md").read_text()


def test_the_agent_loads_it_as_a_pose_model(converted: tuple[int, str, Path]) -> None:
    _, _, out = converted
    model = load_device_model(ModelRequest(path=out))
    assert model.mode == "pose" and model.sample_fps == FPS
    assert model.runner.input.shape == (1, FRAMES, FEATURES)


@pytest.mark.parametrize("extra, message", [
    (["--data", "VIDEOS"], "holds videos, but the model reads keypoint sequences (.npz)"),
    ([], "no calibration data for a keypoint model"),
])
def test_wrong_or_missing_keypoint_data_exits_2(trained: Path, tiny_ucf: Path, tmp_path: Path,
                                                extra: list[str], message: str) -> None:
    args = [tiny_ucf if item == "VIDEOS" else item for item in extra]
    code, _, stderr = har_convert(trained, *args, "--out", tmp_path / "b")
    lines = error_lines(stderr)
    assert code == 2 and len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "b").exists()


def test_har_bench_times_the_head_on_keypoint_windows_not_frames(
        converted: tuple[int, str, Path], tmp_path: Path) -> None:
    _, _, out = converted
    bench = str(Path(sys.executable).with_name("har-bench"))
    done = subprocess.run([bench, str(out), "--runs", "20", "--min-secs", "0", "--source",
                           "synthetic:", "--json", str(tmp_path / "bench.json")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "model_int8.tflite" in done.stdout
    timed = json.loads((tmp_path / "bench.json").read_text())["models"]
    assert {model["inputs"] for model in timed} == {"random"}  # frames do not feed a keypoint head
