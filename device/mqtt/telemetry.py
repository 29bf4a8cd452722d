"""What the agent reports about itself besides events: the `state` and `stats` payloads.

`state` answers "what is happening now" (retained, so a dashboard that connects later sees it);
`stats` answers "is the device healthy": throughput, latency percentiles, drops, reconnects, the
outbox backlog, CPU temperature (a Pi that throttles gets slow long before it fails), uptime and
which model runs.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from har_device.agent.events import iso_time

if TYPE_CHECKING:
    from har_device.agent.loop import AgentStatus

THERMAL_ROOT = Path("/sys/class/thermal")


def cpu_temperature_c(root: Path = THERMAL_ROOT) -> float | None:
    """The hottest thermal zone in °C where the kernel exposes one (Pi, Jetson), else None."""
    readings = []
    for path in root.glob("thermal_zone*/temp"):
        try:
            readings.append(int(path.read_text().strip()) / 1000.0)
        except (OSError, ValueError):
            continue
    return round(max(readings), 1) if readings else None


def state_key(status: AgentStatus) -> tuple:
    """What must change for a new `state` message: not the score, which moves every frame."""
    return status.top_label, status.person_down, status.open_labels, status.person


def state_payload(status: AgentStatus, since_wall: float) -> dict[str, Any]:
    """`top_label` is `no_person` while a pose bundle's stage sees nobody (no head runs then);
    `person` is null for pixel bundles, which cannot tell."""
    nobody = status.person is False
    return {"top_label": "no_person" if nobody else status.top_label,
            "score": 0.0 if nobody else round(status.top_score, 4),
            "person": status.person, "person_down": status.person_down,
            "open_events": list(status.open_labels), "since": iso_time(since_wall)}


def stats_payload(status: AgentStatus, fps: float, broker_reconnects: int, outbox_depth: int,
                  outbox_dropped: int) -> dict[str, Any]:
    return {
        "device_id": status.device_id,
        "time": iso_time(time.time()),
        "fps": round(fps, 2),
        "inference_ms": status.latency.percentiles("inference_ms"),
        "end_to_end_ms": status.latency.percentiles("total_ms"),
        "frames": status.frames_processed,
        "dropped_frames": status.dropped,
        "source_reconnects": status.source_reconnects,
        "broker_reconnects": broker_reconnects,
        "outbox_depth": outbox_depth,
        "outbox_dropped": outbox_dropped,
        "cpu_temp_c": cpu_temperature_c(),
        "uptime_s": round(status.uptime_s, 1),
        "model_sha256": status.model_sha256,
    }
