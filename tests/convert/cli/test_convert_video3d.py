"""`har-convert` on a Keras 3 C3D-style model (Rescaling, Conv3D, MaxPooling3D, AveragePooling3D,
GlobalAveragePooling3D, softmax): a full-int8 clip bundle of builtin operators only, with no
CONV_3D and no DEQUANTIZE inside the graph, that runs in ai-edge-litert and in har-agent's clip
mode; the float rebuild matches the Keras 3 model within 1e-4, the report names every rewrite and
QAT trains every Conv2D slice. Converted once, briefly trained first so that QAT and the accuracy
figures see varied predictions.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter
from convert_helpers import har_convert, write_sidecars
from keras import layers
from tiny_videos import TINY_CLASSES, write_ucf_tree

from har_convert.data import load_dataset
from har_convert.quantize.checks import non_builtin_ops, op_inventory
from har_device.core.bundle import load_bundle
from har_device.core.litert import TFLiteModel

FRAMES, SIZE, FPS = 4, 32, 8.0
REWRITTEN = {"conv1": "Conv3D 3x3x3 -> 3 x Conv2D 3x3", "pool1": "MaxPooling3D 2x2x2",
             "conv2": "Conv3D 3x3x3 -> 3 x Conv2D 3x3", "pool2": "AveragePooling3D 2x2x2"}


def c3d_style(classes: int) -> keras.Model:
    clip = keras.Input((FRAMES, SIZE, SIZE, 3))
    x = layers.Rescaling(2.0, offset=-1.0)(clip)
    x = layers.Conv3D(8, 3, padding="same", activation="relu", name="conv1")(x)
    x = layers.MaxPooling3D(2, name="pool1")(x)
    x = layers.Conv3D(16, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.AveragePooling3D(2, padding="same", name="pool2")(x)
    x = layers.GlobalAveragePooling3D()(x)
    return keras.Model(clip, layers.Dense(classes, activation="softmax")(x), name="c3d_style")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clips = write_ucf_tree(tmp_path_factory.mktemp("clips"), groups=6, clips_per_group=2,
                           split_files=False)
    keras.utils.set_random_seed(0)
    data = load_dataset(clips, FRAMES, SIZE, progress=False)
    model = c3d_style(len(TINY_CLASSES))
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(data.train.inputs(), data.train.y, epochs=5, batch_size=12, verbose=0)
    path = tmp_path_factory.mktemp("model") / "c3d.keras"
    model.save(path)
    write_sidecars(path, data.labels, FRAMES, SIZE, FPS, "custom-c3d")
    out = path.parent / "bundle"
    code, _, stderr = har_convert(path, "--data", clips, "--calib-samples", 8, "--qat-epochs", 1,
                                  "--out", out)
    assert code == 0, stderr
    return out


def test_int8_model_is_integer_only_builtin_without_3d_ops(bundle: Path) -> None:
    ops = op_inventory(bundle / "model_int8.tflite")
    assert not non_builtin_ops(ops)
    assert not {"CONV_3D", "DEQUANTIZE"} & set(ops), ops
    assert ops["CONV_2D"] == 6 and "MAX_POOL_2D" in ops and "AVERAGE_POOL_2D" in ops
    # integer-only: no float tensor anywhere (a QUANTIZE left is an int8 -> int8 requantization)
    tensors = Interpreter(str(bundle / "model_int8.tflite")).get_tensor_details()
    assert not [t["name"] for t in tensors if t["dtype"] == np.float32]
    model = TFLiteModel(bundle / "model_int8.tflite")
    assert (model.input.dtype, model.output.dtype) == (np.int8, np.int8)
    scores = model.predict(np.random.default_rng(0).random(model.input.shape, dtype=np.float32))
    assert scores.shape == (1, len(TINY_CLASSES))
    assert load_bundle(bundle, verify=True).mode == "clip"


def test_report_gives_the_exact_rebuild_and_its_rewrites(bundle: Path) -> None:
    report = json.loads((bundle / "report.json").read_text())
    assert report["bridge"]["max_abs_diff"] <= 1e-4
    rewrites = report["bridge"]["rewrites"]
    assert set(rewrites) == set(REWRITTEN)
    assert all(rewrites[name].startswith(start) for name, start in REWRITTEN.items())
    assert report["stages"]["int8"]["quantization"] == "full-int8"
    qat = report["optimization"]["qat"]
    assert qat["quantized_layers"] >= 7 and qat["left_float"] == []  # every Conv2D slice, Dense
    markdown = (bundle / "report.md").read_text()
    assert "## Rewritten for builtin int8 operators" in markdown and "`conv2`: Conv3D" in markdown


def test_agent_runs_the_bundle_in_clip_mode(bundle: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "har-agent"), "run", "--bundle", str(bundle),
         "--source", f"synthetic:walk:2,fall:2;fps={FPS:g};size={SIZE}"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"(clip, T={FRAMES}, {FPS} fps)" in result.stderr
    assert "32 frames" in result.stderr and f" {32 - FRAMES + 1} decisions" in result.stderr
