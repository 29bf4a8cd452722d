"""`har-agent run`: camera → preprocess → model → events → sinks, one frame at a time.

The loop below is the whole data flow; each stage lives in its own module (`har_device.sources`,
`core.preprocess`, `agent.runners`, `agent.events`, `agent.sinks`, `agent.latency`). It runs until
the stream ends, the frame limit is reached or `stop` is set (SIGTERM/SIGINT), and always ends
open events and flushes logs.
Event sinks receive every event message; observers (MQTT state and stats, the systemd watchdog)
see every processed frame, so they can report liveness without reaching into the loop.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from har_device.agent.events import EventEngine
from har_device.agent.latency import FrameTiming, LatencyLog, RollingLatency
from har_device.agent.model import DeviceModel, ModelRequest, load_device_model
from har_device.agent.preview import Preview
from har_device.agent.sinks import EventSink, JsonLinesSink
from har_device.config.schema import AgentConfig
from har_device.core.preprocess import FrameSampler
from har_device.sources import Frame, Source, open_source

# The preview's frame rate when the bundle does not say at which rate the camera is sampled.
PREVIEW_FPS = 8.0


@dataclass
class RunSummary:
    frames_read: int = 0
    frames_processed: int = 0
    decisions: int = 0
    dropped: int = 0
    reconnects: int = 0
    seconds: float = 0.0
    events: list[dict[str, Any]] = field(default_factory=list)
    latency: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.frames_processed / self.seconds if self.seconds > 0 else 0.0


def open_model(config: AgentConfig) -> DeviceModel:
    assert config.bundle is not None
    return load_device_model(ModelRequest(config.bundle, config.mode, config.stride, config.threads,
                                   config.labels, config.frames, config.sample_fps,
                                   config.min_person_height))


def file_sinks(config: AgentConfig) -> list[EventSink]:
    sinks: list[EventSink] = []
    if config.events_log:
        sinks.append(JsonLinesSink(config.events_log))
    return sinks


@dataclass(frozen=True)
class AgentStatus:
    """What observers (MQTT state and stats, the systemd watchdog) are told after every frame and
    at the end: a read-only view of the run, so that none of them reaches into the loop."""

    device_id: str
    model_sha256: str
    timing: FrameTiming | None
    frames_processed: int
    uptime_s: float
    latency: RollingLatency
    top_label: str | None
    top_score: float
    person_down: bool
    open_labels: tuple[str, ...]
    dropped: int
    source_reconnects: int
    last_event: dict[str, Any] | None
    person: bool | None = None


class FrameObserver(Protocol):
    def frame_done(self, status: AgentStatus) -> None: ...

    def close(self, status: AgentStatus) -> None: ...


class Agent:
    """One model, one source, the event engine, the sinks and observers, wired for `run`."""

    def __init__(self, config: AgentConfig, extra_sinks: list[EventSink] | None = None,
                 observers: list[FrameObserver] | None = None):
        self.config = config
        self.model = open_model(config)
        self.engine = EventEngine(self.model.labels, config.event_settings(self.model.events),
                                  config.device_id, self.model.model_sha256)
        self.sinks = file_sinks(config) + list(extra_sinks or [])
        self.observers = list(observers or [])
        self.source: Source | None = None
        self.started_mono = time.monotonic()
        self.rolling = RollingLatency()
        self.summary = RunSummary()
        self._latency_log = (LatencyLog(config.latency_log, int(config.latency_log_max_mb * (1 << 20)))
                             if config.latency_log else None)
        self.preview = (Preview(config.preview, self.model.sample_fps or PREVIEW_FPS)
                        if config.preview else None)
        self.person: bool | None = None

    def uptime_s(self) -> float:
        return time.monotonic() - self.started_mono

    def status(self, timing: FrameTiming | None = None) -> AgentStatus:
        engine, source, summary = self.engine, self.source, self.summary
        return AgentStatus(
            device_id=self.config.device_id, model_sha256=self.model.model_sha256, timing=timing,
            frames_processed=summary.frames_processed, uptime_s=self.uptime_s(),
            latency=self.rolling, top_label=engine.top_label, top_score=engine.top_score,
            person_down=engine.person_down, open_labels=tuple(engine.open_labels),
            dropped=source.dropped if source else 0,
            source_reconnects=source.reconnects if source else 0,
            last_event=summary.events[-1] if summary.events else None, person=self.person)

    def open_source(self) -> Source:
        """Open the configured source (a missing camera is BadInput here, before any output)."""
        self.source = open_source(self.config.source, self.config.loop,
                                  self.config.stall_timeout_s)
        return self.source

    def run(self, stop: threading.Event) -> RunSummary:
        source = self.source or self.open_source()
        sampler = FrameSampler(self.model.sample_fps)
        self.started_mono = started = time.monotonic()
        last: Frame | None = None
        try:
            for frame in source.frames(stop):
                self.summary.frames_read += 1
                if sampler.keep(frame.stream_s):
                    self._process(frame, source)
                    last = frame
                if self._limit_reached():
                    break
        finally:
            self._publish(self.engine.close(last, "stream ended" if not stop.is_set() else "shutdown"))
            self.summary.seconds = time.monotonic() - started
            self.summary.dropped, self.summary.reconnects = source.dropped, source.reconnects
            self.summary.latency = self.rolling.summary()
            source.close()
            self._close_outputs()
        return self.summary

    def _process(self, frame: Frame, source: Source) -> None:
        began = time.perf_counter()
        tensor = self.model.mapper(frame.image)
        preprocessed = time.perf_counter()
        scores = self.model.runner.push(tensor)
        inferred = time.perf_counter()
        if scores.probabilities is not None:
            self.summary.decisions += 1
            self._publish(self.engine.update(scores.probabilities, frame, scores.down))
        finished = time.perf_counter()
        pose = scores.pose
        self.person = None if pose is None else pose.person
        if self.preview is not None:
            self.preview.write(frame.image, pose, self.engine.top_label, self.engine.top_score)
        pose_ms = pose.total_ms if pose else 0.0
        self._record(FrameTiming(
            frame=frame.index, capture_time=round(frame.captured_wall, 3),
            preprocess_ms=(preprocessed - began) * 1000.0,
            inference_ms=scores.inference_ms,
            postprocess_ms=(finished - inferred) * 1000.0,
            total_ms=(time.monotonic() - frame.captured_mono) * 1000.0,
            label=self.engine.top_label or "", score=round(self.engine.top_score, 4),
            dropped=source.dropped, pose_ms=pose_ms,
            detector_ms=pose.detector_ms if pose else 0.0,
            landmark_ms=pose.landmark_ms if pose else 0.0,
            person=None if pose is None else int(pose.person)))

    def _record(self, timing: FrameTiming) -> None:
        self.summary.frames_processed += 1
        self.rolling.add(timing)
        if self._latency_log:
            self._latency_log.write(timing)
        if self.observers:
            status = self.status(timing)
            for observer in self.observers:
                observer.frame_done(status)

    def _publish(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.summary.events.append(message)
            for sink in self.sinks:
                sink.publish(message)

    def _limit_reached(self) -> bool:
        limit = self.config.max_frames
        return limit is not None and self.summary.frames_processed >= limit

    def _close_outputs(self) -> None:
        status = self.status()
        for observer in self.observers:
            observer.close(status)
        for sink in self.sinks:
            sink.close()
        if self._latency_log:
            self._latency_log.close()
        if self.preview:
            self.preview.close()
