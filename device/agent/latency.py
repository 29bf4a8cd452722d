"""The per-frame latency log and the rolling percentiles behind stats and the exit summary.

One CSV row per frame that went through the model, so a slow frame can be traced to its stage.
The file is rotated by size (`latency.csv` → `latency.csv.1` …) because the agent runs for months
on an SD card. Percentiles come from a bounded window of recent frames, so memory stays flat.
"""
from __future__ import annotations

import csv
import os
from collections import deque
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import IO

import numpy as np


@dataclass(frozen=True)
class FrameTiming:
    frame: int
    capture_time: float
    preprocess_ms: float
    inference_ms: float
    postprocess_ms: float
    total_ms: float
    label: str
    score: float
    dropped: int
    pose_ms: float = 0.0
    detector_ms: float = 0.0
    landmark_ms: float = 0.0
    person: int | None = None


COLUMNS = [f.name for f in fields(FrameTiming)]
STAGES = ("preprocess_ms", "pose_ms", "inference_ms", "postprocess_ms", "total_ms")


class LatencyLog:
    """Appends FrameTiming rows to a CSV, rotating it when it passes `max_bytes`."""

    def __init__(self, path: Path, max_bytes: int = 10 << 20, backups: int = 3):
        self.path, self.max_bytes, self.backups = path, max_bytes, backups
        self._handle: IO[str] | None = None
        self._writer: csv.writer | None = None  # type: ignore[valid-type]
        self._open()

    def _open(self) -> None:
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        self._handle = open(self.path, "a", newline="", buffering=1 << 16)
        self._writer = csv.writer(self._handle)
        if fresh:
            self._writer.writerow(COLUMNS)

    def write(self, timing: FrameTiming) -> None:
        assert self._writer is not None and self._handle is not None
        row = astuple(timing)
        self._writer.writerow([f"{value:.3f}" if isinstance(value, float) else value
                               for value in row])
        if self._handle.tell() >= self.max_bytes:
            self._rotate()

    def _rotate(self) -> None:
        self.close()
        for number in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{number}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{number + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        self._open()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class RollingLatency:
    """The last `window` frames' stage timings, for p50/p95/p99 without unbounded memory."""

    def __init__(self, window: int = 2000):
        self._values = {stage: deque(maxlen=window) for stage in STAGES}
        self.frames = 0

    def add(self, timing: FrameTiming) -> None:
        self.frames += 1
        for stage in STAGES:
            self._values[stage].append(getattr(timing, stage))

    def percentiles(self, stage: str, points: tuple[int, ...] = (50, 95, 99)) -> dict[str, float]:
        values = self._values[stage]
        if not values:
            return {f"p{point}": 0.0 for point in points}
        results = np.percentile(np.fromiter(values, float), points)
        return {f"p{point}": round(float(value), 3) for point, value in zip(points, results)}

    def mean(self, stage: str) -> float:
        values = self._values[stage]
        return round(float(np.mean(np.fromiter(values, float))), 4) if values else 0.0

    def summary(self) -> dict[str, dict[str, float]]:
        """Per-stage percentiles and mean; the pose stage only where it ran (mode `pose`)."""
        return {stage: {**self.percentiles(stage), "mean": self.mean(stage)} for stage in STAGES
                if stage != "pose_ms" or any(self._values[stage])}
