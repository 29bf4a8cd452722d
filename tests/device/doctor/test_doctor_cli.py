"""`har-agent doctor` and the gate in `install-service` as a user runs them: a real process, the
tiny bundle (intact and tampered), this machine's /dev, a real mosquitto that refuses."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"
AGENT = str(Path(sys.executable).with_name("har-agent"))
LIVE_UNIT = Path("/etc/systemd/system/har-agent.service")


def agent(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([AGENT, *args], capture_output=True, text=True, timeout=120)


def row(output: str, check: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"{check} "))


@pytest.fixture
def tampered(tmp_path: Path) -> Path:
    bundle = tmp_path / "tampered"
    shutil.copytree(TINY, bundle)
    data = bytearray((bundle / "model_int8.tflite").read_bytes())
    data[100] ^= 0x01
    (bundle / "model_int8.tflite").write_bytes(bytes(data))
    return bundle


@pytest.fixture
def refusing_config(tmp_path: Path, password_broker) -> Path:
    """An agent config whose broker (a real mosquitto with a password file) refuses its password."""
    config = tmp_path / "agent.yaml"
    config.write_text(yaml.safe_dump({
        "bundle": str(TINY), "source": "synthetic:",
        "mqtt": {"broker": f"mqtt://cam:wrong-secret@127.0.0.1:{password_broker.port}"}}))
    return config


def test_a_healthy_setup_exits_0_with_every_check_in_the_table() -> None:
    result = agent("doctor", "--bundle", str(TINY), "--source", "synthetic:")
    assert result.returncode == 0, result.stdout + result.stderr
    checks = [line.split()[0] for line in result.stdout.splitlines()[2:]]
    assert checks == ["python", "numpy", "opencv", "picamera2", "camera", "litert", "bundle", "mqtt",
                      "disk", "throttling", "temperature", "service"]
    assert "FAIL" not in result.stdout and "XNNPACK" in row(result.stdout, "litert")


def test_a_tampered_bundle_exits_1_naming_the_file(tampered: Path) -> None:
    result = agent("doctor", "--bundle", str(tampered), "--source", "synthetic:")
    assert result.returncode == 1
    assert "FAIL" in row(result.stdout, "bundle") and "model_int8.tflite" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == ("har-agent: error: doctor: 1 check(s) "
                                                      "failed: bundle")


def test_a_missing_camera_exits_1() -> None:
    if Path("/dev/video9").exists():
        pytest.skip("this machine has a /dev/video9")
    result = agent("doctor", "--bundle", str(TINY), "--source", "/dev/video9")
    assert result.returncode == 1
    assert "FAIL" in row(result.stdout, "camera") and "/dev/video9 does not exist" in result.stdout


def test_a_refusing_broker_exits_1_without_showing_the_password(refusing_config: Path) -> None:
    result = agent("doctor", "--config", str(refusing_config))
    assert result.returncode == 1
    assert "refused (Not authorized)" in row(result.stdout, "mqtt")
    assert "wrong-secret" not in result.stdout + result.stderr


def test_a_missing_config_is_bad_input(tmp_path: Path) -> None:
    result = agent("doctor", "--config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "nope.yaml" in result.stderr


def test_install_service_refuses_when_the_doctor_finds_a_failure(refusing_config: Path) -> None:
    """On the live system (no --root) the doctor runs first; its failure stops everything."""
    existed = LIVE_UNIT.exists()
    result = agent("install-service", "--config", str(refusing_config), "--no-start")
    assert result.returncode == 1
    assert "refused (Not authorized)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith(
        "har-agent doctor found 1 failing check(s) (mqtt); fix them, or install anyway with "
        "--skip-doctor")
    assert LIVE_UNIT.exists() == existed


def test_skip_doctor_goes_straight_to_the_install(tampered: Path) -> None:
    """With --skip-doctor the install's own bundle check answers (exit 2, one line): the doctor's
    table (exit 1) did not come first. Without it, the doctor refuses the same bundle."""
    skipped = agent("install-service", "--bundle", str(tampered), "--skip-doctor", "--no-start")
    assert skipped.returncode == 2 and "sha256 does not match" in skipped.stderr
    assert len(skipped.stderr.strip().splitlines()) == 1
    gated = agent("install-service", "--bundle", str(tampered), "--no-start")
    assert gated.returncode == 1 and "failing check(s) (" in gated.stderr
