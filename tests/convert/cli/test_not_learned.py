"""A model that predicts one class for every clip is called out: `har-train` ends with a warning
(and its reports carry it), `har-convert` warns the same about the model it converts."""
from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from convert_helpers import har_convert, write_sidecars
from tiny_videos import TINY_CLASSES

from har_convert.cli.train import cli, sibling
from har_convert.data import load_dataset
from har_convert.train.fit import TrainResult, predict_clips
from har_convert.train.metrics import classification_report
from har_convert.train.zoo import build

FRAMES, SIZE, FPS = 4, 32, 8.0
WARNING = ("the model has not learned: held-out accuracy 0.333 is under twice chance (0.667 for "
           "3 classes); it predicts 'walk' for 100% of 3 held-out clips (train it longer, or "
           "from pretrained weights: har-train --weights)")


def one_class_model() -> keras.Model:
    """A tiny LRCN whose softmax ignores its input and answers 'walk'."""
    keras.utils.set_random_seed(0)
    model = build("lrcn", num_classes=len(TINY_CLASSES), frames=FRAMES, size=SIZE,
                  lstm_units=8)
    predictions = model.get_layer("predictions")
    predictions.kernel.assign(np.zeros(predictions.kernel.shape, np.float32))
    predictions.bias.assign(np.array([0.0, 9.0, 0.0], np.float32))
    return model


def test_har_train_warns_about_a_model_that_has_not_learned(
        tiny_ucf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def train_to_one_class(model, config, data, progress=True) -> TrainResult:
        model = one_class_model()
        report = classification_report(data.test.y, predict_clips(model, False, data.test),
                                       data.labels)
        history = {"loss": [1.0], "val_loss": [1.0]}
        phases = {"phases": [{"trains": "everything", "epochs": 1, "learning_rate": 1e-3}]}
        return TrainResult(model, report, 1, 1, 1.0, "test split", history, phases)

    monkeypatch.setattr("har_convert.train.fit.train", train_to_one_class)
    out = tmp_path / "m.keras"
    result = CliRunner().invoke(cli, ["--arch", "lrcn", "--frames", str(FRAMES), "--size",
                                      str(SIZE), "--data", str(tiny_ucf), "--out", str(out),
                                      "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[-1] == f"warning: {WARNING}"
    assert json.loads(sibling(out, ".train.json").read_text())["warnings"] == [WARNING]
    assert f"## Warning\n\n{WARNING}" in sibling(out, ".report.md").read_text()


def test_har_convert_warns_about_a_model_that_has_not_learned(tiny_ucf: Path,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "one_class.keras"
    one_class_model().save(path)
    write_sidecars(path, list(TINY_CLASSES), FRAMES, SIZE, FPS, "lrcn")
    code, _, stderr = har_convert(path, "--data", tiny_ucf, "--no-qat", "--calib-samples", 4,
                                  "--no-float", "--out", tmp_path / "bundle")
    assert code == 0, stderr
    assert f"warning: keras: {WARNING}" in stderr.splitlines()
    report = json.loads((tmp_path / "bundle" / "report.json").read_text())
    assert f"keras: {WARNING}" in report["warnings"]
