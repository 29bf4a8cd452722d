"""Where action events go besides MQTT: a JSON-lines file, and one readable line per event (which
the command line prints, `har_device.cli.console`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol


class EventSink(Protocol):
    def publish(self, event: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class JsonLinesSink:
    """One event per line, appended and flushed at once: a crash loses no event already decided."""

    def __init__(self, path: Path):
        self._handle = open(path, "a", encoding="utf-8")

    def publish(self, event: dict[str, Any]) -> None:
        self._handle.write(json.dumps(event, sort_keys=True) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def describe_event(event: dict[str, Any]) -> str:
    """One readable line: what happened, when in the stream, and how sure the model was."""
    when = f"{event['start_s']:7.2f}s" if event["type"] != "end" else f"{event['end_s']:7.2f}s"
    detail = (f"peak {event['peak_score']:.2f}, lasted {event['duration_s']:.1f} s"
              if event["type"] == "end" else f"score {event['score']:.2f}")
    reason = f" ({event['reason']})" if event.get("reason") else ""
    return (f"{when}  {event['type'].upper():6} {event['label']:<8} {detail}{reason}  "
            f"[{event['event_id'][:8]}, {event['latency_ms']:.0f} ms]")
