"""The README's host-side commands run as written, in scratch folders (the device-side ones run in
tests/device/test_readme_commands.py): `har-synth dataset` and `har-train` exactly as "Train a
reference model" spells them (the demo's own recipe, a few minutes), and each `har-convert` line of
"Convert your own model" on a small model and data set laid out as that section describes — the
lines are run verbatim; only the model behind `model.keras` is small, so the suite stays short —
and the three lines of "Bring your own keypoint data" together, with their accuracy targets."""
from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "device"))
from readme_commands import HOST, reads_keypoints, runnable  # noqa: E402 - the README parser

REPO = Path(__file__).parents[2]
HOST_BIN = Path(sys.executable).parent


def run_as_written(command: str, folder: Path) -> subprocess.CompletedProcess:
    program, *args = shlex.split(command)
    done = subprocess.run([str(HOST_BIN / program), *args], cwd=folder, capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, f"{command}\n{done.stderr[-3000:]}"
    return done


def test_training_commands_run_as_written(tmp_path: Path) -> None:
    commands = [command for command in runnable(("har-synth dataset ", "har-train "))
                if not reads_keypoints(command)]
    assert [c.split()[0] for c in commands] == ["har-synth", "har-train"]
    for command in commands:
        run_as_written(command, tmp_path)
    report = json.loads((tmp_path / "model.report.json").read_text())
    assert report["accuracy"] > 1 / 6


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with `model.keras` (+ labels and train.json), `data/` and `calibration_data/`."""
    folder = tmp_path_factory.mktemp("convert")
    synth = [HOST_BIN / "har-synth", "dataset", folder / "data", "--clips-per-class", "4",
             "--frames", "8", "--fps", "8", "--size", "64", "--seed", "5"]
    train = [HOST_BIN / "har-train", "--arch", "lrcn", "--data", folder / "data", "--frames", "4",
             "--size", "32", "--sample-fps", "4", "--epochs", "1", "--quiet",
             "--out", folder / "model.keras"]
    for command in (synth, train):
        subprocess.run([str(part) for part in command], check=True, capture_output=True)
    shutil.copytree(REPO / "calibration_data", folder / "calibration_data")
    return folder


@pytest.mark.parametrize("command", [command for command in runnable(("har-convert ",))
                                     if not reads_keypoints(command)])
def test_convert_command_runs_as_written(command: str, small_model: Path) -> None:
    """Each line writes `model_bundle/` (given as --out, or the default beside model.keras)."""
    shutil.rmtree(small_model / "model_bundle", ignore_errors=True)
    run_as_written(command, small_model)
    assert (small_model / "model_bundle" / "model_int8.tflite").exists()


def test_keypoint_commands_run_as_written(tmp_path: Path) -> None:
    """"Bring your own keypoint data": synthetic sequences, a head trained on them to at least 95 %
    held-out accuracy, and its pose bundle, whose int8 model stays within a point of the float."""
    commands = [command for command in runnable(HOST) if reads_keypoints(command)]
    assert [command.split()[:2] for command in commands] == [
        ["har-synth", "skeletons"], ["har-train", "--arch"], ["har-convert", "head.keras"]]
    for command in commands:
        run_as_written(command, tmp_path)
    assert json.loads((tmp_path / "head.report.json").read_text())["accuracy"] >= 0.95
    report = json.loads((tmp_path / "head_bundle" / "report.json").read_text())
    assert report["mode"] == "pose"
    stages = report["stages"]  # int8 against the float model it quantizes (pruned, if pruned)
    assert stages["int8"]["accuracy"] >= stages.get("pruned", stages["float"])["accuracy"] - 0.01
