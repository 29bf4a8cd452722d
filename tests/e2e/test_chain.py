"""The whole chain as a user runs it, across the two environments: har-synth → har-train →
har-convert in the host environment, then the bundle runs in the TensorFlow-free device
environment — har-agent with MQTT alerts over a private mosquitto, and har-bench.

Tiny sizes and one epoch: this checks that the parts fit together, not accuracy (the demo and the
benchmarks measure that).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from har_device.core.bundle import load_bundle, read_embedded_metadata
from har_device.testing.broker import LocalBroker

REPO = Path(__file__).parents[2]
HOST_BIN = Path(sys.executable).parent
DEVICE_BIN = REPO / ".venv-device" / "bin"


def run(command: list, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{command[0]} exited {result.returncode}:\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("chain")
    run([HOST_BIN / "har-synth", "dataset", work / "data", "--clips-per-class", "4",
         "--frames", "8", "--fps", "8", "--size", "64", "--seed", "5"])
    run([HOST_BIN / "har-train", "--arch", "mnv2-tcn", "--data", work / "data", "--frames", "8",
         "--size", "48", "--alpha", "0.35", "--epochs", "1", "--quiet",
         "--out", work / "model.keras"])
    run([HOST_BIN / "har-convert", work / "model.keras", "--data", work / "data",
         "--calib-samples", "8", "--out", work / "bundle"])
    return work / "bundle"


def test_bundle_is_complete_and_self_describing(bundle: Path) -> None:
    meta = load_bundle(bundle)
    assert meta.mode == "streaming" and meta.frames == 8 and meta.sample_fps == 8.0
    assert meta.labels == ["fall", "walk", "sit", "bend", "wave", "idle"]
    assert {entry.role for entry in meta.files.values()} >= {"clip", "clip_float", "frame", "head"}
    embedded = read_embedded_metadata(bundle / "model_int8.tflite")
    assert embedded["labels"] == meta.labels and embedded["input"]["height"] == 48
    report = json.loads((bundle / "report.json").read_text())
    for stage in ("keras", "float", "int8"):
        assert {"size_bytes", "accuracy", "f1_macro", "latency_ms_p50"} <= set(report["stages"][stage])


def test_device_environment_runs_the_bundle_with_mqtt_alerts(bundle: Path, tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(f"bundle: {bundle}\ndevice_id: e2e\nevents:\n"
                      + "".join(f"  {label}: {{alert: true, enter: 0.05, exit: 0.01, smoothing: 1,"
                                f" min_duration_s: 0}}\n" for label in ("walk", "idle")))
    with LocalBroker() as broker:
        subscriber = subprocess.Popen(
            [DEVICE_BIN / "har-agent", "alerts",
             "--broker", broker.url, "--device", "e2e", "--json", "--count", "1",
             "--timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        run([DEVICE_BIN / "har-agent", "run", "--config", config, "--source",
             "synthetic:walk:2,idle:2;fps=8;size=64", "--broker", broker.url,
             "--state-dir", tmp_path / "state", "--latency-log", tmp_path / "latency.csv"])
        out, err = subscriber.communicate(timeout=90)
    assert subscriber.returncode == 0, err
    event = json.loads(out.splitlines()[0])
    assert event["device_id"] == "e2e" and event["type"] == "start"
    assert event["model_sha256"] == load_bundle(bundle).file_for("clip")[1].sha256
    assert len((tmp_path / "latency.csv").read_text().splitlines()) == 1 + 32


def test_device_environment_runs_a_bare_tflite_and_benchmarks(bundle: Path, tmp_path: Path) -> None:
    result = run([DEVICE_BIN / "har-agent", "run", "--bundle", bundle / "model_int8.tflite",
                  "--source", "synthetic:fall:2;fps=8;size=64", "--print-events"])
    assert "16 frames" in result.stderr
    report = tmp_path / "bench.json"
    run([DEVICE_BIN / "har-bench", bundle, "--runs", "5", "--min-secs", "0",
         "--pipeline", "synthetic:walk:2;fps=8;size=64", "--frames", "20", "--json", report])
    assert json.loads(report.read_text())["pipeline"]["streaming_vs_clip"]["compute_ratio"] > 0
