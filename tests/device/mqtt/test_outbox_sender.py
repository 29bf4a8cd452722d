"""The sender's ordering rule across a reconnect, which a live broker hits only by chance.

paho re-sends the messages that were in flight at a disconnect only after our `on_connect` ran; a
row handed over in between would overtake them. The client here records what it is asked to
publish (and acknowledges on command), so the test can put the sender exactly in that moment.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mqtt_broker import wait_until
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from har_device.mqtt.outbox import Outbox
from har_device.mqtt.sender import OutboxSender

SUCCESS = ReasonCode(PacketTypes.PUBACK, "Success")


class RecordingClient:
    def __init__(self) -> None:
        self.published: list[tuple[int, str]] = []
        self.on_publish: Any = None

    def publish(self, topic: str, payload: str, qos: int) -> SimpleNamespace:
        mid = len(self.published) + 1
        self.published.append((mid, payload))
        return SimpleNamespace(rc=0, mid=mid)

    def ack(self, mid: int) -> None:
        self.on_publish(self, None, mid, SUCCESS, None)

    def payloads(self) -> list[str]:
        return [payload for _, payload in self.published]


class Link:
    """The part of BrokerLink the sender uses: a client, the connected flag, the hooks."""

    def __init__(self) -> None:
        self.client = RecordingClient()
        self.connected = threading.Event()
        self.first_attempt_done = threading.Event()
        self.on_up: list = []
        self.on_down: list = []

    def up(self) -> None:
        self.connected.set()
        for hook in self.on_up:
            hook()

    def down(self) -> None:
        self.connected.clear()
        for hook in self.on_down:
            hook()


def still(condition: Any, seconds: float = 0.3) -> bool:
    """True if `condition` holds for the whole period (nothing new happened)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not condition():
            return False
        time.sleep(0.02)
    return True


def test_no_new_row_overtakes_the_rows_in_flight_at_a_disconnect(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite", max_rows=100, max_age_s=3600)
    link = Link()
    sender = OutboxSender(link, outbox, window=2)  # type: ignore[arg-type]
    for n in range(3):
        outbox.add("t", f"e{n}")
    sender.start()
    link.up()
    wait_until(lambda: link.client.payloads() == ["e0", "e1"], 5, "a full window")
    assert still(lambda: len(link.client.published) == 2)
    link.down()
    outbox.add("t", "e3")
    link.up()
    link.client.ack(1)
    assert still(lambda: len(link.client.published) == 2), "e2 must wait for e1's re-send"
    link.client.ack(2)
    wait_until(lambda: link.client.payloads()[2:] == ["e2", "e3"], 5, "the rest, in order")
    link.client.ack(3)
    link.client.ack(4)
    wait_until(lambda: outbox.depth() == 0, 5, "every acknowledged row deleted")
    sender.close(drain_s=1.0)


def test_rows_are_deleted_only_when_acknowledged(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite", max_rows=100, max_age_s=3600)
    link = Link()
    sender = OutboxSender(link, outbox, window=10)  # type: ignore[arg-type]
    sender.start()
    link.up()
    for n in range(3):
        outbox.add("t", f"e{n}")
        sender.wake()
    wait_until(lambda: len(link.client.published) == 3, 5, "three publishes")
    link.client.ack(2)
    wait_until(lambda: outbox.depth() == 2, 5, "the acknowledged row gone")
    assert [row.payload for row in outbox.after(0, 10)] == ["e0", "e2"]
    sender.close(drain_s=0.2)
    assert outbox.depth() == 2


def test_a_failing_disk_is_logged_once_and_does_not_stop_delivery(tmp_path: Path,
                                                                   caplog) -> None:
    outbox = Outbox(tmp_path / "o.sqlite", max_rows=100, max_age_s=3600)
    link = Link()
    sender = OutboxSender(link, outbox, window=10)  # type: ignore[arg-type]
    sender.start()
    link.up()
    with sqlite3.connect(outbox.path) as db:
        db.execute("CREATE TRIGGER stuck BEFORE DELETE ON outbox "
                   "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    with caplog.at_level(logging.ERROR, logger="har_device"):
        for n in range(2):
            outbox.add("t", f"e{n}")
            sender.wake()
        wait_until(lambda: len(link.client.published) == 2, 5, "two publishes")
        link.client.ack(1)
        link.client.ack(2)
        wait_until(lambda: "disk I/O error" in caplog.text, 5, "the error in the log")
    assert caplog.text.count("disk I/O error") == 1
    with sqlite3.connect(outbox.path) as db:
        db.execute("DROP TRIGGER stuck")
    outbox.add("t", "e2")
    sender.wake()
    wait_until(lambda: link.client.payloads()[-1:] == ["e2"], 5, "delivery after the error")
    sender.close(drain_s=0.2)
