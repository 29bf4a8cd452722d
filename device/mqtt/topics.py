"""The MQTT topic layout: `<prefix>/<device_id>/availability|events|state|stats`.

One place names the topics so the publisher, the `alerts` subscriber, Home Assistant discovery and
the README cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass

ONLINE, OFFLINE = "online", "offline"


@dataclass(frozen=True)
class Topics:
    prefix: str
    device_id: str

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.device_id}"

    @property
    def availability(self) -> str:
        """Retained `online`; retained `offline` as the last will and on a clean shutdown."""
        return f"{self.base}/availability"

    @property
    def events(self) -> str:
        """Action events (start, update, end), QoS 1, JSON, through the outbox."""
        return f"{self.base}/events"

    @property
    def state(self) -> str:
        """Retained current top action and the "person down" state, sent when they change."""
        return f"{self.base}/state"

    @property
    def stats(self) -> str:
        """Throughput, latency percentiles, drops, reconnects, outbox depth, every N seconds."""
        return f"{self.base}/stats"


def events_filter(prefix: str, device_id: str | None) -> str:
    """The subscription for one device's events, or every device's (`+`) when none is named."""
    return f"{prefix}/{device_id or '+'}/events"
