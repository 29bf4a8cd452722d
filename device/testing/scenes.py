"""The agent on a scripted `har-synth` scene, scored against the scene's ground truth.

One definition of "the fall was detected" serves the acceptance test (a few scenes, every fall
must be caught) and `benchmarks/fall_scenes.py` (many scenes, counted): a fall segment is caught
when exactly one `start` of its label lies between the segment's start and the moment the model's
window has seen it (the window length, or the whole segment if shorter) plus `delay_s`; every other
start of that label is a false alarm.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from har_device.agent.loop import Agent
from har_device.config.schema import load_config
from har_device.synth import parse_script, timeline

DECISION_DELAY_S = 1.0


@dataclass(frozen=True)
class SceneScore:
    """How the `start` events of one label compare with the segments of that label."""

    caught: int
    missed: list[dict[str, Any]] = field(default_factory=list)
    false_starts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def perfect(self) -> bool:
        return not self.missed and not self.false_starts


def scene_events(bundle: Path, script: str, seed: int, mode: str | None, fps: float = 8.0,
                 size: int = 112) -> list[dict[str, Any]]:
    """Every event message the agent sends for the rendered scene (no sinks, no broker); mode
    None: the bundle's own."""
    config = load_config(None, {"bundle": bundle, "mode": mode, "device_id": "scene",
                                "source": f"synthetic:{script};fps={fps:g};size={size};seed={seed}"})
    return Agent(config).run(threading.Event()).events


def score_scene(events: list[dict[str, Any]], script: str, label: str, window_s: float,
                delay_s: float = DECISION_DELAY_S) -> SceneScore:
    """Match `label`'s start events to `label`'s segments of `script` (see the module doc)."""
    segments = [s for s in timeline(parse_script(script)) if s["label"] == label]
    starts = [e for e in events if e["label"] == label and e["type"] == "start"]
    matched: list[dict[str, Any]] = []
    missed = []
    for segment in segments:
        seen_by = segment["start_s"] + min(window_s, segment["end_s"] - segment["start_s"])
        timely = [e for e in starts if segment["start_s"] <= e["start_s"] <= seen_by + delay_s]
        if len(timely) == 1:
            matched += timely
        else:
            missed.append(segment)
    false_starts = [e for e in starts if not any(e is m for m in matched)]
    return SceneScore(len(segments) - len(missed), missed, false_starts)
