"""The agent's MQTT side: an event sink and a frame observer on one broker connection.

Events go to the outbox first and from there to `<prefix>/<device>/events` (QoS 1, each message
gets a `queued_at` wall-clock time so a subscriber can tell a live alert from backlog). The
retained `state` is sent when the top action or the "person down" state changes, `stats` every
`stats_interval_s`, and `availability` is `online` on every (re)connect and `offline` as the last
will and on shutdown. Home Assistant discovery, on request, follows every (re)connect and every
HA restart.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as paho

from har_device.config.mqtt import MqttSettings
from har_device.mqtt.client import BrokerLink
from har_device.mqtt.discovery import discovery_messages, is_ha_online, status_topic
from har_device.mqtt.outbox import Outbox
from har_device.mqtt.sender import OutboxSender
from har_device.mqtt.telemetry import state_key, state_payload, stats_payload
from har_device.mqtt.topics import OFFLINE, ONLINE, Topics

if TYPE_CHECKING:
    from har_device.agent.loop import AgentStatus
    from har_device.agent.model import DeviceModel

log = logging.getLogger(__name__)


def client_id_for(device_id: str) -> str:
    """Stable per device: a restarted agent takes over its own session instead of adding one."""
    return f"har-agent-{device_id}"


class MqttPublisher:
    def __init__(self, settings: MqttSettings, device_id: str, drain_s: float = 5.0):
        self.settings, self.drain_s = settings, drain_s
        self.topics = Topics(settings.prefix, device_id)
        self.outbox = Outbox(settings.outbox_path(device_id), settings.outbox_max_rows,
                             settings.outbox_max_age_h * 3600.0)
        self.link = BrokerLink(settings, client_id_for(device_id),
                               will=(self.topics.availability, OFFLINE))
        self.sender = OutboxSender(self.link, self.outbox)
        self.link.on_up.append(self._announce)
        self.model: DeviceModel | None = None
        self._state: tuple[tuple, str] | None = None
        self._stats_at, self._stats_frames = time.monotonic(), 0
        if settings.ha_discovery:
            self.link.client.message_callback_add(status_topic(settings.ha_prefix),
                                                  self._ha_status)

    def start(self, model: "DeviceModel") -> None:
        """Connect in the background; the backlog of a previous run goes out first."""
        self.model = model
        backlog = self.outbox.depth()
        if backlog:
            log.info("MQTT: %d event message(s) from an earlier run wait in %s",
                     backlog, self.outbox.path)
        self._stats_at = time.monotonic()
        self.sender.start()
        self.link.start()

    def publish(self, event: dict[str, Any]) -> None:
        """Event sink: on disk before anything else, then handed to the sender thread.

        If the outbox cannot take it (disk full, file gone), the alert still goes out, held in
        memory by paho until acknowledged: better than losing it, and said loudly."""
        payload = json.dumps({**event, "queued_at": round(time.time(), 6)}, sort_keys=True)
        try:
            self.outbox.add(self.topics.events, payload)
        except sqlite3.Error as error:
            log.error("MQTT outbox %s cannot store event %s (%s); sending it from memory only",
                      self.outbox.path, event["event_id"][:8], error)
            self.link.client.publish(self.topics.events, payload, qos=1)
            return
        self.sender.wake()

    def frame_done(self, status: "AgentStatus") -> None:
        self._update_state(status)
        if time.monotonic() - self._stats_at >= self.settings.stats_interval_s:
            self._send_stats(status)

    def close(self, status: "AgentStatus | None" = None) -> None:
        """The agent calls this twice: as an observer (with the run's status: last state and
        stats), then as a sink (without: drain the outbox, say `offline`, disconnect)."""
        if status is not None:
            self._update_state(status)
            self._send_stats(status)
            return
        self.sender.close(self.drain_s)
        left = self.outbox.depth()
        if left:
            log.warning("MQTT: %d event message(s) not yet acknowledged stay in %s for the next "
                        "start", left, self.outbox.path)
        self.link.stop((self.topics.availability, OFFLINE))
        self.outbox.close()

    def _update_state(self, status: "AgentStatus") -> None:
        key = state_key(status)
        if self._state is not None and self._state[0] == key:
            return
        self._state = key, json.dumps(state_payload(status, time.time()), sort_keys=True)
        if self.link.connected.is_set():
            self.link.client.publish(self.topics.state, self._state[1], qos=1, retain=True)

    def _send_stats(self, status: "AgentStatus") -> None:
        now, frames = time.monotonic(), status.frames_processed
        fps = (frames - self._stats_frames) / max(now - self._stats_at, 1e-9)
        self._stats_at, self._stats_frames = now, frames
        if not self.link.connected.is_set():
            return
        stats = stats_payload(status, fps, self.link.reconnects, self.outbox.depth(),
                              self.outbox.dropped)
        self.link.client.publish(self.topics.stats, json.dumps(stats, sort_keys=True), qos=0)

    def _announce(self) -> None:
        """On every (re)connect, from paho's thread: online, the current state, discovery."""
        client = self.link.client
        client.publish(self.topics.availability, ONLINE, qos=1, retain=True)
        if self._state is not None:
            client.publish(self.topics.state, self._state[1], qos=1, retain=True)
        if self.settings.ha_discovery:
            self._send_discovery()
            client.subscribe(status_topic(self.settings.ha_prefix), qos=1)

    def _send_discovery(self) -> None:
        assert self.model is not None
        for topic, config in discovery_messages(self.settings.ha_prefix, self.topics,
                                                self.model.name, self.model.labels):
            self.link.client.publish(topic, json.dumps(config, sort_keys=True), qos=1, retain=True)

    def _ha_status(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        if is_ha_online(message.payload):
            log.info("MQTT: Home Assistant is online; sending discovery again")
            self._send_discovery()
        else:
            log.debug("MQTT: ignored %r on %s", message.payload[:40], message.topic)
