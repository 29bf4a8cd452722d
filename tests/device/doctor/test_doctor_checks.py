"""The doctor's checks one by one, each against the real thing where it exists here (a mosquitto
on loopback, LiteRT, the tiny bundle, this machine's /dev) and against stand-ins only for what a
test machine cannot have: apt's dist-packages of a Pi (a folder with a numpy's metadata), its
picamera2 (a package whose import fails as apt's does under numpy 2), vcgencmd, thermal zones."""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from mqtt_broker import private_broker, tls_files

from har_device.config.schema import load_config
from har_device.doctor import Status, System, Target, run_checks
from har_device.doctor.broker import mqtt_broker
from har_device.doctor.camera import cameras
from har_device.doctor.host import disk_space, systemd_unit, temperature, throttling
from har_device.doctor.model import bundle_hashes, litert_xnnpack
from har_device.doctor.python import (
    has_gstreamer,
    numpy_version,
    opencv,
    picamera2,
    python_version,
)
from har_device.testing.broker import free_port

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"
VENV_SITE = sysconfig.get_paths()["purelib"]
NUMPY_MAJOR = int(np.__version__.split(".")[0])
# What apt's simplejpeg raises when a numpy-2 venv imports it (picamera2 issue #1088).
DTYPE_SIZE_CHANGED = ("numpy.dtype size changed, may indicate binary incompatibility. "
                      "Expected 96 from C header, got 88 from PyObject")


def target(tmp_path: Path, source: str | None = None, **config: object) -> Target:
    loaded = load_config(None, {"bundle": TINY, "source": source or "synthetic:", **config})
    return Target(loaded, source, System(dev=tmp_path / "dev"))


def apt_numpy(folder: Path, version: str) -> Path:
    """A dist-packages folder holding a numpy's metadata, as apt's python3-numpy installs it."""
    info = folder / f"numpy-{version}.egg-info"
    info.mkdir(parents=True)
    (info / "PKG-INFO").write_text(f"Metadata-Version: 1.2\nName: numpy\nVersion: {version}\n")
    return folder


def test_numpy_of_the_other_major_over_apt_is_a_failure_naming_the_constraints(tmp_path) -> None:
    other = "1.24.2" if NUMPY_MAJOR == 2 else "2.2.4"
    dist = apt_numpy(tmp_path / "dist-packages", other)
    system = System(dist_packages=dist, sys_path=(VENV_SITE, str(dist)))
    result = numpy_version(Target(None, None, system))
    assert result.status is Status.FAIL, result
    assert f"hides apt's {other}" in result.found and "simplejpeg" in result.found
    expected = "constraints/bookworm.txt" if NUMPY_MAJOR == 2 else "constraints/trixie.txt"
    assert expected in result.fix


def test_numpy_of_the_same_major_or_unseen_apt_numpy_is_fine(tmp_path) -> None:
    same = apt_numpy(tmp_path / "same", f"{NUMPY_MAJOR}.0.0")
    other = apt_numpy(tmp_path / "other", "1.24.2" if NUMPY_MAJOR == 2 else "2.2.4")
    seen = numpy_version(Target(None, None, System(dist_packages=same,
                                                   sys_path=(VENV_SITE, str(same)))))
    unseen = numpy_version(Target(None, None, System(dist_packages=other,
                                                     sys_path=(VENV_SITE,))))
    assert seen.status is Status.OK and f"apt's: {NUMPY_MAJOR}.0.0" in seen.found
    assert unseen.status is Status.OK and "does not use apt's packages" in unseen.found


def test_python_of_another_minor_than_the_system_fails_only_for_apt_cameras(tmp_path) -> None:
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\necho 3.13.5\n")
    fake.chmod(0o755)
    system = System(system_python=fake)
    for source, status in (("picamera2", Status.FAIL), ("synthetic:", Status.OK)):
        result = python_version(Target(None, source, system))
        assert result.status is status, result
        assert "3.13.5" in result.found
    assert "/usr/bin/python3" in python_version(Target(None, "picamera2", system)).fix


def test_opencv_without_gstreamer_fails_only_for_a_pipeline_source() -> None:
    import cv2

    if has_gstreamer(cv2.getBuildInformation()):
        pytest.skip("this OpenCV has GStreamer")
    csi = opencv(Target(None, "csi:0"))
    assert csi.status is Status.FAIL and "GStreamer no" in csi.found
    assert "pip uninstall -y opencv-python-headless" in csi.fix and "device-base" in csi.fix
    assert opencv(Target(None, "synthetic:")).status is Status.OK


@pytest.fixture
def broken_picamera2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """picamera2 whose simplejpeg fails as apt's numpy-1 build does under numpy 2."""
    for name, body in (("picamera2", "import simplejpeg\n"),
                       ("simplejpeg", f"raise ValueError({DTYPE_SIZE_CHANGED!r})\n")):
        (tmp_path / "site" / name).mkdir(parents=True)
        (tmp_path / "site" / name / "__init__.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in ("picamera2", "simplejpeg"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return tmp_path / "site"


def test_picamera2_numpy_mismatch_is_named_with_its_fix(broken_picamera2: Path) -> None:
    result = picamera2(Target(None, "picamera2", System()))
    assert result.status is Status.FAIL
    assert "numpy.dtype size changed" in result.found and "constraints/" in result.fix


def test_picamera2_is_skipped_off_a_pi_and_required_for_its_source(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)
    if shutil.which("vcgencmd") or Path("/proc/device-tree/model").exists():
        pytest.skip("this machine may be a Raspberry Pi")
    assert picamera2(Target(None, None, System())).status is Status.SKIP
    wanted = picamera2(Target(None, "picamera2", System()))
    assert wanted.status is Status.FAIL and "python3-picamera2" in wanted.fix


def test_missing_and_present_cameras(tmp_path) -> None:
    (tmp_path / "dev").mkdir()
    missing = cameras(target(tmp_path, "/dev/video0"))
    assert missing.status is Status.FAIL and "video0 does not exist" in missing.found
    assert "video" in missing.fix
    (tmp_path / "dev" / "video0").write_bytes(b"")
    assert cameras(target(tmp_path, "0")).status is Status.OK
    assert cameras(target(tmp_path, "clip.mp4")).status is Status.SKIP


def test_litert_runs_the_probe_on_xnnpack() -> None:
    result = litert_xnnpack(Target(None))
    assert result.status is Status.OK and "XNNPACK" in result.found


def test_tampered_bundle_fails_and_the_intact_one_passes(tmp_path) -> None:
    assert bundle_hashes(target(tmp_path)).status is Status.OK
    tampered = tmp_path / "bundle"
    shutil.copytree(TINY, tampered)
    data = bytearray((tampered / "head_int8.tflite").read_bytes())
    data[-1] ^= 0xFF
    (tampered / "head_int8.tflite").write_bytes(bytes(data))
    result = bundle_hashes(target(tmp_path, bundle=tampered))
    assert result.status is Status.FAIL and "sha256 does not match" in result.found


def test_broker_refuses_wrong_credentials_and_accepts_right_ones(tmp_path, password_broker) -> None:
    port = password_broker.port
    wrong = mqtt_broker(target(tmp_path, mqtt={"broker": f"mqtt://cam:not-it@127.0.0.1:{port}"}))
    assert wrong.status is Status.FAIL and "refused (Not authorized)" in wrong.found
    assert "not-it" not in wrong.found and "password" in wrong.fix
    right = mqtt_broker(target(tmp_path, mqtt={"broker": f"mqtt://cam:right-one@127.0.0.1:{port}"}))
    assert right.status is Status.OK, right


def test_unreachable_broker_fails(tmp_path) -> None:
    result = mqtt_broker(target(tmp_path, mqtt={"broker": f"mqtt://127.0.0.1:{free_port()}"}))
    assert result.status is Status.FAIL and "cannot reach" in result.found


def test_tls_broker_with_the_wrong_ca_fails_and_with_its_own_passes(tmp_path) -> None:
    certs, strangers = tls_files(tmp_path / "certs"), tls_files(tmp_path / "other")
    port = free_port()
    with private_broker(tmp_path / "broker", f"listener {port} 127.0.0.1\n"
                        f"cafile {certs['ca.crt']}\ncertfile {certs['server.crt']}\n"
                        f"keyfile {certs['server.key']}\n"):
        def check(ca: Path) -> object:
            return mqtt_broker(target(tmp_path, mqtt={"broker": f"mqtts://localhost:{port}",
                                                      "ca_file": ca}))
        wrong, right = check(strangers["ca.crt"]), check(certs["ca.crt"])
    assert wrong.status is Status.FAIL and "TLS failed" in wrong.found and "ca_file" in wrong.fix
    assert right.status is Status.OK and "(TLS)" in right.found


def test_disk_space_is_measured_where_the_outbox_goes(tmp_path) -> None:
    result = disk_space(target(tmp_path, mqtt={"broker": "mqtt://127.0.0.1:1",
                                               "state_dir": tmp_path / "state" / "deeper"}))
    assert result.status in (Status.OK, Status.WARN) and str(tmp_path / "state") in result.found


def fake_vcgencmd(folder: Path, answer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in for the Pi firmware's vcgencmd, answering `get_throttled` as it does."""
    folder.mkdir(exist_ok=True)
    (folder / "vcgencmd").write_text(f'#!/bin/sh\n[ "$1" = get_throttled ] && echo {answer}\n')
    (folder / "vcgencmd").chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.parametrize("answer, status, words", [
    ("throttled=0x0", Status.OK, "throttled=0x0"),
    ("throttled=0x50000", Status.WARN, "since boot under-voltage, throttled"),
    ("throttled=0x50005", Status.FAIL, "now under-voltage, throttled"),
])
def test_throttling_flags(tmp_path, monkeypatch, answer: str, status: Status, words: str) -> None:
    fake_vcgencmd(tmp_path / "bin", answer, monkeypatch)
    result = throttling(Target(None))
    assert result.status is status and words in result.found


@pytest.mark.parametrize("millidegrees, status", [(45000, Status.OK), (74000, Status.WARN),
                                                   (83500, Status.FAIL)])
def test_temperature(tmp_path, millidegrees: int, status: Status) -> None:
    zone = tmp_path / "thermal" / "thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "temp").write_text(f"{millidegrees}\n")
    assert temperature(Target(None, None, System(thermal=tmp_path / "thermal"))).status is status
    assert temperature(Target(None, None, System(thermal=tmp_path))).status is Status.SKIP


def fake_systemctl(folder: Path, active: str, enabled: str, monkeypatch) -> None:
    """A stand-in for systemctl (systemd is not PID 1 in a test container), answering
    `is-active`/`is-enabled` as systemd does."""
    folder.mkdir(exist_ok=True)
    (folder / "systemctl").write_text(
        f'#!/bin/sh\ncase "$1" in is-active) echo {active};; is-enabled) echo {enabled};; esac\n')
    (folder / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.parametrize("active, enabled, status", [
    ("inactive", "not-found", Status.SKIP), ("failed", "enabled", Status.FAIL),
    ("inactive", "disabled", Status.WARN), ("active", "enabled", Status.OK)])
def test_systemd_unit_states(tmp_path, monkeypatch, active: str, enabled: str,
                             status: Status) -> None:
    fake_systemctl(tmp_path / "bin", active, enabled, monkeypatch)
    (tmp_path / "run-systemd").mkdir()
    result = systemd_unit(Target(None, None, System(systemd_run=tmp_path / "run-systemd")))
    assert result.status is status, result
    assert systemd_unit(Target(None, None, System(systemd_run=tmp_path / "no"))).status is Status.SKIP


def test_a_check_that_crashes_is_a_failed_row_and_the_others_still_run() -> None:
    def broken(target: Target) -> None:
        raise KeyError("oops")

    results = run_checks(Target(None), (broken, litert_xnnpack))
    assert [r.status for r in results] == [Status.FAIL, Status.OK]
    assert "KeyError" in results[0].found
