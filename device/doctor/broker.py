"""The MQTT broker of the config answers, and accepts the config's credentials and TLS settings:
one real connection attempt with the same client set-up the agent uses."""
from __future__ import annotations

import os
import ssl
import threading
from typing import Any

from har_device.core.errors import BadInput
from har_device.doctor.report import Result, Status, Target
from har_device.mqtt.client import make_client

ANSWER_TIMEOUT_S = 5.0
CREDENTIALS_FIX = ("check username/password in the config or HAR_MQTT_USERNAME/HAR_MQTT_PASSWORD "
                   "against the broker's password_file")
REACH_FIX = ("check host and port, that the broker runs (systemctl status mosquitto) and listens "
             "on the network (`listener 1883` in mosquitto.conf)")
TLS_FIX = ("ca_file must be the CA that signed the broker's certificate, which must name the host "
           "in the URL; a client certificate needs cert_file and key_file")


def mqtt_broker(target: Target) -> Result:
    """Connect once, wait for the broker's CONNACK, disconnect."""
    settings = target.config.mqtt if target.config else None
    if settings is None:
        return Result("mqtt", Status.SKIP, "no mqtt broker in the config")
    url = settings.endpoint()
    name = url.redacted() + (" (TLS)" if url.tls else "")
    try:
        client = make_client(settings, f"har-doctor-{os.getpid()}")
    except BadInput as error:
        return Result("mqtt", Status.FAIL, str(error), TLS_FIX)
    answered = threading.Event()
    answer: dict[str, Any] = {}

    def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        answer["reason"] = reason
        answered.set()

    client.on_connect = on_connect
    try:
        client.connect(url.host, url.port, keepalive=10)
    except ssl.SSLError as error:
        return Result("mqtt", Status.FAIL, f"{name}: TLS failed ({error})", TLS_FIX)
    except OSError as error:
        return Result("mqtt", Status.FAIL, f"{name}: cannot reach it ({error})", REACH_FIX)
    client.loop_start()
    answered.wait(ANSWER_TIMEOUT_S)
    client.disconnect()
    client.loop_stop()
    reason = answer.get("reason")
    if reason is None:
        return Result("mqtt", Status.FAIL, f"{name}: no answer within {ANSWER_TIMEOUT_S:.0f} s "
                                           "(closed the connection?)", CREDENTIALS_FIX)
    if reason.is_failure:
        return Result("mqtt", Status.FAIL, f"{name}: refused ({reason})", CREDENTIALS_FIX)
    return Result("mqtt", Status.OK, f"{name}: connected")
