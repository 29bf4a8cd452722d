"""The first minute with the host commands, as a new user meets them (issue 24), through the real
console scripts in subprocesses: a bare `har-convert model.keras` on a freshly built Keras 3 model
converts and says what it assumed; bad input is one line and exit 2 before TensorFlow loads;
`--help` and `--version` answer at once; no third-party log line reaches the terminal; the
reports name files, never the machine's absolute paths. One tiny model, converted once.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

from har_convert.quantize.calibration import RANDOM_SOURCE, calibration_set
from har_device.core.bundle import load_bundle

BIN = Path(sys.executable).parent
THIRD_PARTY = ("absl", "oneDNN", "cuda", "XNNPACK", "WARN:", "I0000", "W0000", "E0000",
               "tensorflow")
HEAVY = ("tensorflow", "keras", "tf_keras")


class Ran(NamedTuple):
    code: int
    stdout: str
    stderr: str
    seconds: float


def run(command: str, *args: object, cwd: Path | None = None, timeout: float = 600) -> Ran:
    started = time.monotonic()
    done = subprocess.run([str(BIN / command), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)
    return Ran(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def no_third_party_lines(text: str) -> None:
    noisy = [line for line in text.splitlines() if any(word in line for word in THIRD_PARTY)]
    assert not noisy, text


@pytest.fixture(scope="module")
def fresh_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Keras 3 clip model built the way users build theirs (4 x 16 x 16 RGB -> softmax over 3),
    saved untrained with nothing beside it: no labels, no training record."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    clip = keras.Input((4, 16, 16, 3))
    x = layers.TimeDistributed(layers.Conv2D(4, 3, activation="relu"))(clip)
    x = layers.TimeDistributed(layers.GlobalAveragePooling2D())(x)
    x = layers.GlobalAveragePooling1D()(x)
    model = keras.Model(clip, layers.Dense(3, activation="softmax")(x))
    path = tmp_path_factory.mktemp("fresh") / "model.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def converted(fresh_model: Path) -> Ran:
    return run("har-convert", fresh_model.name, cwd=fresh_model.parent)


def test_bare_convert_makes_a_bundle_and_names_each_assumption(fresh_model: Path,
                                                                 converted: Ran) -> None:
    assert converted.code == 0, converted.stderr
    bundle = fresh_model.parent / "model_bundle"
    meta = load_bundle(bundle)
    assert meta.labels == ["class_0", "class_1", "class_2"]
    assert meta.sample_fps is None
    warnings = [line for line in converted.stderr.splitlines() if line.startswith("warning:")]
    assert [w.split(":")[1].strip() for w in warnings[:3]] == ["labels", "frame rate",
                                                                "calibration"]
    assert "--labels FILE" in warnings[0] and "--sample-fps R" in warnings[1]
    assert "calibration_data/" in warnings[2]
    better = [line for line in converted.stderr.splitlines() if "make the bundle better" in line]
    assert len(better) == 1 and all(option in better[0]
                                    for option in ("--labels", "--sample-fps", "--data"))
    no_third_party_lines(converted.stderr)


def test_reports_and_metadata_name_files_not_machine_paths(fresh_model: Path,
                                                          converted: Ran) -> None:
    bundle = fresh_model.parent / "model_bundle"
    report = json.loads((bundle / "report.json").read_text())
    assert report["bundle"] == "model_bundle"
    assert report["source_model"]["path"] == "model.keras"
    assert report["calibration"]["source"] == "calibration_data"
    meta = json.loads((bundle / "har_model.json").read_text())
    assert meta["source_model"]["path"] == "model.keras"
    for name in ("report.json", "report.md", "har_model.json"):
        text = (bundle / name).read_text()
        assert str(fresh_model.parent) not in text and "/work/" not in text, name


def test_agent_runs_a_bundle_of_unknown_frame_rate_at_the_camera_rate(fresh_model: Path,
                                                                       converted: Ran) -> None:
    done = run("har-agent", "run", "--bundle", fresh_model.parent / "model_bundle",
               "--source", "synthetic:walk:1", "--max-frames", 6, timeout=120)
    assert done.code == 0, done.stderr
    assert "every fps" in done.stderr and "6 frames" in done.stderr
    no_third_party_lines(done.stderr)


def test_calibration_falls_back_to_random_pixels_when_calibration_data_does_not_fit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """calibration_data/ has 16-frame clips: a model taking 40 frames is calibrated on random
    pixels, and the warning says so and names the options that fix it."""
    monkeypatch.chdir(tmp_path)
    clips, source, notes = calibration_set(None, None, frames=40, size=16, n=2, sample_fps=None)
    assert clips.shape == (2, 40, 16, 16, 3) and source == RANDOM_SOURCE
    assert len(notes) == 1 and "T=40" in notes[0] and "random pixels" in notes[0]
    assert "--calib DIR" in notes[0]


def corrupt_models(folder: Path, fresh_model: Path) -> dict[str, Path]:
    """Random bytes, a truncated .keras and a .keras whose config is not JSON."""
    random_bytes = folder / "random.bin"
    random_bytes.write_bytes(bytes(range(256)) * 20)
    truncated = folder / "truncated.keras"
    truncated.write_bytes(fresh_model.read_bytes()[: fresh_model.stat().st_size // 2])
    malformed = folder / "malformed.keras"
    with zipfile.ZipFile(malformed, "w") as archive:
        archive.writestr("metadata.json", '{"keras_version": "3.0.0"}')
        archive.writestr("config.json", '{"class_name": "Functional", "config": {')
    return {"not a Keras model file": random_bytes, "truncated or corrupt": truncated,
            "truncated or corrupt .keras file (": malformed}


def test_bad_model_files_are_one_line_and_fast(tmp_path: Path, fresh_model: Path) -> None:
    for expected, path in corrupt_models(tmp_path, fresh_model).items():
        done = run("har-convert", path)
        assert done.code == 2 and len(done.stderr.splitlines()) == 1, done.stderr
        assert path.name in done.stderr and expected in done.stderr
        assert done.seconds < 5, f"{path.name}: refused after {done.seconds:.1f} s"


def test_every_bad_input_is_named_in_one_line(tmp_path: Path, fresh_model: Path) -> None:
    (tmp_path / "empty_calibration").mkdir()
    done = run("har-convert", fresh_model, "--calib", tmp_path / "empty_calibration",
               "--labels", tmp_path / "missing.txt", "--out", tmp_path / "no" / "such")
    assert done.code == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    for named in ("--calib", "empty_calibration", "--labels", "missing.txt", "--out"):
        assert named in done.stderr


def test_unknown_architecture_is_one_line(tmp_path: Path, tiny_ucf: Path) -> None:
    done = run("har-train", "--arch", "nope", "--data", tiny_ucf, "--out", tmp_path / "m.keras")
    assert done.code == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "unknown architecture 'nope'" in done.stderr and done.seconds < 5


@pytest.mark.parametrize("argv", [["har-convert", "random.bin"], ["har-train", "--help"],
                                  ["har-convert", "--help"],
                                  ["har-train", "--arch", "nope", "--data", ".", "--out", "m.keras"]])
def test_checks_and_help_do_not_import_tensorflow(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "random.bin").write_bytes(b"\x00" * 5000)
    module = "convert" if argv[0] == "har-convert" else "train"
    probe = (f"import sys\nsys.argv = {argv!r}\nfrom har_convert.cli.{module} import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             f"print([m for m in {HEAVY!r} if m in sys.modules], file=sys.__stdout__)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.stdout.splitlines()[-1] == "[]", done.stdout + done.stderr


def test_help_is_quiet_and_fast() -> None:
    done = run("har-train", "--help")
    assert done.code == 0 and done.stderr == "" and "--version" in done.stdout
    no_third_party_lines(done.stdout)
    assert done.seconds < 5, f"har-train --help took {done.seconds:.1f} s"


@pytest.mark.parametrize("command", ["har-convert", "har-train", "har-agent", "har-bench",
                                     "har-synth"])
def test_every_command_has_a_version(command: str) -> None:
    done = run(command, "--version")
    assert (done.code, done.stdout.strip(), done.stderr) == (0, f"{command} 0.1.0", "")
