"""`har-convert` end to end on a briefly trained LRCN (nested frame CNN + LSTM) and tiny clips:
the bundle is complete and valid, the metadata is embedded and reads back without TensorFlow's
help, the int8 models are integer-only builtin graphs that run in ai-edge-litert, the streaming
split agrees with the whole model, the report holds every stage; ConvLSTM2D takes its documented
fallback; bad inputs exit 2 with one line and leave nothing behind. Each model converts once.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import pytest
from convert_helpers import error_lines, har_convert, write_sidecars
from tiny_videos import TINY_CLASSES, write_ucf_tree

from har_convert.bridge.rebuild import OUTPUT_TOLERANCE
from har_convert.data import load_dataset
from har_convert.export.metadata import embedded_view
from har_convert.quantize.calibration import load_calibration
from har_convert.quantize.checks import non_builtin_ops, op_inventory
from har_convert.train.zoo import build, fold_time
from har_convert.verify.scoring import agreement, streaming_scores, tflite_scores
from har_device.core.bundle import load_bundle, read_embedded_metadata
from har_device.core.litert import TFLiteModel

FRAMES, SIZE, FPS = 4, 32, 8.0
BUNDLE_FILES = {"model_int8.tflite", "model_float.tflite", "frame_int8.tflite",
                "head_int8.tflite", "har_model.json", "report.json", "report.md"}
STAGES = ("keras", "float", "int8", "streaming_int8")
REQUIRED = ("size_bytes", "accuracy", "f1_macro", "precision_macro", "recall_macro",
            "latency_ms_p50")


class Run(NamedTuple):
    code: int
    stdout: str
    stderr: str
    out: Path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 classes x 6 groups x 2 clips (moving squares), generated split by group."""
    return write_ucf_tree(tmp_path_factory.mktemp("clips"), groups=6, clips_per_group=2,
                          split_files=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, clips: Path) -> Path:
    """A tiny LRCN trained for a few seconds (varied predictions, not a good model), saved as
    har-train would save it."""
    keras.utils.set_random_seed(0)
    data = load_dataset(clips, FRAMES, SIZE, progress=False)
    model = build("lrcn", num_classes=len(TINY_CLASSES), frames=FRAMES, size=SIZE,
                  lstm_units=16, dropout=0.1)
    view = fold_time(model)
    view.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    view.fit(data.train.inputs(), data.train.y, epochs=30, batch_size=12, verbose=0)
    path = tmp_path_factory.mktemp("model") / "lrcn.keras"
    model.save(path)
    write_sidecars(path, data.labels, FRAMES, SIZE, FPS, "lrcn")
    return path


@pytest.fixture(scope="module")
def converted(trained: Path, clips: Path) -> Run:
    out = trained.parent / "bundle"
    return Run(*har_convert(trained, "--data", clips, "--calib-samples", 8, "--no-qat",
                            "--out", out), out)


@pytest.fixture(scope="module")
def report(converted: Run) -> dict:
    assert converted.code == 0, converted.stderr
    return json.loads((converted.out / "report.json").read_text())


def test_bundle_is_complete_and_valid(converted: Run, report: dict) -> None:
    names = {path.name for path in converted.out.iterdir()}
    assert BUNDLE_FILES <= names
    assert {f"confusion_{stage}.png" for stage in STAGES} <= names
    meta = load_bundle(converted.out, verify=True)
    assert (meta.mode, meta.frames, meta.sample_fps) == ("streaming", FRAMES, FPS)
    assert meta.labels == sorted(TINY_CLASSES)
    assert meta.events["fall"].alert and not meta.events["walk"].alert
    assert meta.source_model.architecture == "lrcn"
    assert {name: entry.role for name, entry in meta.files.items()} == {
        "model_int8.tflite": "clip", "model_float.tflite": "clip_float",
        "frame_int8.tflite": "frame", "head_int8.tflite": "head"}
    assert f"bundle: {converted.out}" in converted.stdout


def test_metadata_is_embedded_in_every_tflite(converted: Run) -> None:
    meta = load_bundle(converted.out)
    for name in meta.files:
        assert read_embedded_metadata(converted.out / name) == embedded_view(meta)


def test_int8_models_are_integer_only_builtin_and_run(converted: Run, report: dict) -> None:
    for name in ("model_int8.tflite", "frame_int8.tflite", "head_int8.tflite"):
        model = TFLiteModel(converted.out / name)
        assert (model.input.dtype, model.output.dtype) == (np.int8, np.int8)
        ops = op_inventory(converted.out / name)
        assert not non_builtin_ops(ops) and not any("Flex" in op for op in ops)
        raw = model.invoke(np.zeros(model.input.shape, np.int8))
        assert raw.shape == model.output.shape
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in report["stages"]["int8"]["ops"]
    for stage in ("int8", "streaming_int8"):
        assert report["stages"][stage]["quantization"] == "full-int8"


def test_report_has_every_stage(converted: Run, report: dict) -> None:
    for stage in STAGES:
        entry = report["stages"][stage]
        assert all(entry[key] is not None for key in REQUIRED), (stage, entry)
        assert 0.0 <= entry["accuracy"] <= 1.0 and entry["confusion_png"]
    for stage in STAGES[1:]:
        assert 0.0 <= report["stages"][stage]["agreement_vs_float"] <= 1.0
        xnnpack = report["stages"][stage]["xnnpack"]
        assert 0 < xnnpack["delegated"] <= xnnpack["total"]
    assert report["stages"]["float"]["agreement_vs_keras"] == 1.0
    assert report["stages"]["int8"]["size_bytes"] < report["stages"]["float"]["size_bytes"]
    assert report["bridge"]["max_abs_diff"] <= OUTPUT_TOLERANCE
    assert report["evaluation"]["clips"] > 0 and report["calibration"]["samples"] == 8
    markdown = (converted.out / "report.md").read_text()
    assert all(f"| {stage} " in markdown for stage in STAGES)
    assert all(stage in converted.stdout for stage in STAGES)


def test_streaming_split_agrees_with_the_whole_int8_model(converted: Run, report: dict,
                                                          clips: Path) -> None:
    assert report["stages"]["streaming_int8"]["agreement_vs_int8"] >= 0.9
    test = load_dataset(clips, FRAMES, SIZE, progress=False).test.inputs()
    whole = tflite_scores(converted.out / "model_int8.tflite", test, frame_model=False)
    split = streaming_scores(converted.out / "frame_int8.tflite",
                             converted.out / "head_int8.tflite", test)
    assert len(set(np.argmax(whole, axis=1))) > 1, "the fixture model should not be constant"
    assert agreement(split, whole) >= 0.9
    assert np.max(np.abs(split - whole)) < 0.1


@pytest.fixture(scope="module")
def convlstm(tmp_path_factory: pytest.TempPathFactory, clips: Path) -> Run:
    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("convlstm") / "convlstm.keras"
    build("convlstm", num_classes=len(TINY_CLASSES), frames=FRAMES, size=SIZE).save(path)
    write_sidecars(path, sorted(TINY_CLASSES), FRAMES, SIZE, FPS, "convlstm")
    out = path.parent / "bundle"
    return Run(*har_convert(path, "--eval", clips, "--calib", clips, "--calib-samples", 3,
                            "--no-float", "--out", out), out)


def test_convlstm_takes_the_dynamic_range_fallback_without_shipping_float(convlstm: Run) -> None:
    assert convlstm.code == 0, convlstm.stderr
    report = json.loads((convlstm.out / "report.json").read_text())
    quantization = report["stages"]["int8"]["quantization"]
    assert quantization.startswith("dynamic-range fallback: ")
    assert any(quantization in warning for warning in report["warnings"])
    assert "dynamic-range fallback" in convlstm.stderr
    meta = load_bundle(convlstm.out)
    assert meta.mode == "clip" and meta.converter["quantization"]["model_int8.tflite"] == quantization
    assert list(meta.files) == ["model_int8.tflite"] and not (convlstm.out / "model_float.tflite").exists()
    assert report["stages"]["float"]["accuracy"] is not None
    assert not report["stages"]["float"]["shipped"]
    assert TFLiteModel(convlstm.out / "model_int8.tflite").input.dtype == np.float32
    assert not non_builtin_ops(op_inventory(convlstm.out / "model_int8.tflite"))


def test_single_frame_classifier_becomes_a_frame_bundle(tmp_path: Path, clips: Path) -> None:
    keras.utils.set_random_seed(0)
    frame = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, use_bias=False)(frame)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    scores = keras.layers.Dense(3, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))
    path = tmp_path / "frames.keras"
    keras.Model(frame, scores).save(path)
    write_sidecars(path, sorted(TINY_CLASSES), FRAMES, SIZE, FPS, "custom-frame")
    code, _, stderr = har_convert(path, "--data", clips, "--calib-samples", 4, "--no-qat")
    assert code == 0, stderr
    bundle = tmp_path / "frames_bundle"
    meta = load_bundle(bundle)
    assert (meta.mode, meta.frames) == ("frame", FRAMES)
    assert meta.files["model_int8.tflite"].input.shape == [1, SIZE, SIZE, 3]
    report = json.loads((bundle / "report.json").read_text())
    assert set(report["stages"]) == {"keras", "float", "int8"}
    assert report["stages"]["float"]["agreement_vs_keras"] == 1.0


def test_tf_keras_h5_model_converts_with_its_streaming_split(tmp_path: Path, clips: Path) -> None:
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    frame_input = tf_keras.Input((SIZE, SIZE, 3))
    x = tf_keras.layers.Conv2D(8, 3, strides=2, activation="relu")(frame_input)
    frame = tf_keras.Model(frame_input, tf_keras.layers.GlobalAveragePooling2D()(x))
    clip = tf_keras.Input((FRAMES, SIZE, SIZE, 3))
    features = tf_keras.layers.TimeDistributed(frame, name="frame_features")(clip)
    scores = tf_keras.layers.Dense(3, activation="softmax")(tf_keras.layers.LSTM(8)(features))
    path = tmp_path / "legacy.h5"
    tf_keras.Model(clip, scores).save(path)
    write_sidecars(path, sorted(TINY_CLASSES), FRAMES, SIZE, FPS, "custom-tf-keras")
    code, _, stderr = har_convert(path, "--data", clips, "--calib-samples", 4, "--no-float",
                                  "--no-qat")
    assert code == 0, stderr
    report = json.loads((tmp_path / "legacy_bundle" / "report.json").read_text())
    assert report["source_model"]["flavour"] == "tf_keras"
    assert report["bridge"]["max_abs_diff"] is None
    assert report["mode"] == "streaming" and report["bridge"]["streaming_cut"] == "frame_features"


def test_max_drop_fails_the_command_but_keeps_the_bundle(monkeypatch: pytest.MonkeyPatch,
                                                         converted: Run) -> None:
    report = json.loads((converted.out / "report.json").read_text())
    report["accuracy_drop_points"] = {"int8": 3.0, "streaming_int8": 1.0}
    monkeypatch.setattr("har_convert.cli.convert.preflight", lambda options: None)
    monkeypatch.setattr("har_convert.cli.convert.convert", lambda options: report)
    code, _, stderr = har_convert("any.keras", "--max-drop", 2)
    assert code == 1
    assert error_lines(stderr) == ["har-convert: error: int8 lost 3.0 accuracy points (more "
                                   "than --max-drop 2); the bundle and report were written"]
    assert har_convert("any.keras", "--max-drop", 5)[0] == 0


def bad_inputs(trained: Path, clips: Path, tmp: Path) -> dict[str, tuple[list, str]]:
    """name -> (har-convert arguments, expected text in the error line)."""
    not_model = tmp / "notes.keras"
    not_model.write_text("hello")
    truncated = tmp / "truncated.keras"
    truncated.write_bytes(trained.read_bytes()[: trained.stat().st_size // 2])
    empty = tmp / "empty_calib"
    empty.mkdir()
    wrong_rank = tmp / "frames.npy"
    np.save(wrong_rank, np.zeros((3, SIZE, SIZE, 3), np.uint8))
    two_labels = tmp / "two.txt"
    two_labels.write_text("fall\nwalk\n")
    common = ["--data", clips]
    return {
        "not a model": ([not_model, *common], "not a Keras model file"),
        "truncated": ([truncated, *common], "truncated or corrupt"),
        "empty calibration folder": ([trained, *common, "--calib", empty], "no video files"),
        "calibration of wrong rank": ([trained, *common, "--calib", wrong_rank],
                                      "expected (N, T, H, W, 3)"),
        "missing --out parent": ([trained, *common], "does not exist"),
        "label count": ([trained, *common, "--labels", two_labels], "2 labels, but the model"),
        "other T": ([trained, *common, "--frames", FRAMES + 1], f"takes exactly T={FRAMES}"),
    }


@pytest.mark.parametrize("case", ["not a model", "truncated", "empty calibration folder",
                                  "calibration of wrong rank", "missing --out parent",
                                  "label count", "other T"])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(case: str, trained: Path,
                                                            clips: Path, tmp_path: Path) -> None:
    arguments, expected = bad_inputs(trained, clips, tmp_path)[case]
    out = tmp_path / "no_such_parent" / "bundle" if case == "missing --out parent" \
        else tmp_path / "bundle"
    before = set(tmp_path.iterdir())
    code, stdout, stderr = har_convert(*arguments, "--out", out)
    assert code == 2
    lines = error_lines(stderr)
    assert len(lines) == 1 and expected in lines[0], stderr
    assert "Traceback" not in stderr
    assert set(tmp_path.iterdir()) == before


def test_lambda_needs_unsafe(tmp_path: Path, clips: Path) -> None:
    inputs = keras.Input((FRAMES, SIZE, SIZE, 3))
    scores = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, keras.layers.Lambda(lambda x: x, name="identity")(scores)).save(path)
    code, _, stderr = har_convert(path, "--data", clips, "--sample-fps", FPS)
    assert code == 2 and "layer 'identity' is a Lambda layer" in error_lines(stderr)[0]
    code, _, stderr = har_convert(path, "--data", clips, "--sample-fps", FPS, "--unsafe")
    assert code == 2 and "layer 'identity' (Lambda)" in error_lines(stderr)[0]
    assert not (tmp_path / "lambda_bundle").exists()


def test_calibration_array_is_resized_and_resampled(tmp_path: Path) -> None:
    array = np.random.default_rng(0).integers(0, 256, (3, 7, 40, 50, 3), dtype=np.uint8)
    np.save(tmp_path / "calib.npy", array)
    clips = load_calibration(tmp_path / "calib.npy", FRAMES, SIZE, n=2, sample_fps=None)
    assert clips.shape == (2, FRAMES, SIZE, SIZE, 3) and clips.dtype == np.float32
    assert 0.0 <= clips.min() and clips.max() <= 1.0


def test_console_script_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("har-convert")
    done = subprocess.run([str(script), str(tmp_path / "missing.keras")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert error_lines(done.stderr) == [f"har-convert: error: {tmp_path / 'missing.keras'}: "
                                        "no such model file"]
