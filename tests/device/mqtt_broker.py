"""MQTT test helpers: a private broker with persistent sessions, and a recording subscriber.

The broker is the project's `LocalBroker` (a loopback port, never the system broker); here it also
keeps persistent sessions across `stop()`/`start()`, so a subscriber misses nothing while the
agent's broker is "down". `tls_files` makes a CA, a server and a client certificate with the
openssl command-line tool.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from har_device.testing.broker import LocalBroker

HAR_AGENT = str(Path(sys.executable).with_name("har-agent"))


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `condition` until it is truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def private_broker(workdir: Path, settings: str = "", anonymous: bool = True) -> LocalBroker:
    """A LocalBroker (not started) that keeps sessions across a restart."""
    workdir.mkdir(parents=True, exist_ok=True)
    return LocalBroker(allow_anonymous=anonymous,
                       extra_config="persistence true\n"
                                    f"persistence_location {workdir}/\n{settings}")


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool
    at: float

    def json(self) -> Any:
        return json.loads(self.payload)


class Subscriber:
    """A paho client that subscribes (QoS 1) and records every message with its arrival time.

    `session` makes it a persistent session, so the broker keeps its messages across a broker
    restart and while it reconnects: the test then sees everything the agent delivered.
    """

    def __init__(self, port: int, topics: list[str], session: str | None = None):
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=session or "",
                                  clean_session=session is None)
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = lambda client, *_: [client.subscribe(t, qos=1) for t in topics]
        self.client.on_message = self._record
        self.client.connect_async("127.0.0.1", port, keepalive=5)
        self.client.loop_start()

    def _record(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Received(message.topic, message.payload, bool(message.retain),
                                          time.time()))

    def on(self, suffix: str) -> list[Received]:
        with self._lock:
            return [message for message in self.messages if message.topic.endswith(suffix)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    with private_broker(tmp_path / "broker") as running:
        yield running


@pytest.fixture
def subscribe(broker: LocalBroker) -> Iterator[Callable[..., Subscriber]]:
    """`subscribe(topics, session=None)` → a recording subscriber on the test's broker."""
    made: list[Subscriber] = []

    def make(topics: list[str], **options: Any) -> Subscriber:
        made.append(Subscriber(broker.port, topics, **options))
        return made[-1]

    yield make
    for subscriber in made:
        subscriber.close()


def tls_files(directory: Path) -> dict[str, Path]:
    """A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {name: directory / name for name in
             ("ca.key", "ca.crt", "server.key", "server.crt", "client.key", "client.crt")}

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=har-test-ca", "-keyout", "ca.key", "-out", "ca.crt")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name in ("server", "client"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", f"{name}.crt")
    return files
