"""The `mqtt:` section of the agent config and the broker URL (the `run` options that fill it are
in `har_device.cli.mqtt_options`).

A broker is named by one URL, `mqtt://[user:pass@]host[:port]` or `mqtts://…` for TLS, because
that is what users copy from their broker's docs. Credentials may also come from the config or,
better for a service, from `HAR_MQTT_USERNAME` / `HAR_MQTT_PASSWORD` in the environment; they are
never printed: logs show the URL with the password replaced.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator

from har_device.core.strict import Strict

SCHEMES = {"mqtt": (1883, False), "mqtts": (8883, True)}
USERNAME_ENV, PASSWORD_ENV = "HAR_MQTT_USERNAME", "HAR_MQTT_PASSWORD"
_TOPIC_LEVELS = r"^[^#+/\s]+(/[^#+/\s]+)*$"


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    def redacted(self) -> str:
        """The URL as logs may show it: scheme, user, host and port, never the password."""
        user = f"{self.username}:***@" if self.password else (f"{self.username}@" if self.username
                                                              else "")
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def parse_broker_url(text: str) -> BrokerUrl:
    """`mqtt://[user:pass@]host[:port]` / `mqtts://…`; a ValueError says what was expected."""
    parts = urlsplit(text.strip())
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(f"expected mqtt://[user:pass@]host[:port] or mqtts://…, got {text!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"a broker URL has no path or query, got {text!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the port in {text!r} is not a number from 1 to 65535") from None
    default_port, tls = SCHEMES[parts.scheme]
    return BrokerUrl(parts.hostname, port or default_port, tls,
                     unquote(parts.username) if parts.username else None,
                     unquote(parts.password) if parts.password else None)


def default_state_dir() -> Path:
    """systemd's `StateDirectory=` (first entry) if we run as its service, else the XDG place."""
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "har-agent"


class MqttSettings(Strict):
    """Where and how the agent publishes; the defaults suit a Mosquitto on the local network."""

    broker: str = Field(description="mqtt://[user:pass@]host[:port] or mqtts://…")
    username: str | None = Field(None, description=f"if not in the URL (or ${USERNAME_ENV})")
    password: SecretStr | None = Field(None, description=f"if not in the URL (or ${PASSWORD_ENV}); "
                                                         "never logged")
    ca_file: Path | None = Field(None, description="CA certificate for mqtts (default: system CAs)")
    cert_file: Path | None = Field(None, description="client certificate for mqtts")
    key_file: Path | None = Field(None, description="client key, if not inside cert_file")
    protocol: Literal["3.1.1", "5"] = Field("3.1.1", description="MQTT version")
    keepalive_s: int = Field(30, ge=2, le=3600, description="the broker declares us offline "
                                                            "after 1.5x this without a packet")
    prefix: str = Field("har", pattern=_TOPIC_LEVELS,
                        description="first topic level: PREFIX/DEVICE_ID/events, state, stats, "
                                    "availability")
    stats_interval_s: float = Field(30.0, gt=0, description="seconds between stats messages")
    ha_discovery: bool = Field(False, description="announce the agent to Home Assistant")
    ha_prefix: str = Field("homeassistant", pattern=_TOPIC_LEVELS,
                           description="Home Assistant's discovery prefix")
    state_dir: Path | None = Field(None, description="where the outbox lives (default: "
                                                     "$STATE_DIRECTORY or "
                                                     "~/.local/state/har-agent)")
    outbox_max_rows: int = Field(10_000, ge=1, description="undelivered events kept at most; "
                                                           "the oldest go first")
    outbox_max_age_h: float = Field(168.0, gt=0, description="undelivered events older than this "
                                                             "are dropped")
    reconnect_max_s: int = Field(60, ge=1, description="longest wait between reconnect attempts")

    @field_validator("broker")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        parse_broker_url(value)
        return value

    @field_validator("protocol", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        """`protocol: 5` in YAML is a number."""
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        return str(value) if numeric else value

    @field_validator("ca_file", "cert_file", "key_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a readable file")
        return value

    def endpoint(self) -> BrokerUrl:
        return parse_broker_url(self.broker)

    def credentials(self) -> tuple[str | None, str | None]:
        """The URL's user and password first, then the config's, then the environment's."""
        url = self.endpoint()
        username = url.username or self.username or os.environ.get(USERNAME_ENV)
        secret = self.password.get_secret_value() if self.password else None
        password = url.password or secret or os.environ.get(PASSWORD_ENV)
        return username, password

    def outbox_path(self, device_id: str) -> Path:
        return (self.state_dir or default_state_dir()) / f"outbox-{device_id}.sqlite"


def mqtt_overrides(options: dict[str, Any]) -> dict[str, Any]:
    """Flat `mqtt_*` command-line values → the nested `mqtt:` section, other options untouched."""
    nested = {key.removeprefix("mqtt_"): value for key, value in options.items()
              if key.startswith("mqtt_") and value is not None}
    flat = {key: value for key, value in options.items() if not key.startswith("mqtt_")}
    return {**flat, "mqtt": nested} if nested else flat
