"""The MQTT publisher against a real mosquitto: outages, TLS, Home Assistant, the alerts command.

The publisher is driven in-process with messages from a real EventEngine, so a test controls when
events happen relative to a broker outage; the agent-as-a-process tests are in test_mqtt_agent.py.
"""
from __future__ import annotations

import logging
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from mqtt_broker import (
    HAR_AGENT,
    Received,
    Subscriber,
    private_broker,
    tls_files,
    wait_until,
)

from har_device.agent.events import EventEngine
from har_device.agent.model import DeviceModel, ModelRequest, load_device_model
from har_device.config.mqtt import MqttSettings
from har_device.core.bundle import EventDefaults
from har_device.mqtt.publisher import MqttPublisher
from har_device.sources import Frame
from har_device.testing.broker import LocalBroker, free_port

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"
LABELS = ["fall", "walk", "sit", "bend", "wave", "idle"]


@pytest.fixture(scope="module")
def tiny_model() -> DeviceModel:
    return load_device_model(ModelRequest(TINY, None, 1, 1, None, None, None))


def engine_messages(device_id: str = "cam") -> Iterator[dict[str, Any]]:
    """Endless, alternating wave start/end messages from a real EventEngine."""
    wave = EventDefaults(alert=True, enter=0.5, exit=0.4, smoothing=1, min_duration_s=0,
                         cooldown_s=0)
    engine = EventEngine(LABELS, {"wave": wave}, device_id, "f" * 64)
    image = np.zeros((2, 2, 3), np.uint8)
    for index in range(10**6):
        scores = np.full(6, 0.1)
        scores[4] = 0.9 if index % 2 == 0 else 0.0
        yield from engine.update(scores, Frame(index, image, index / 8, time.monotonic(),
                                               time.time()))


def settings(broker: LocalBroker, tmp_path: Path, **fields: Any) -> MqttSettings:
    return MqttSettings(broker=fields.pop("broker", broker.url), state_dir=tmp_path / "state",
                        keepalive_s=5, reconnect_max_s=2, **fields)


def arrived_in_order(received: list[Received]) -> list[tuple[str, str]]:
    """(event_id, type) in arrival order, duplicates (at-least-once) dropped as subscribers do."""
    seen: list[tuple[str, str]] = []
    for message in received:
        key = (message.json()["event_id"], message.json()["type"])
        if key not in seen:
            seen.append(key)
    return seen


def test_a_broker_outage_of_10_s_loses_no_event_and_keeps_their_order(
        broker: LocalBroker, subscribe, tmp_path: Path, tiny_model: DeviceModel) -> None:
    watcher = subscribe(["har/cam/events"], session="outage-watcher")
    publisher = MqttPublisher(settings(broker, tmp_path), "cam")
    publisher.start(tiny_model)
    wait_until(publisher.link.connected.is_set, 10, "the publisher to connect")
    messages, sent = engine_messages(), []

    def send() -> None:
        sent.append(next(messages))
        publisher.publish(sent[-1])

    for _ in range(4):
        send()
    wait_until(lambda: len(watcher.on("events")) == 4, 10, "the events before the outage")
    broker.stop()
    outage = time.monotonic()
    while time.monotonic() - outage < 10.5:
        send()
        time.sleep(0.5)
    assert publisher.outbox.depth() >= 20
    broker.start()
    expected = [(event["event_id"], event["type"]) for event in sent]
    wait_until(lambda: len(arrived_in_order(watcher.on("events"))) >= len(sent), 30,
               f"all {len(sent)} events after the outage")
    assert arrived_in_order(watcher.on("events")) == expected
    first = {message.json()["event_id"] + message.json()["type"]: message.json()
             for message in reversed(watcher.on("events"))}
    assert all({**first[e["event_id"] + e["type"]], "queued_at": None} ==
               {**e, "queued_at": None} for e in sent)
    wait_until(lambda: publisher.outbox.depth() == 0, 10, "the outbox to empty")
    assert publisher.link.reconnects == 1
    publisher.close()


def test_an_unreachable_broker_is_logged_and_retried_until_it_appears(
        tmp_path: Path, subscribe, tiny_model: DeviceModel, caplog) -> None:
    later = private_broker(tmp_path / "later")
    publisher = MqttPublisher(settings(later, tmp_path), "cam")
    with caplog.at_level(logging.INFO, logger="har_device"):
        publisher.start(tiny_model)
        event = next(engine_messages())
        publisher.publish(event)
        wait_until(lambda: caplog.text.count("cannot reach mqtt://127.0.0.1") >= 2, 10,
                   "two logged connection attempts")
        assert "Connection refused" in caplog.text
        with later:
            watcher_client = Subscriber(later.port, ["har/cam/#"])
            wait_until(lambda: watcher_client.on("events"), 15, "the event queued while down")
            assert watcher_client.on("events")[0].json()["event_id"] == event["event_id"]
            publisher.close()
            watcher_client.close()
    assert f"connected to mqtt://127.0.0.1:{later.port}" in caplog.text


def test_tls_with_a_test_ca_and_client_certificates_carries_events_to_alerts(
        tmp_path: Path, tiny_model: DeviceModel) -> None:
    certs = tls_files(tmp_path / "certs")
    tls_port = free_port()
    with private_broker(tmp_path / "broker", f"listener {tls_port} 127.0.0.1\n"
                        f"cafile {certs['ca.crt']}\ncertfile {certs['server.crt']}\n"
                        f"keyfile {certs['server.key']}\nrequire_certificate true\n"):
        client_files = ["--ca-file", str(certs["ca.crt"]), "--cert-file",
                        str(certs["client.crt"]), "--key-file", str(certs["client.key"])]
        alerts, stderr = start_alerts(tmp_path, f"mqtts://localhost:{tls_port}", "--count", "2",
                                      "--timeout", "30", *client_files)
        publisher = MqttPublisher(MqttSettings(
            broker=f"mqtts://127.0.0.1:{tls_port}", ca_file=certs["ca.crt"],
            cert_file=certs["client.crt"], key_file=certs["client.key"],
            state_dir=tmp_path / "state"), "cam")
        publisher.start(tiny_model)
        messages = engine_messages()
        for _ in range(2):
            publisher.publish(next(messages))
        out, _ = alerts.communicate(timeout=40)
        publisher.close()
    assert alerts.returncode == 0, stderr.read_text()
    lines = out.splitlines()
    assert len(lines) == 2 and "cam  " in lines[0] and "START  wave" in lines[0]
    assert "END    wave" in lines[1] and "peak 0.90" in lines[1]


def start_alerts(tmp_path: Path, url: str, *options: str) -> tuple[subprocess.Popen, Path]:
    """`har-agent alerts` in the background, returned once it is subscribed."""
    stderr = tmp_path / f"alerts-{time.monotonic_ns()}.err"
    process = subprocess.Popen([HAR_AGENT, "alerts", "--broker", url, *options],
                               stdout=subprocess.PIPE, stderr=stderr.open("w"), text=True)
    wait_until(lambda: "listening on" in stderr.read_text() or process.poll() is not None, 20,
               "har-agent alerts to subscribe")
    assert process.poll() is None, stderr.read_text()
    return process, stderr


def test_home_assistant_discovery_and_its_status_topic_over_mqtt_5(
        broker: LocalBroker, subscribe, tmp_path: Path, tiny_model: DeviceModel) -> None:
    publisher = MqttPublisher(settings(broker, tmp_path, ha_discovery=True, protocol="5"), "hall")
    publisher.start(tiny_model)
    watcher = subscribe(["homeassistant/+/har_hall/+/config"])
    wait_until(lambda: len(watcher.messages) >= 4, 10, "four discovery configs")
    late = subscribe(["homeassistant/+/har_hall/+/config"])
    configs = wait_until(lambda: len(late.messages) >= 4 and late.messages, 10,
                         "the retained configs")
    assert all(message.retain for message in configs)
    by_component = {message.topic.split("/")[1]: message.json() for message in configs}
    assert set(by_component) == {"event", "binary_sensor", "sensor"}
    event, down = by_component["event"], by_component["binary_sensor"]
    assert event["event_types"] == tiny_model.labels and event["state_topic"] == "har/hall/events"
    assert down["device_class"] == "safety" and down["state_topic"] == "har/hall/state"
    sensors = [message.json() for message in configs if "/sensor/" in message.topic]
    assert {s["unit_of_measurement"] for s in sensors} == {"fps", "ms"}
    assert all(s["entity_category"] == "diagnostic" for s in sensors)
    for config in by_component.values():
        assert config["availability_topic"] == "har/hall/availability"
        assert config["device"]["identifiers"] == ["har-edge-hall"]
        assert config["unique_id"].startswith("har_hall_")
    for garbage in (b"\xff\xfe\x00", b"restarting", b"", b"offline"):
        publisher.link.client.publish("homeassistant/status", garbage, qos=1).wait_for_publish(5)
    publisher.link.client.publish("homeassistant/status", b"online", qos=1).wait_for_publish(5)
    wait_until(lambda: len(watcher.messages) >= 8, 10, "discovery again after HA's online")
    time.sleep(0.5)
    assert len(watcher.messages) == 8
    assert publisher.link.connected.is_set()
    publisher.publish(next(engine_messages("hall")))
    wait_until(lambda: publisher.outbox.depth() == 0, 10, "the event acknowledged over MQTT 5")
    publisher.close()



def test_an_event_the_outbox_cannot_store_is_still_sent(
        broker: LocalBroker, subscribe, tmp_path: Path, tiny_model: DeviceModel, caplog) -> None:
    watcher = subscribe(["har/cam/events"])
    publisher = MqttPublisher(settings(broker, tmp_path), "cam")
    publisher.start(tiny_model)
    wait_until(publisher.link.connected.is_set, 10, "the publisher to connect")
    with sqlite3.connect(publisher.outbox.path) as db:  # a disk that refuses every write
        db.execute("CREATE TRIGGER full BEFORE INSERT ON outbox "
                   "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    event = next(engine_messages())
    with caplog.at_level(logging.ERROR, logger="har_device"):
        publisher.publish(event)
    assert "cannot store event" in caplog.text and "disk is full" in caplog.text
    arrived = wait_until(lambda: watcher.on("events"), 10, "the event sent from memory")
    assert arrived[0].json()["event_id"] == event["event_id"]
    publisher.close()
