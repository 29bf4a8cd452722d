"""`har-agent alerts`: subscribe to the agents' events and print them, for people and scripts.

One readable line per event (the same wording as `run --print-events`, prefixed with the wall
time and the device), or the JSON exactly as published. `--count` and `--timeout` end it, so a
script or the demo can wait for "the next fall" and know whether it came.
"""
from __future__ import annotations

import json
import logging
import queue
import signal
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import paho.mqtt.client as paho
from pydantic import ValidationError

from har_device.agent.sinks import describe_event
from har_device.config.mqtt import MqttSettings
from har_device.core.errors import BadInput, WorkFailed
from har_device.mqtt.client import BrokerLink
from har_device.mqtt.topics import events_filter


def alert_line(event: dict[str, Any]) -> str:
    """`18:42:31  hall  START  fall …`: when the agent decided (local time), where, and
    `describe_event`'s account of what happened."""
    clock = datetime.fromtimestamp(event["queued_at"]).strftime("%H:%M:%S")
    return f"{clock}  {event['device_id']}  {describe_event(event)}"


@click.command("alerts")
@click.option("--broker", required=True, help="mqtt://[user:pass@]host[:port] or mqtts://…")
@click.option("--device", "device_id", help="only this device's events (default: every device)")
@click.option("--prefix", default="har", show_default=True, help="first topic level")
@click.option("--json", "as_json", is_flag=True, help="print each event's JSON as published")
@click.option("--count", type=click.IntRange(min=1), help="exit after this many events")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              help="exit after this many seconds (exit 1 if --count events did not all arrive)")
@click.option("--ca-file", type=click.Path(path_type=Path), help="CA certificate for mqtts://")
@click.option("--cert-file", type=click.Path(path_type=Path), help="client certificate")
@click.option("--key-file", type=click.Path(path_type=Path), help="client key")
@click.option("--mqtt-protocol", "protocol", type=click.Choice(["3.1.1", "5"]), default="3.1.1")
def alerts(broker: str, device_id: str | None, prefix: str, as_json: bool, count: int | None,
           timeout: float | None, **connection: Any) -> None:
    """Subscribe to action events and print one line each (or JSON)."""
    logging.basicConfig(level=logging.WARNING, format="har-agent alerts: %(message)s")
    settings = _settings(broker, prefix, connection)
    incoming: queue.SimpleQueue[paho.MQTTMessage] = queue.SimpleQueue()
    link = BrokerLink(settings, f"har-alerts-{uuid.uuid4().hex[:8]}")
    topic = events_filter(prefix, device_id)
    link.on_up.append(lambda: link.client.subscribe(topic, qos=1))
    link.client.on_message = lambda client, userdata, message: incoming.put(message)
    link.client.on_subscribe = lambda *_: click.echo(
        f"har-agent alerts: listening on {topic} at {link.url.redacted()}", err=True)
    stop = _stop_on_signals()
    link.start()
    try:
        shown = _print_events(incoming, stop, as_json, count, timeout)
    finally:
        link.stop()
    if count and shown < count and not stop.is_set():
        raise WorkFailed(f"{shown} of {count} event(s) arrived on {topic} within {timeout:g} s")


def _settings(broker: str, prefix: str, connection: dict[str, Any]) -> MqttSettings:
    try:
        given = {key: value for key, value in connection.items() if value is not None}
        return MqttSettings(broker=broker, prefix=prefix, **given)
    except ValidationError as error:
        first = error.errors()[0]
        option = "--" + str(first["loc"][0]).replace("_", "-") if first["loc"] else "options"
        raise BadInput(f"{option}: {first['msg']}") from None


def _stop_on_signals() -> threading.Event:
    """Ctrl-C is how a person ends this command: a normal exit, not an error."""
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    return stop


def _print_events(incoming: queue.SimpleQueue, stop: threading.Event, as_json: bool,
                  count: int | None, timeout: float | None) -> int:
    deadline = time.monotonic() + timeout if timeout else None
    shown = 0
    while not stop.is_set() and (count is None or shown < count):
        wait = min(0.2, deadline - time.monotonic()) if deadline else 0.2
        if wait <= 0:
            break
        try:
            message = incoming.get(timeout=wait)
        except queue.Empty:
            continue
        line = _format(message, as_json)
        if line:
            click.echo(line)
            shown += 1
    return shown


def _format(message: paho.MQTTMessage, as_json: bool) -> str | None:
    try:
        event = json.loads(message.payload)
        return message.payload.decode() if as_json else alert_line(event)
    except (ValueError, KeyError, TypeError) as error:
        click.echo(f"har-agent alerts: ignored a message on {message.topic} that is not an "
                   f"event ({type(error).__name__}: {error})", err=True)
        return None
