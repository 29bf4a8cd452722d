"""har-train end to end on a tiny dataset (LRCN, T=4, 32 px, 1-2 epochs), the frame-model path,
the validation split and the one-line exit-2 errors."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread
from tiny_videos import TINY_CLASSES, write_ucf_tree

from har_convert.cli.train import OUTPUT_SUFFIXES, cli, main, sibling
from har_convert.data import ClipSet, Dataset, load_dataset
from har_convert.train.fit import (
    MIN_GROUPS_TO_CARVE,
    CosineDecay,
    TrainConfig,
    build_model,
    split_validation,
    train,
)

TINY_ARGS = ["--arch", "lrcn", "--frames", "4", "--size", "32", "--epochs", "2",
             "--dropout", "0.1", "--lr-final", "0.1", "--quiet"]


@pytest.fixture(scope="module")
def trained(tiny_ucf: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("har_train") / "tiny.keras"
    result = CliRunner().invoke(cli, [*TINY_ARGS, "--data", str(tiny_ucf), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, result.stdout


def test_writes_model_labels_and_report(trained: tuple[Path, str], tiny_ucf: Path) -> None:
    out, _ = trained
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(
        [out.name] + [sibling(out, suffix).name for suffix in OUTPUT_SUFFIXES])
    assert sibling(out, ".labels.txt").read_text().splitlines() == list(TINY_CLASSES)
    info = json.loads(sibling(out, ".train.json").read_text())
    assert {key: info[key] for key in ("arch", "kind", "frames", "size", "alpha", "sample_fps",
                                       "labels", "seed")} == {
        "arch": "lrcn", "kind": "clip", "frames": 4, "size": 32, "alpha": None,
        "sample_fps": 8.0, "labels": list(TINY_CLASSES), "seed": 0}
    assert info["input"] == {"height": 32, "width": 32, "channels": 3, "colour": "RGB",
                             "scale": 1 / 255, "offset": 0.0}
    assert 1 <= info["epochs_run"] <= 2 and info["seconds"] > 0 and info["params"] > 100_000
    assert info["final_lr_fraction"] == 0.1
    assert info["history"]["learning_rate"] == pytest.approx([1e-3, 1e-4][:info["epochs_run"]])
    assert info["data"] == "tiny_ucf0" and info["split"] == "trainlist01.txt/testlist01.txt"
    report = json.loads(sibling(out, ".report.json").read_text())
    assert report["n"] == 3 and report["top5_accuracy"] is None
    assert [row["label"] for row in report["per_class"]] == list(TINY_CLASSES)
    markdown = sibling(out, ".report.md").read_text()
    assert "| accuracy" in markdown and "| fall " in markdown and "tiny.confusion.png" in markdown
    for written in (".train.json", ".report.json", ".report.md"):
        text = sibling(out, written).read_text()
        assert str(out.parent) not in text and str(tiny_ucf) not in text, written
    assert imread(sibling(out, ".confusion.png")).shape[0] > 100


def dropout_rates(layer: keras.layers.Layer) -> set[float]:
    if isinstance(layer, keras.layers.Dropout):
        return {layer.rate}
    inner = layer.layers if isinstance(layer, keras.Model) else [getattr(layer, "layer", None)]
    return set().union(*(dropout_rates(child) for child in inner if child is not None))


def test_saved_model_reproduces_the_reported_accuracy(trained: tuple[Path, str],
                                                      tiny_ucf: Path) -> None:
    out, _ = trained
    model = keras.saving.load_model(out, safe_mode=True)
    assert dropout_rates(model) == {0.1}
    assert json.loads(sibling(out, ".train.json").read_text())["dropout"] == 0.1
    data = load_dataset(tiny_ucf, frames=4, size=32, sample_fps=8.0, progress=False)
    scores = model.predict(data.test.inputs(), verbose=0)
    report = json.loads(sibling(out, ".report.json").read_text())
    assert (scores.argmax(axis=1) == data.test.y).mean() == pytest.approx(report["accuracy"])
    assert [row[:] for row in report["confusion"]] == _confusion(data.test.y, scores.argmax(1))


def _confusion(y_true: np.ndarray, y_pred: np.ndarray) -> list[list[int]]:
    counts = np.zeros((3, 3), int)
    for t, p in zip(y_true, y_pred):
        counts[t, p] += 1
    return counts.tolist()


def test_prints_a_summary_table(trained: tuple[Path, str]) -> None:
    _, stdout = trained
    assert "lrcn (" in stdout and "test accuracy" in stdout and "macro F1" in stdout
    assert "tiny.labels.txt" in stdout


def test_frame_model_trains_on_frames_and_scores_clips(tiny_ucf: Path) -> None:
    data = load_dataset(tiny_ucf, frames=4, size=32, sample_fps=8.0, progress=False)
    config = TrainConfig(arch="resnet34-frame", frames=4, size=32, alpha=None, epochs=1)
    result = train(build_model(config, len(data.labels)), config, data, progress=False)
    assert result.model.input_shape == (None, 32, 32, 3)
    assert result.report["n"] == len(data.test) == 3
    assert result.epochs_run == 1


def _fake_dataset(groups_per_class: int) -> Dataset:
    groups = tuple(f"g{g:02d}" for _ in range(3) for g in range(groups_per_class) for _ in (0, 1))
    y = np.repeat(np.arange(3), 2 * groups_per_class)
    clips = ClipSet(np.zeros((len(y), 1, 2, 2, 3), np.uint8), y,
                    tuple(Path(f"{i}.mp4") for i in range(len(y))), groups)
    test = clips.subset([0, 1])
    return Dataset(list(TINY_CLASSES), clips, test, [], 1, 2, None, "test")


def test_validation_is_carved_by_group_or_falls_back_to_test() -> None:
    fit, val, how = split_validation(_fake_dataset(MIN_GROUPS_TO_CARVE + 2), 0.2, seed=0)
    assert "held out by group" in how
    assert not {(y, g) for y, g in zip(fit.y, fit.groups)} & {(y, g) for y, g in
                                                               zip(val.y, val.groups)}
    assert sorted(set(val.y.tolist())) == [0, 1, 2]
    small = _fake_dataset(MIN_GROUPS_TO_CARVE - 1)
    fit, val, how = split_validation(small, 0.2, seed=0)
    assert how.startswith("test split") and val is small.test and fit is small.train


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture) -> tuple[int, list[str]]:
    monkeypatch.setattr(sys, "argv", ["har-train", *args])
    with pytest.raises(SystemExit) as finished:
        main()
    return finished.value.code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("case, message", [
    ("unknown_arch", "--arch: unknown architecture 'i3d'"),
    ("empty_folder", "no video files in class folders"),
    ("one_class", "only one class with videos (fall)"),
    ("missing_out_parent", "does not exist"),
    ("not_keras", "expected a file name ending in .keras"),
    ("bad_size", "--size: expected an integer >= 16, got 8"),
    ("mixed_fps", "do not share one frame rate; pass --sample-fps"),
    ("weights_missing", "--weights nowhere.weights.h5: no such file"),
    ("weights_suffix", "expected imagenet, none, or a .weights.h5 or .keras file of the "
                       "MobileNetV2 backbone"),
    ("weights_no_backbone", "--weights imagenet: lrcn has no pretrained backbone"),
    ("weights_no_imagenet", "keras.applications has no ImageNet weights for EfficientNet-Lite0 "
                            "(effnetlite-tcn); give --weights PATH"),
    ("freeze_no_backbone", "--freeze-backbone/--unfreeze-top: lrcn has no pretrained backbone"),
])
def test_bad_input_exits_2_with_one_line(case: str, message: str, tiny_ucf: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture) -> None:
    data, out, args = tiny_ucf, tmp_path / "m.keras", list(TINY_ARGS)
    if case == "unknown_arch":
        args[1] = "i3d"
    elif case == "empty_folder":
        data = tmp_path / "empty"
        data.mkdir()
    elif case == "one_class":
        data = write_ucf_tree(tmp_path / "one", classes=["fall"], groups=2, split_files=False)
    elif case == "missing_out_parent":
        out = tmp_path / "nowhere" / "m.keras"
    elif case == "not_keras":
        out = tmp_path / "m.h5"
    elif case == "bad_size":
        args[5] = "8"
    elif case in ("weights_missing", "weights_suffix"):
        args[1] = "mnv2-tcn"
        args += ["--weights", "nowhere.weights.h5" if case == "weights_missing" else "model.h5"]
    elif case == "weights_no_backbone":
        args += ["--weights", "imagenet"]
    elif case == "weights_no_imagenet":
        args[1] = "effnetlite-tcn"
        args += ["--weights", "imagenet"]
    elif case == "freeze_no_backbone":
        args += ["--unfreeze-top", "2"]
    elif case == "mixed_fps":
        data = write_ucf_tree(tmp_path / "mixed", classes=["fall", "walk"], groups=2,
                              split_files=False)
        write_ucf_tree(data, classes=["idle"], groups=2, fps=25.0, split_files=False)
    code, lines = run_main([*args, "--data", str(data), "--out", str(out)], monkeypatch, capsys)
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("har-train: error: ") and message in lines[0]
    assert not out.exists() and not list(tmp_path.glob("m.*"))


def test_cosine_decay_reaches_its_final_share_and_keeps_plateau_reductions() -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    decay = CosineDecay(epochs=5, final_fraction=0.1)
    decay.set_model(model)
    rates = []
    for epoch in range(5):
        decay.on_epoch_begin(epoch)
        rates.append(float(model.optimizer.learning_rate.numpy()))
        if epoch == 2:  # what ReduceLROnPlateau does at an epoch's end
            model.optimizer.learning_rate.assign(rates[-1] * 0.5)
    assert rates[0] == pytest.approx(1e-3) and rates[2] == pytest.approx(1e-3 * 0.55)
    assert rates[-1] == pytest.approx(1e-4 * 0.5)
    assert rates == pytest.approx([1e-3 * decay.factor(e) * (0.5 if e > 2 else 1) for e in range(5)])
