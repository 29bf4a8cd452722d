"""Alert latency over MQTT on loopback: from the deciding frame's capture to a subscriber's receipt.

Every event message says how long the agent took from capturing the deciding frame to deciding
(`latency_ms`) and when it entered the outbox (`queued_at`, wall clock); a subscriber on the same
host stamps its receipt. So each message splits into capture → decision and decision → receipt
(outbox write with fsync, sender thread, paho, broker, subscriber), with no clock offset.

Two scenarios, each against a private mosquitto:
- `agent`: the real `har-agent run` process on a looping video (the committed tiny bundle and a
  white/black video it scores as repeated "wave" events). A file is replayed as fast as the CPU
  allows, so the MQTT threads compete with a busy frame loop: an upper bound for a live camera.
- `publisher`: the MQTT publisher alone, fed EventEngine messages at a steady 20 per second: the
  MQTT path of an agent that is not CPU-bound.

Run in the device environment:  .venv-device/bin/python benchmarks/mqtt_latency.py
"""
from __future__ import annotations

import json
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import click
import numpy as np
import paho.mqtt as paho_mqtt
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from tabulate import tabulate

from har_device.agent.events import EventEngine
from har_device.agent.model import ModelRequest, load_device_model
from har_device.config.mqtt import MqttSettings
from har_device.core.atomic import write_text_atomic
from har_device.core.bundle import EventDefaults
from har_device.core.video import write_video
from har_device.mqtt.outbox import Outbox
from har_device.mqtt.publisher import MqttPublisher
from har_device.sources import Frame
from har_device.testing.broker import LocalBroker, mosquitto_binary

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny_bundle"
RESULTS = ROOT / "benchmarks" / "results"
LABELS = ["fall", "walk", "sit", "bend", "wave", "idle"]
WAVE_CONFIG = ("events:\n  wave: {alert: true, enter: 0.2, exit: 0.19, smoothing: 1, "
               "min_duration_s: 0, cooldown_s: 0}\n")


def _receive(port: int, topic: str, ready: Any, stop: Any, count: Any, results: Any) -> None:
    """The subscriber, in its own process so it never competes with the agent for a GIL."""
    received: list[tuple[float, bytes]] = []

    def record(client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        received.append((time.time(), message.payload))
        with count.get_lock():
            count.value += 1

    client = paho.Client(CallbackAPIVersion.VERSION2)
    client.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
    client.on_subscribe = lambda *_: ready.set()
    client.on_message = record
    client.connect("127.0.0.1", port)
    client.loop_start()
    stop.wait()
    client.disconnect()
    client.loop_stop()
    results.put(received)


class Receiver:
    """Subscribes to one device's events and stamps each message's arrival (wall clock)."""

    def __init__(self, port: int, topic: str):
        context = multiprocessing.get_context("spawn")
        self._ready, self._stop = context.Event(), context.Event()
        self._count, self._results = context.Value("i", 0), context.Queue()
        self._process = context.Process(target=_receive, daemon=True, args=(
            port, topic, self._ready, self._stop, self._count, self._results))
        self._process.start()
        if not self._ready.wait(20):
            raise click.ClickException("the benchmark subscriber could not subscribe")

    def collect(self, count: int, timeout_s: float) -> list[tuple[float, dict[str, Any]]]:
        """Wait for `count` messages, then return them all with their arrival times."""
        deadline = time.monotonic() + timeout_s
        while self._count.value < count and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()
        received = self._results.get(timeout=10)
        self._process.join(10)
        if len(received) < count:
            raise click.ClickException(f"only {len(received)} of {count} messages arrived")
        return [(at, json.loads(payload)) for at, payload in received]


def agent_scenario(broker: LocalBroker, work: Path, starts: int) -> list[tuple[float, dict]]:
    white, black = np.full((48, 64, 3), 255, np.uint8), np.zeros((48, 64, 3), np.uint8)
    video, config = work / "waves.mp4", work / "agent.yaml"
    write_video(video, ([white] * 8 + [black] * 8) * 3, 16.0)
    config.write_text(f"bundle: {TINY}\ndevice_id: bench-agent\n{WAVE_CONFIG}")
    receiver = Receiver(broker.port, "har/bench-agent/events")
    frames = starts * 8 + 4  # a start and an end per second of video, sampled at 8 fps
    agent = subprocess.run([str(Path(sys.executable).with_name("har-agent")), "run", "--config",
                            str(config), "--source", str(video), "--loop", "--max-frames",
                            str(frames), "--broker", broker.url, "--state-dir",
                            str(work / "state")], capture_output=True, text=True, timeout=600)
    if agent.returncode != 0:
        raise click.ClickException(f"har-agent run failed: {agent.stderr.strip()}")
    made = int(re.search(r"(\d+) events", agent.stderr).group(1))  # type: ignore[union-attr]
    return receiver.collect(2 * made, 60)


def publisher_scenario(broker: LocalBroker, work: Path, starts: int,
                       rate_hz: float = 20.0) -> list[tuple[float, dict]]:
    receiver = Receiver(broker.port, "har/bench-publisher/events")
    publisher = MqttPublisher(MqttSettings(broker=broker.url, state_dir=work / "state"),
                              "bench-publisher")
    publisher.start(load_device_model(ModelRequest(TINY, None, 1, 1, None, None, None)))
    while not publisher.link.connected.wait(0.1):
        pass
    wave = EventDefaults(alert=True, enter=0.5, exit=0.4, smoothing=1, min_duration_s=0,
                         cooldown_s=0)
    engine = EventEngine(LABELS, {"wave": wave}, "bench-publisher", "0" * 64)
    image, sent = np.zeros((2, 2, 3), np.uint8), 0
    for index in range(2 * starts):
        scores = np.full(6, 0.1)
        scores[4] = 0.9 if index % 2 == 0 else 0.0
        frame = Frame(index, image, index / rate_hz, time.monotonic(), time.time())
        for message in engine.update(scores, frame):
            publisher.publish(message)
            sent += 1
        time.sleep(1.0 / rate_hz)
    received = receiver.collect(sent, 60)
    publisher.close()
    return received


def outbox_insert_ms(work: Path, inserts: int = 200) -> np.ndarray:
    """What one durable outbox write (an fsync) costs on this disk, for attributing the above."""
    outbox = Outbox(work / "probe.sqlite", max_rows=10_000, max_age_s=3600)
    payload, times = "x" * 600, []
    for _ in range(inserts):
        started = time.perf_counter()
        outbox.add("har/probe/events", payload)
        times.append((time.perf_counter() - started) * 1000.0)
        time.sleep(0.01)
    outbox.close()
    return np.array(times)


def split(received: list[tuple[float, dict]]) -> dict[str, np.ndarray]:
    """Per message: capture → decision, decision → receipt, and their sum, in ms."""
    decided = np.array([event["latency_ms"] for _, event in received])
    delivered = np.array([(at - event["queued_at"]) * 1000.0 for at, event in received])
    return {"capture_to_decision_ms": decided, "decision_to_receipt_ms": delivered,
            "capture_to_receipt_ms": decided + delivered}


def percentiles(values: np.ndarray) -> dict[str, float]:
    return {name: round(float(np.percentile(values, point)), 3)
            for name, point in (("p50", 50), ("p95", 95), ("p99", 99))} | {
        "max": round(float(values.max()), 3)}


def environment() -> dict[str, Any]:
    version = subprocess.run([mosquitto_binary(), "-h"], capture_output=True, text=True).stdout
    return {"python": platform.python_version(), "paho_mqtt": paho_mqtt.__version__,
            "mosquitto": version.splitlines()[0] if version else "unknown",
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "outbox": "SQLite WAL, synchronous=FULL (one fsync per event)"}


def markdown(report: dict[str, Any]) -> str:
    rows = []
    for name, scenario in report["scenarios"].items():
        for part, stats in scenario["latency_ms"].items():
            rows.append([name, scenario["messages"], part.removesuffix("_ms").replace("_", " "),
                         stats["p50"], stats["p95"], stats["p99"], stats["max"]])
    table = tabulate(rows, headers=["scenario", "messages", "span (ms)", "p50", "p95", "p99",
                                    "max"], tablefmt="github")
    env, insert = report["environment"], report["outbox_insert_ms"]
    return (f"# MQTT alert latency on loopback\n\n{report['what']}\n\n{table}\n\n"
            f"- `agent`: {report['scenarios']['agent']['how']}\n"
            f"- `publisher`: {report['scenarios']['publisher']['how']}\n"
            f"- one durable outbox insert (its fsync) on the same disk: p50 {insert['p50']} ms, "
            f"p95 {insert['p95']} ms, the largest single part of decision → receipt (the "
            f"rest: the sender thread, paho, the broker and the subscriber).\n\n"
            f"Environment: Python {env['python']}, paho-mqtt {env['paho_mqtt']}, "
            f"{env['mosquitto']}, {env['machine']} with {env['cpus']} CPUs (shared, load "
            f"average {env['load_average_1min']} at the start); outbox {env['outbox']}.\n\n"
            f"Command: `{report['command']}`\n")


@click.command()
@click.option("--starts", type=click.IntRange(min=10), default=120, show_default=True,
              help="alert starts per scenario (each also has an end message)")
@click.option("--out", type=click.Path(path_type=Path), default=RESULTS, show_default=True)
def main(starts: int, out: Path) -> None:
    """Measure and write mqtt_latency.json and .md."""
    scenarios: dict[str, tuple[str, Callable]] = {
        "agent": ("har-agent run process replaying a looping video as fast as it can "
                  "(tiny bundle, stride 1)", agent_scenario),
        "publisher": ("MqttPublisher fed EventEngine messages at 20 per second "
                      "(no frame loop competing for the CPU)", publisher_scenario)}
    report: dict[str, Any] = {
        "what": "Per event message: capture of the deciding frame → decision (`latency_ms`), "
                "decision → receipt by a subscriber on the same host (`queued_at` → arrival), "
                "and the sum.",
        "command": f"python benchmarks/mqtt_latency.py --starts {starts}",
        "environment": environment(), "scenarios": {}}
    for name, (how, scenario) in scenarios.items():
        with tempfile.TemporaryDirectory() as work, LocalBroker() as broker:
            received = scenario(broker, Path(work), starts)
        report["scenarios"][name] = {
            "how": how, "messages": len(received),
            "starts": sum(1 for _, event in received if event["type"] == "start"),
            "latency_ms": {part: percentiles(values) for part, values in split(received).items()}}
        click.echo(f"{name}: {len(received)} messages", err=True)
    with tempfile.TemporaryDirectory() as work:
        report["outbox_insert_ms"] = percentiles(outbox_insert_ms(Path(work)))
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "mqtt_latency.json", json.dumps(report, indent=2) + "\n")
    write_text_atomic(out / "mqtt_latency.md", markdown(report))
    click.echo(markdown(report))


if __name__ == "__main__":
    main()
