"""`har-agent run` and `check-config` as a user runs them: real process, real files, exit codes."""
from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"
AGENT = str(Path(sys.executable).with_name("har-agent"))


def agent(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([AGENT, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def video(noise_video: Path) -> Path:
    return noise_video


def one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("har-agent: error")]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_run_on_a_file_writes_the_latency_log_at_the_bundle_rate(video: Path, tmp_path: Path) -> None:
    latency, events = tmp_path / "latency.csv", tmp_path / "events.jsonl"
    result = agent("run", "--bundle", str(TINY), "--source", str(video), "--latency-log",
                   str(latency), "--events-log", str(events), "--device-id", "test-cam")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(latency.open()))
    assert len(rows) == 16  # 32 frames at 16 fps, subsampled to the bundle's 8 fps
    assert [int(row["frame"]) for row in rows[:3]] == [0, 2, 4]
    assert all(float(row["total_ms"]) >= float(row["inference_ms"]) for row in rows)
    assert "16 frames" in result.stderr and "p95" in result.stderr
    assert events.exists()


def test_config_file_with_command_line_override(video: Path, tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(f"bundle: {TINY}\nsource: {video}\nmode: clip\nstride: 4\n"
                      f"latency_log: {tmp_path / 'lat.csv'}\n")
    assert agent("check-config", str(config)).returncode == 0
    result = agent("run", "--config", str(config), "--max-frames", "6")
    assert result.returncode == 0, result.stderr
    assert "6 frames" in result.stderr and "(clip, T=4" in result.stderr


def test_sigterm_ends_the_run_cleanly(video: Path, tmp_path: Path) -> None:
    latency = tmp_path / "latency.csv"
    process = subprocess.Popen([AGENT, "run", "--bundle", str(TINY), "--source", str(video),
                                "--loop", "--latency-log", str(latency)],
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not latency.exists() or latency.stat().st_size < 2000):
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "frames in" in stderr
    rows = latency.read_text().splitlines()
    assert len(rows) > 20 and rows[-1].count(",") == 8


def test_corrupt_bundle_is_refused(tmp_path: Path, video: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(TINY, bundle)
    (bundle / "frame_int8.tflite").write_bytes(b"not a model")
    line = one_error_line(agent("run", "--bundle", str(bundle), "--source", str(video)))
    assert "sha256 does not match" in line


def test_wrong_shape_tflite_is_refused(video: Path) -> None:
    line = one_error_line(agent("run", "--bundle", str(TINY / "head_int8.tflite"), "--labels",
                                "a,b,c,d,e,f", "--source", str(video)))
    assert "neither a clip" in line


def test_missing_camera_is_refused_in_exactly_one_line() -> None:
    """No LiteRT "Created TensorFlow Lite XNNPACK delegate", no OpenCV WARN, no status line."""
    result = agent("run", "--bundle", str(TINY), "--source", "/dev/video42")
    assert "camera /dev/video42: cannot be opened" in one_error_line(result)
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_verbose_lets_third_party_lines_through() -> None:
    result = agent("-v", "run", "--bundle", str(TINY), "--source", "/dev/video42")
    assert "XNNPACK" in result.stderr and "WARN" in result.stderr
    assert "camera /dev/video42: cannot be opened" in one_error_line(result)


@pytest.mark.parametrize("command", ["har-agent", "har-bench", "har-synth"])
def test_version(command: str) -> None:
    done = subprocess.run([str(Path(sys.executable).with_name(command)), "--version"],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, f"{command} 0.1.0", "")


def test_malformed_config_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(f"bundle: {TINY}\nstride: -3\n")
    line = one_error_line(agent("run", "--config", str(config)))
    assert "agent.yaml:2: field 'stride'" in line
    assert "agent.yaml:2" in one_error_line(agent("check-config", str(config)))


def test_unreadable_video_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 64)
    line = one_error_line(agent("run", "--bundle", str(TINY), "--source", str(broken)))
    assert "broken.mp4" in line


def test_events_log_is_json_lines(tmp_path: Path, video: Path) -> None:
    events = tmp_path / "events.jsonl"
    config = tmp_path / "agent.yaml"
    config.write_text(f"bundle: {TINY}\nevents:\n  walk: {{alert: true, enter: 0.01, exit: 0.005,"
                      f" smoothing: 1, min_duration_s: 0}}\n")
    result = agent("run", "--config", str(config), "--source", str(video), "--events-log",
                   str(events), "--print-events")
    assert result.returncode == 0, result.stderr
    messages = [json.loads(line) for line in events.read_text().splitlines()]
    assert [m["type"] for m in messages] == ["start", "end"]
    assert messages[1]["reason"] == "stream ended" and messages[0]["label"] == "walk"
    assert "START  walk" in result.stdout
