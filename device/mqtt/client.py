"""The MQTT connection: one paho-mqtt 2.x client kept connected in the background.

`BrokerLink` connects asynchronously and runs paho's network thread (`loop_start`), so the frame
loop never waits for the network: while the broker is unreachable or refuses us, paho retries with
exponential backoff (`reconnect_delay_set`) and frames keep flowing. Every state change gets one
readable log line — connected, refused (and why: a wrong password says so), unreachable, lost —
naming the broker by its redacted URL. Others hook in through `on_up` / `on_down`.
"""
from __future__ import annotations

import logging
import ssl
import sys
import threading
from typing import Any, Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from har_device.config.mqtt import MqttSettings
from har_device.core.errors import BadInput

log = logging.getLogger(__name__)


def make_client(settings: MqttSettings, client_id: str) -> paho.Client:
    """A configured, not yet connected client: protocol, credentials, TLS, backoff."""
    v5 = settings.protocol == "5"
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
                         clean_session=None if v5 else True)
    username, password = settings.credentials()
    if username:
        client.username_pw_set(username, password)
    if settings.endpoint().tls:
        _set_tls(client, settings)
    client.reconnect_delay_set(1, settings.reconnect_max_s)
    return client


def _set_tls(client: paho.Client, settings: MqttSettings) -> None:
    files = {"ca_file": settings.ca_file, "cert_file": settings.cert_file,
             "key_file": settings.key_file}
    try:
        client.tls_set(ca_certs=_text(files["ca_file"]), certfile=_text(files["cert_file"]),
                       keyfile=_text(files["key_file"]))
    except (ssl.SSLError, OSError) as error:
        named = ", ".join(f"{key} {value}" for key, value in files.items() if value) or "system CAs"
        raise BadInput(f"mqtt TLS ({named}): cannot load the certificates ({error})") from None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


class BrokerLink:
    """A client that connects in the background, reconnects forever, and says what happens."""

    def __init__(self, settings: MqttSettings, client_id: str,
                 will: tuple[str, str] | None = None):
        self.settings = settings
        self.url = settings.endpoint()
        self.client_id = client_id
        self.client = make_client(settings, client_id)
        if will:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.connected = threading.Event()
        self.first_attempt_done = threading.Event()
        self.connects = 0
        self.on_up: list[Callable[[], None]] = []
        self.on_down: list[Callable[[], None]] = []
        self._stopping = False
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.on_connect_fail = self._unreachable

    @property
    def reconnects(self) -> int:
        return max(self.connects - 1, 0)

    def start(self) -> None:
        clean = {"clean_start": True} if self.settings.protocol == "5" else {}
        self.client.connect_async(self.url.host, self.url.port, self.settings.keepalive_s, **clean)
        self.client.loop_start()
        log.info("MQTT: connecting to %s as %s", self.url.redacted(), self.client_id)

    def stop(self, last_word: tuple[str, str] | None = None, timeout_s: float = 2.0) -> None:
        """Say `last_word` (retained, acknowledged if the broker is there), then disconnect."""
        self._stopping = True
        if last_word and self.connected.is_set():
            info = self.client.publish(last_word[0], last_word[1], qos=1, retain=True)
            try:
                info.wait_for_publish(timeout_s)
            except RuntimeError:
                pass  # the connection dropped meanwhile; the will says the same thing
        self.client.disconnect()
        self.client.loop_stop()

    def _connected(self, client: paho.Client, userdata: Any, flags: Any, reason: Any,
                   properties: Any) -> None:
        self.first_attempt_done.set()
        if reason.is_failure:
            log.warning("MQTT: broker %s refused the connection: %s; retrying (backoff up to "
                        "%d s)", self.url.redacted(), reason, self.settings.reconnect_max_s)
            return
        self.connects += 1
        again = f" (reconnect {self.reconnects})" if self.reconnects else ""
        log.info("MQTT: connected to %s%s", self.url.redacted(), again)
        self.connected.set()
        for hook in self.on_up:
            hook()

    def _disconnected(self, client: paho.Client, userdata: Any, flags: Any, reason: Any,
                      properties: Any) -> None:
        was_up = self.connected.is_set()
        self.connected.clear()
        if self._stopping or not was_up:
            return
        log.warning("MQTT: lost the connection to %s (%s); reconnecting (backoff up to %d s)",
                    self.url.redacted(), reason, self.settings.reconnect_max_s)
        for hook in self.on_down:
            hook()

    def _unreachable(self, client: paho.Client, userdata: Any) -> None:
        """paho calls this inside its `except OSError`, so the error itself is at hand."""
        error = sys.exc_info()[1]
        self.first_attempt_done.set()
        log.warning("MQTT: cannot reach %s (%s); retrying (backoff up to %d s)",
                    self.url.redacted(), error or "connection failed",
                    self.settings.reconnect_max_s)
