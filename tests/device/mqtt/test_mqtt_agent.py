"""`har-agent run --broker …` as a process against a real mosquitto: events with every field,
availability and its last will after `kill -9`, the outbox across a restart, a wrong password, and
`har-agent alerts --json`."""
from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mqtt_broker import HAR_AGENT, Subscriber, private_broker, wait_until

from har_device.core.video import write_video
from har_device.testing.broker import LocalBroker

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"
WAVE = ("events:\n  wave: {alert: true, enter: 0.2, exit: 0.19, smoothing: 1, "
        "min_duration_s: 0, cooldown_s: 0}\n")


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    """`waves`: 3 x (0.5 s white, 0.5 s black), which the tiny model scores as 3 wave events
    (config WAVE); `still`: black, no events."""
    folder = tmp_path_factory.mktemp("mqtt_videos")
    white, black = np.full((48, 64, 3), 255, np.uint8), np.zeros((48, 64, 3), np.uint8)
    write_video(folder / "waves.mp4", ([white] * 8 + [black] * 8) * 3, 16.0)
    write_video(folder / "still.mp4", [black] * 16, 16.0)
    return {"waves": folder / "waves.mp4", "still": folder / "still.mp4"}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(f"bundle: {TINY}\ndevice_id: cam\n{WAVE}")
    return path


def run_agent(config: Path, broker: LocalBroker, video: Path, tmp_path: Path,
              *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([HAR_AGENT, "run", "--config", str(config), "--source", str(video),
                           "--broker", broker.url, "--state-dir", str(tmp_path / "state"),
                           *options], capture_output=True, text=True, timeout=60)


def start_agent(config: Path, url: str, video: Path, tmp_path: Path,
                *options: str) -> tuple[subprocess.Popen, Path]:
    """A looping agent in the background; its stderr goes to a file the test can poll."""
    stderr = tmp_path / "agent.err"
    process = subprocess.Popen([HAR_AGENT, "run", "--config", str(config), "--source", str(video),
                                "--loop", "--broker", url, "--state-dir", str(tmp_path / "state"),
                                *options], stdout=subprocess.DEVNULL, stderr=stderr.open("w"))
    return process, stderr


def events_of(lines: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines.splitlines()]


def without_queued_at(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key != "queued_at"}


def test_events_arrive_with_every_field_then_state_stats_and_offline(
        config: Path, broker: LocalBroker, subscribe, videos, tmp_path: Path) -> None:
    watcher = subscribe(["har/cam/#"])
    log = tmp_path / "events.jsonl"
    result = run_agent(config, broker, videos["waves"], tmp_path, "--events-log", str(log),
                       "--stats-interval", "0.01")
    assert result.returncode == 0, result.stderr
    expected = events_of(log.read_text())
    assert [event["type"] for event in expected] == ["start", "end"] * 3
    wait_until(lambda: len(watcher.on("/events")) == 6, 10, "six event messages")
    received = [message.json() for message in watcher.on("/events")]
    assert [without_queued_at(event) for event in received] == expected
    assert all(0 < event["queued_at"] - time.time() + 60 < 60 for event in received)
    stats = watcher.on("/stats")[-1].json()
    assert stats["frames"] == 24 and stats["model_sha256"] == expected[0]["model_sha256"]
    assert set(stats["inference_ms"]) == {"p50", "p95", "p99"} and stats["outbox_depth"] >= 0
    assert {"fps", "end_to_end_ms", "dropped_frames", "source_reconnects", "broker_reconnects",
            "cpu_temp_c", "uptime_s", "outbox_dropped"} <= set(stats)
    late = subscribe(["har/cam/availability", "har/cam/state"])
    wait_until(lambda: len(late.messages) == 2, 10, "retained availability and state")
    assert late.on("availability")[0].payload == b"offline" and late.on("availability")[0].retain
    assert late.on("state")[0].json()["open_events"] == []


def test_availability_is_retained_online_and_kill_9_turns_it_offline_within_1_5_keepalives(
        config: Path, broker: LocalBroker, subscribe, videos, tmp_path: Path) -> None:
    """The kernel closes a killed process's socket, so the broker sends the will at once."""
    agent, stderr = start_agent(config, broker.url, videos["still"], tmp_path, "--keepalive", "2")
    try:
        wait_until(lambda: "connected to" in stderr.read_text(), 20, "the agent to connect")
        watcher = subscribe(["har/cam/availability"])
        online = wait_until(lambda: watcher.messages, 10, "the retained availability")[0]
        assert (online.payload, online.retain) == (b"online", True)
    finally:
        agent.send_signal(signal.SIGKILL)
        killed = time.time()
        agent.wait(10)
    offline = wait_until(lambda: [m for m in watcher.messages if m.payload == b"offline"], 10,
                         "the last will")[0]
    assert offline.at - killed <= 1.5 * 2


def test_a_silent_agent_is_declared_offline_by_the_keepalive(
        config: Path, broker: LocalBroker, subscribe, videos, tmp_path: Path) -> None:
    """SIGSTOP freezes the agent with its socket open, as a cut network cable would: only the
    keepalive can tell. The broker may wait 1.5 keepalives after the last packet, and Mosquitto
    2.0 sweeps for expired keepalives only every 5-6 s, so that is the bound here."""
    agent, stderr = start_agent(config, broker.url, videos["still"], tmp_path, "--keepalive", "2")
    try:
        wait_until(lambda: "connected to" in stderr.read_text(), 20, "the agent to connect")
        watcher = subscribe(["har/cam/availability"])
        wait_until(lambda: watcher.messages, 10, "the retained availability")
        agent.send_signal(signal.SIGSTOP)
        frozen = time.time()
        offline = wait_until(lambda: [m for m in watcher.messages if m.payload == b"offline"],
                             10, "the last will")[0]
    finally:
        agent.kill()
        agent.wait(10)
    assert 1.0 <= offline.at - frozen <= 1.5 * 2 + 6.5


def test_events_kept_in_the_outbox_across_a_restart_arrive_first_and_in_order(
        config: Path, videos, tmp_path: Path) -> None:
    down = private_broker(tmp_path / "broker")
    first_log, second_log = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first = run_agent(config, down, videos["waves"], tmp_path, "--events-log", str(first_log))
    assert first.returncode == 0, first.stderr
    assert "cannot reach" in first.stderr and "6 event message(s) not yet acknowledged" in \
        first.stderr
    with down as broker:
        watcher = Subscriber(broker.port, ["har/cam/events"])
        wait_until(watcher.client.is_connected, 10, "the subscriber")
        second = run_agent(config, broker, videos["waves"], tmp_path, "--events-log",
                           str(second_log))
        assert second.returncode == 0, second.stderr
        assert "6 event message(s) from an earlier run" in second.stderr
        wait_until(lambda: len(watcher.on("events")) >= 12, 10, "both runs' events")
        watcher.close()
    expected = events_of(first_log.read_text()) + events_of(second_log.read_text())
    assert [without_queued_at(m.json()) for m in watcher.on("events")] == expected


def test_a_wrong_password_is_logged_and_retried_without_a_crash(
        config: Path, videos, tmp_path: Path, monkeypatch) -> None:
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "cam", "right-one"],
                   check=True, capture_output=True)
    with private_broker(tmp_path / "broker", f"password_file {passwords}\n",
                        anonymous=False) as broker:
        wrong_url = f"mqtt://cam:not-it@127.0.0.1:{broker.port}"
        agent, stderr = start_agent(config, wrong_url, videos["still"], tmp_path)
        refused = "refused the connection: Not authorized"
        wait_until(lambda: stderr.read_text().count(refused) >= 2, 15, "two refused attempts")
        assert agent.poll() is None
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(20) == 0
        log = stderr.read_text()
        assert "not-it" not in log and "mqtt://cam:***@127.0.0.1" in log
        monkeypatch.setenv("HAR_MQTT_USERNAME", "cam")
        monkeypatch.setenv("HAR_MQTT_PASSWORD", "right-one")
        result = run_agent(config, broker, videos["still"], tmp_path)
        assert result.returncode == 0 and "MQTT: connected to" in result.stderr


def test_alerts_json_prints_each_event_as_published(
        config: Path, broker: LocalBroker, videos, tmp_path: Path) -> None:
    stderr = tmp_path / "alerts.err"
    alerts = subprocess.Popen([HAR_AGENT, "alerts", "--broker", broker.url, "--device", "cam",
                               "--json", "--count", "6", "--timeout", "30"],
                              stdout=subprocess.PIPE, stderr=stderr.open("w"), text=True)
    wait_until(lambda: "listening on har/cam/events" in stderr.read_text(), 20, "alerts")
    log = tmp_path / "events.jsonl"
    assert run_agent(config, broker, videos["waves"], tmp_path, "--events-log",
                     str(log)).returncode == 0
    out, _ = alerts.communicate(timeout=40)
    assert alerts.returncode == 0, stderr.read_text()
    assert [without_queued_at(event) for event in events_of(out)] == events_of(log.read_text())
    missing = subprocess.run([HAR_AGENT, "alerts", "--broker", broker.url, "--count", "1",
                              "--timeout", "0.5"], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and "0 of 1 event(s) arrived" in missing.stderr
