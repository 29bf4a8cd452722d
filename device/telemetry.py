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

from har_device.events import EventEngine, iso_time

if TYPE_CHECKING:
    from har_device.agent import Agent

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


def state_key(engine: EventEngine) -> tuple:
    """What must change for a new `state` message: not the score, which moves every frame."""
    return engine.top_label, engine.person_down, tuple(engine.open_labels)


def state_payload(engine: EventEngine, since_wall: float) -> dict[str, Any]:
    return {"top_label": engine.top_label, "score": round(engine.top_score, 4),
            "person_down": engine.person_down, "open_events": engine.open_labels,
            "since": iso_time(since_wall)}


def stats_payload(agent: "Agent", fps: float, broker_reconnects: int, outbox_depth: int,
                  outbox_dropped: int) -> dict[str, Any]:
    source = agent.source
    return {
        "device_id": agent.config.device_id,
        "time": iso_time(time.time()),
        "fps": round(fps, 2),
        "inference_ms": agent.rolling.percentiles("inference_ms"),
        "end_to_end_ms": agent.rolling.percentiles("total_ms"),
        "frames": agent.summary.frames_processed,
        "dropped_frames": source.dropped if source else 0,
        "source_reconnects": source.reconnects if source else 0,
        "broker_reconnects": broker_reconnects,
        "outbox_depth": outbox_depth,
        "outbox_dropped": outbox_dropped,
        "cpu_temp_c": cpu_temperature_c(),
        "uptime_s": round(agent.uptime_s(), 1),
        "model_sha256": agent.model.model_sha256,
    }
