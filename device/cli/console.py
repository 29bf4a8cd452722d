"""`--print-events`: every event as one line on the terminal, falls in red."""
from __future__ import annotations

from typing import Any

import click

from har_device.agent.sinks import describe_event


class ConsoleSink:
    def publish(self, event: dict[str, Any]) -> None:
        colour = "red" if event["label"] == "fall" and event["type"] != "end" else None
        click.secho(describe_event(event), fg=colour)

    def close(self) -> None:
        """The terminal needs no closing."""
