"""Moves outbox rows to the broker in order and deletes each one when its PUBACK arrives.

One thread owns the bookkeeping (which paho message id carries which row); paho's callbacks only
post notes to it, because paho calls `on_publish` while holding its own lock and a callback that
took ours could deadlock against a `publish` holding ours. At most `window` rows are in flight.

Order across a reconnect is the subtle part: paho keeps the QoS 1 messages that were in flight
when the connection dropped and re-sends them after the next CONNACK — but only after our
`on_connect` code ran, so a row handed over at that moment would overtake them. Rows that were in
flight at a disconnect are therefore "stale", and nothing new is handed over until every stale
one has been acknowledged.
"""
from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from typing import Any

import paho.mqtt.client as paho

from har_device.mqtt.client import BrokerLink
from har_device.mqtt.outbox import Outbox

log = logging.getLogger(__name__)

_ACK, _DOWN, _WAKE, _STOP = "ack", "down", "wake", "stop"


class OutboxSender:
    def __init__(self, link: BrokerLink, outbox: Outbox, window: int = 10):
        self.link, self.outbox, self.window = link, outbox, window
        self._notes: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._in_flight: dict[int, int] = {}
        self._last_handed = 0
        self._stale = False
        self._drain_until: float | None = None
        self._last_error = ""
        link.client.on_publish = self._on_publish
        link.on_up.append(self.wake)
        link.on_down.append(lambda: self._notes.put((_DOWN, None)))
        self._thread = threading.Thread(target=self._run, name="mqtt-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """New rows, or a new connection: look at the outbox again."""
        self._notes.put((_WAKE, None))

    def close(self, drain_s: float) -> None:
        """Send what can be sent within `drain_s`; the rest stays on disk for the next start."""
        self._notes.put((_STOP, time.monotonic() + drain_s))
        self._thread.join(drain_s + 2.0)

    def _on_publish(self, client: paho.Client, userdata: Any, mid: int, reason: Any,
                    properties: Any) -> None:
        self._notes.put((_ACK, (mid, reason)))

    def _run(self) -> None:
        while True:
            try:
                self._step()
                if self._drain_until is not None and self._drained(self._drain_until):
                    return
            except sqlite3.Error as error:
                self._disk_trouble(error)
                if self._drain_until is not None and time.monotonic() > self._drain_until:
                    return

    def _step(self) -> None:
        try:
            self._note(*self._notes.get(timeout=0.5))
            while True:
                self._note(*self._notes.get_nowait())
        except queue.Empty:
            pass
        self._pump()

    def _disk_trouble(self, error: sqlite3.Error) -> None:
        """A failing disk must not end the thread that delivers alerts: say it once, retry."""
        if str(error) != self._last_error:
            self._last_error = str(error)
            log.error("MQTT outbox %s: %s; retrying", self.outbox.path, error)

    def _note(self, kind: str, value: Any) -> None:
        if kind == _ACK:
            self._acknowledged(*value)
        elif kind == _DOWN:
            self._stale = bool(self._in_flight)
        elif kind == _STOP:
            self._drain_until = value

    def _acknowledged(self, mid: int, reason: Any) -> None:
        row_id = self._in_flight.pop(mid, None)
        if row_id is None:
            return
        if reason is not None and reason.is_failure:
            log.error("MQTT: the broker rejected event message %d (%s); dropped it", row_id, reason)
            self.outbox.dropped += 1
        self.outbox.remove(row_id)
        if not self._in_flight:
            self._stale = False

    def _pump(self) -> None:
        if not self.link.connected.is_set() or self._stale:
            return
        room = self.window - len(self._in_flight)
        for row in self.outbox.after(self._last_handed, room) if room > 0 else []:
            info = self.link.client.publish(row.topic, row.payload, qos=1)
            if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
                log.warning("MQTT: could not queue event message %d (%s); will retry", row.id,
                            paho.error_string(info.rc))
                return
            self._in_flight[info.mid] = row.id
            self._last_handed = row.id

    def _drained(self, deadline: float) -> bool:
        """Done at shutdown: all sent, or out of time, or no broker (waiting only while the
        first connection attempt of a short run is still under way)."""
        if not self.link.connected.is_set():
            return self.link.first_attempt_done.is_set() or time.monotonic() > deadline
        idle = not self._in_flight and not self.outbox.after(self._last_handed, 1)
        return idle or time.monotonic() > deadline
