"""The README's host-side commands run as written, in scratch folders (the device-side ones run in
tests/device/test_readme_commands.py): `har-synth dataset` and `har-train` exactly as "Train a
reference model" spells them (the demo's own recipe, a few minutes), and each `har-convert` line of
"Convert your own model" on a small model and data set laid out as that section describes — the
lines are run verbatim; only the model behind `model.keras` is small, so the suite stays short."""
from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "device"))
from readme_commands import runnable  # noqa: E402 - the device tests' README parser

REPO = Path(__file__).parents[2]
HOST_BIN = Path(sys.executable).parent


def run_as_written(command: str, folder: Path) -> subprocess.CompletedProcess:
    program, *args = shlex.split(command)
    done = subprocess.run([str(HOST_BIN / program), *args], cwd=folder, capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, f"{command}\n{done.stderr[-3000:]}"
    return done


def test_training_commands_run_as_written(tmp_path: Path) -> None:
    commands = runnable(("har-synth dataset ", "har-train "))
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


@pytest.mark.parametrize("command", runnable(("har-convert ",)))
def test_convert_command_runs_as_written(command: str, small_model: Path) -> None:
    """Each line writes `model_bundle/` (given as --out, or the default beside model.keras)."""
    shutil.rmtree(small_model / "model_bundle", ignore_errors=True)
    run_as_written(command, small_model)
    assert (small_model / "model_bundle" / "model_int8.tflite").exists()
