"""sd_notify over a real Unix datagram socket: READY after the first frame, WATCHDOG only while
frames flow, STATUS for systemctl, STOPPING on SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from har_device.agent import loop as agent_module
from har_device.agent.loop import Agent
from har_device.config.schema import load_config
from har_device.core.video import write_video
from har_device.service.notify import ServiceNotifier
from har_device.sources import LiveSource

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"
AGENT = str(Path(sys.executable).with_name("har-agent"))


@pytest.fixture()
def notify_socket(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    sock.bind(str(path))
    sock.settimeout(0.2)
    yield sock, path
    sock.close()


def receive(sock: socket.socket, seconds: float) -> list[tuple[float, str]]:
    messages, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            messages.append((time.monotonic(), sock.recv(4096).decode()))
        except socket.timeout:
            continue
    return messages


def lines(messages: list[tuple[float, str]]) -> list[str]:
    return [line for _, text in messages for line in text.splitlines()]


def receive_until_ready(sock: socket.socket, seconds: float) -> list[tuple[float, str]]:
    """Messages up to READY=1: a loaded machine may take seconds to start the process, and the
    watchdog count after READY is what the test is about, not the start-up time."""
    messages, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline and "READY=1" not in lines(messages):
        messages += receive(sock, 0.2)
    return messages


def test_agent_process_reports_ready_watchdog_status_and_stopping(notify_socket, tmp_path) -> None:
    sock, path = notify_socket
    video = tmp_path / "loop.mp4"
    write_video(video, (np.full((32, 32, 3), i * 10, np.uint8) for i in range(16)), 8.0)
    env = {**os.environ, "NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "200000"}
    process = subprocess.Popen([AGENT, "run", "--bundle", str(TINY), "--source", str(video),
                                "--loop"], env=env, stderr=subprocess.DEVNULL)
    try:
        seen = lines(receive_until_ready(sock, 30.0) + receive(sock, 1.5))
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        seen += lines(receive(sock, 0.5))
    finally:
        process.kill()
    assert process.returncode == 0
    assert seen.count("READY=1") == 1 and seen.index("READY=1") < seen.index("WATCHDOG=1")
    assert seen.count("WATCHDOG=1") >= 5
    assert any(line.startswith("STATUS=") and "fps" in line for line in seen)
    assert "STOPPING=1" in seen and seen.index("STOPPING=1") > seen.index("READY=1")


class StallingCamera:
    """A camera that delivers frames until `stalled` is set, then nothing (a hung driver)."""

    def __init__(self) -> None:
        self.stalled = threading.Event()

    def open(self) -> None:
        """Opening always succeeds; the stall is in reading."""

    def read(self) -> np.ndarray | None:
        time.sleep(0.02)
        return None if self.stalled.is_set() else np.zeros((32, 32, 3), np.uint8)

    def close(self) -> None:
        """Nothing to release."""


def test_no_watchdog_pings_while_the_camera_is_stalled(notify_socket, monkeypatch) -> None:
    sock, path = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "100000")
    camera = StallingCamera()
    monkeypatch.setattr(agent_module, "open_source",
                        lambda *_: LiveSource("stall", camera, stall_timeout_s=60).start())
    notifier = ServiceNotifier.from_environment()
    agent = Agent(load_config(None, {"bundle": TINY, "source": "stall"}), observers=[notifier])
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop,))
    runner.start()
    flowing = receive(sock, 1.0)
    camera.stalled.set()
    time.sleep(0.2)
    stalled = receive(sock, 1.0)
    stop.set()
    runner.join(timeout=10)
    assert "READY=1" in lines(flowing) and lines(flowing).count("WATCHDOG=1") >= 3
    assert "WATCHDOG=1" not in lines(stalled)
    assert "STOPPING=1" in lines(receive(sock, 0.3))
