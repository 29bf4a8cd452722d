"""The MQTT options of `har-agent run`; `har_device.config.mqtt.mqtt_overrides` nests their values
into the config's `mqtt:` section."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

_RUN_OPTIONS = [
    click.option("--broker", "mqtt_broker",
                 help="publish to this broker: mqtt://[user:pass@]host[:port] or mqtts://…"),
    click.option("--mqtt-protocol", "mqtt_protocol", type=click.Choice(["3.1.1", "5"]),
                 help="MQTT version (default 3.1.1)"),
    click.option("--keepalive", "mqtt_keepalive_s", type=int,
                 help="MQTT keepalive in seconds (default 30)"),
    click.option("--ca-file", "mqtt_ca_file", type=click.Path(path_type=Path),
                 help="CA certificate for mqtts://"),
    click.option("--cert-file", "mqtt_cert_file", type=click.Path(path_type=Path),
                 help="client certificate for mqtts://"),
    click.option("--key-file", "mqtt_key_file", type=click.Path(path_type=Path),
                 help="client key for mqtts://"),
    click.option("--topic-prefix", "mqtt_prefix", help="first topic level (default har)"),
    click.option("--stats-interval", "mqtt_stats_interval_s", type=float,
                 help="seconds between stats messages (default 30)"),
    click.option("--ha-discovery/--no-ha-discovery", "mqtt_ha_discovery", default=None,
                 help="announce the agent to Home Assistant"),
    click.option("--state-dir", "mqtt_state_dir", type=click.Path(path_type=Path),
                 help="directory of the MQTT outbox (default $STATE_DIRECTORY or "
                      "~/.local/state/har-agent)"),
]


def mqtt_run_options(command: Callable) -> Callable:
    """Adds the MQTT options to `har-agent run`; `mqtt_overrides` nests their values."""
    for option in reversed(_RUN_OPTIONS):
        command = option(command)
    return command
