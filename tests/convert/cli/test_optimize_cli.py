"""`har-convert --prune --qat-epochs` end to end on a tiny LRCN (Keras 3): the report has the
float / pruned / qat / int8 / ptq_int8 stages with parameters and MACs per clip, the shipped
models are the pruned ones (the comparison files stay out of the bundle), and the streaming split
is cut from the pruned QAT model; the report times the int8 model per layer before and after
pruning; `--target-latency` chooses the channels by that measurement; --finetune-lr sets the fine-tuning
rate; contradictory options exit 2 before any work."""
from __future__ import annotations

import json
from pathlib import Path

import keras
import pytest
from convert_helpers import error_lines, har_convert, settle_batchnorm, write_sidecars
from tiny_videos import TINY_CLASSES, write_ucf_tree

from har_convert.settings import FINETUNE_LR
from har_convert.train.zoo import build
from har_device.core.bundle import load_bundle
from har_device.core.litert import TFLiteModel

FRAMES, SIZE, FPS = 4, 32, 8.0
OPTIMIZED_STAGES = ("float", "pruned", "qat", "int8", "ptq_int8")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keras.utils.set_random_seed(0)
    model = build("lrcn", num_classes=len(TINY_CLASSES), frames=FRAMES, size=SIZE,
                  lstm_units=16, dropout=0.1)
    settle_batchnorm(model)
    path = tmp_path_factory.mktemp("model") / "lrcn.keras"
    model.save(path)
    write_sidecars(path, sorted(TINY_CLASSES), FRAMES, SIZE, FPS, "lrcn")
    return path


@pytest.fixture(scope="module")
def optimized(model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    clips = write_ucf_tree(tmp_path_factory.mktemp("clips"), clips_per_group=2,
                           split_files=False)
    out = model_file.parent / "bundle"
    code, _, stderr = har_convert(model_file, "--data", clips, "--calib-samples", 4,
                                  "--prune", "0.5", "--finetune-epochs", 1, "--qat-epochs", 1,
                                  "--out", out)
    assert code == 0, stderr
    return out, json.loads((out / "report.json").read_text())


def test_report_has_every_optimisation_stage(optimized):
    _, report = optimized
    stages = report["stages"]
    assert list(stages) == ["keras", *OPTIMIZED_STAGES, "streaming_int8"]
    for name in OPTIMIZED_STAGES:
        for key in ("params", "macs_per_clip", "accuracy", "f1_macro", "latency_ms_p50"):
            assert stages[name][key] is not None, (name, key)
    for name in ("float", "pruned", "int8", "ptq_int8"):
        assert stages[name]["size_bytes"] > 0 and stages[name]["gzip_bytes"] > 0
    assert stages["pruned"]["params"] <= 0.5 * stages["float"]["params"]
    assert stages["pruned"]["macs_per_clip"] <= 0.5 * stages["float"]["macs_per_clip"]
    assert stages["pruned"]["size_bytes"] < 0.6 * stages["float"]["size_bytes"]
    assert stages["int8"]["quantization"] == stages["ptq_int8"]["quantization"] == "full-int8"
    assert stages["int8"]["params"] == stages["pruned"]["params"]
    removed = report["optimization"]["prune"]["removed"]
    assert removed["lstm"] == [16, 8] and removed["block4_conv"] == [128, 64]
    finetune = report["optimization"]["finetune"]
    assert finetune["distilled"] and finetune["learning_rate"] == FINETUNE_LR  # no rate recorded
    assert report["optimization"]["qat"]["epochs"] == 1


def test_bundle_ships_the_pruned_models_and_a_pruned_streaming_split(optimized):
    out, _ = optimized
    names = {path.name for path in out.iterdir()}
    assert {"model_int8.tflite", "model_float.tflite", "frame_int8.tflite",
            "head_int8.tflite"} <= names
    assert not {"reference_float.tflite", "ptq_int8.tflite"} & names
    load_bundle(out, verify=True)
    # The frame network ends with the pruned LSTM's input projection: a FULLY_CONNECTED from the
    # per-frame Flatten of 2x2 positions x 64 kept filters of block4 (128 before pruning) to the
    # 4 gates of the kept units, which the head's LSTM reads.
    frame = TFLiteModel(out / "frame_int8.tflite")
    gates = frame.output.shape[-1]
    weights = {tuple(int(d) for d in t["shape"]) for t in frame.interpreter.get_tensor_details()}
    assert (gates, 2 * 2 * 64) in weights
    assert TFLiteModel(out / "head_int8.tflite").input.shape[-1] == gates
    assert gates % 4 == 0 and gates < 2 * 2 * 64


def test_report_times_each_layer_before_and_after_pruning(optimized):
    out, report = optimized
    latency = report["layer_latency"]
    before = {row["layer"]: row for row in latency["before"]["layers"]}
    after = {row["layer"]: row for row in latency["after"]["layers"]}
    assert {"block1_conv", "block1_bn", "lstm", "predictions"} <= set(before) & set(after)
    assert before["block1_conv"]["ops"] == ["CONV_2D"]
    for side in ("before", "after"):  # measured: whether pruning paid is prune_qat.py's to judge
        assert latency[side]["ops_sum_ms"] > 0 and latency[side]["threads"] == 1
        assert sum(row["share"] for row in latency[side]["layers"]) == pytest.approx(1, abs=0.01)
    assert (out / "layer_latency.png").stat().st_size > 0
    markdown = (out / "report.md").read_text()
    assert "## Latency per layer" in markdown and "| block1_conv" in markdown


@pytest.fixture(scope="module")
def by_latency(model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The report of `--target-latency 0.6 --no-streaming` (one conversion for both tests)."""
    work = tmp_path_factory.mktemp("latency")
    clips = write_ucf_tree(work / "clips", clips_per_group=2, split_files=False)
    code, _, stderr = har_convert(model_file, "--data", clips, "--calib-samples", 4,
                                  "--target-latency", "0.6", "--finetune-epochs", 1,
                                  "--finetune-lr", "2e-4",
                                  "--qat-epochs", 1, "--no-streaming", "--out", work / "b")
    assert code == 0, stderr
    return json.loads((work / "b" / "report.json").read_text())


def test_target_latency_prunes_where_the_time_goes(by_latency):
    """The allocation timed the int8 conversions of the unpruned model and of its half and
    quarter copies; it reaches the target, or the report says how far it got."""
    prune = by_latency["optimization"]["prune"]
    assert prune["target_latency"] == 0.6 and "ratio" not in prune
    assert by_latency["optimization"]["finetune"]["learning_rate"] == 2e-4
    assert set(prune["measured_ops_ms"]) == {"1.0", "0.5", "0.25"}
    assert all(ms > 0 for ms in prune["measured_ops_ms"].values())
    reached = prune["predicted_latency_ratio"] <= 0.6
    out_of_reach = [w for w in by_latency["warnings"] if "--target-latency 0.6 is out of reach" in w]
    assert reached != bool(out_of_reach), (prune, by_latency["warnings"])
    assert prune["removed"]
    stages = by_latency["stages"]
    assert stages["int8"]["macs_per_clip"] < stages["float"]["macs_per_clip"]
    latency = by_latency["layer_latency"]  # measured: the ratio is benchmarks/prune_qat.py's to judge
    assert latency["before"]["ops_sum_ms"] > 0 and latency["after"]["ops_sum_ms"] > 0


def test_without_streaming_the_int8_model_is_still_the_pruned_one(by_latency):
    stages = by_latency["stages"]
    # int8 (pruned, QAT) and ptq_int8 (pruned, calibrated only) share the pruned architecture.
    assert stages["int8"]["params"] == stages["pruned"]["params"] < stages["float"]["params"]
    assert stages["int8"]["size_bytes"] < 1.2 * stages["ptq_int8"]["size_bytes"]
    # Against the pruned float model, not the unpruned one: how much the allocation removes
    # follows the timing, which another job on the machine changes. Quantized weights take a
    # quarter of the bytes; the flatbuffer's fixed part weighs more the smaller the model.
    assert stages["int8"]["size_bytes"] < stages["pruned"]["size_bytes"] / 2


@pytest.mark.parametrize("options, message", [
    (["--no-qat", "--qat-epochs", "2"], "--no-qat and --qat-epochs 2"),
    (["--sparsity", "5:4"], "--sparsity"),
    (["--prune", "0.5", "--target-latency", "0.5"], "exclude each other"),
    (["--target-latency", "1.5"], "--target-latency: expected a share")])
def test_contradictory_options_exit_2(model_file, tmp_path, options, message):
    code, _, stderr = har_convert(model_file, *options, "--out", tmp_path / "bundle")
    assert code == 2
    assert len(error_lines(stderr)) == 1 and message in stderr
    assert not (tmp_path / "bundle").exists()
