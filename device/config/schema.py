"""The agent's configuration: one YAML file, validated against a schema, overridable field by field.

Unknown keys are rejected (a typo such as `treshold` must not silently fall back to a default) and
an error names the field and the line of the file it came from. The command line overrides any
field; the bundle supplies the per-label event defaults that `events:` refines.
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from har_device.config.mqtt import MqttSettings
from har_device.core.bundle import EventDefaults
from har_device.core.errors import BadInput
from har_device.core.pose_models import MIN_PERSON_HEIGHT
from har_device.core.strict import Strict


class EventOverride(Strict):
    """Per-label changes to the bundle's event defaults; unset fields keep the bundle's value."""

    alert: bool | None = Field(None, description="the label raises events")
    enter: float | None = Field(None, gt=0.0, le=1.0, description="smoothed score that starts "
                                                                   "an event")
    exit: float | None = Field(None, ge=0.0, lt=1.0, description="smoothed score that ends it")
    smoothing: int | None = Field(None, ge=1, description="outputs averaged per label")
    min_duration_s: float | None = Field(None, ge=0.0, description="above `enter` this long "
                                                                   "before the event starts")
    cooldown_s: float | None = Field(None, ge=0.0, description="quiet time after an event")
    latch: bool | None = Field(None, description="end only when another action is seen")
    escalate_after_s: float | None = Field(None, gt=0.0, description="one `update` after this "
                                                                     "long")
    confirm_down: bool | None = Field(None, description="start only once the pose stage sees the "
                                                        "person down (mode pose)")

    def apply(self, base: EventDefaults) -> EventDefaults:
        changes = self.model_dump(exclude_none=True)
        return EventDefaults.model_validate({**base.model_dump(), **changes})


class AgentConfig(Strict):
    """Everything `har-agent run` needs; the YAML file and the command line fill the same fields."""

    bundle: Path | None = Field(None, description="bundle directory or bare .tflite")
    source: str = Field("0", description="camera index, /dev/videoN, file, URL, pipeline, "
                                         "csi:N, picamera2, synthetic:SCRIPT")
    device_id: str = Field(default_factory=lambda: socket.gethostname().split(".")[0],
                           pattern=r"^[A-Za-z0-9_-]+$",
                           description="names the camera in events and MQTT topics (default: "
                                       "the hostname)")
    mode: Literal["clip", "streaming", "frame"] | None = Field(
        None, description="runner mode (default: the bundle's)")
    stride: int = Field(1, ge=1, description="frames between two decisions")
    threads: int | None = Field(None, ge=1, le=64, description="inference threads (default: "
                                                                  "LiteRT's choice)")
    labels: str | None = Field(None, description="for a bare .tflite: file or comma list")
    frames: int | None = Field(None, ge=1, description="for a bare .tflite: T")
    sample_fps: float | None = Field(None, gt=0, description="override the bundle's rate")
    min_person_height: float = Field(MIN_PERSON_HEIGHT, ge=0, le=1, description=(
        "pose bundles: a person smaller than this fraction of the frame's shorter side is not "
        "judged (BlazePose's range: within about 4 m)"))
    loop: bool = Field(False, description="replay a file or synthetic scene forever")
    stall_timeout_s: float = Field(5.0, gt=0, description="seconds without a frame before a "
                                                          "live source is reopened")
    max_frames: int | None = Field(None, ge=1, description="stop after this many frames")
    events_log: Path | None = Field(None, description="append every event as a JSON line")
    latency_log: Path | None = Field(None, description="per-frame latency CSV")
    preview: Path | None = Field(None, description="write an mp4 of what the agent saw: the "
                                 "skeleton (pose bundles), the top label and its score")
    latency_log_max_mb: float = Field(10.0, gt=0, description="rotate the latency CSV at "
                                                               "this size (3 backups)")
    print_events: bool = Field(False, description="print events on the terminal")
    events: dict[str, EventOverride] = Field(default_factory=dict,
                                             description="per-label event settings")
    mqtt: MqttSettings | None = Field(None, description="publish events, state and stats")

    @field_validator("source", mode="before")
    @classmethod
    def _camera_index_as_text(cls, value: Any) -> Any:
        """`source: 0` in YAML is an integer; it means camera 0."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _needs_model(self) -> "AgentConfig":
        if self.bundle is None:
            raise ValueError("no model: give --bundle or `bundle:` in the config")
        return self

    def event_settings(self, defaults: dict[str, EventDefaults]) -> dict[str, EventDefaults]:
        unknown = sorted(set(self.events) - set(defaults))
        if unknown:
            raise BadInput(f"config events: unknown label(s) {unknown}; the model's labels are "
                           f"{sorted(defaults)}")
        try:
            return {label: self.events[label].apply(base) if label in self.events else base
                    for label, base in defaults.items()}
        except ValidationError as error:
            raise BadInput(f"config events: {error.errors()[0]['msg']}") from None


def read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    """The file's mapping and its node tree (for line numbers in error messages)."""
    try:
        text = path.read_text()
    except OSError as error:
        raise BadInput(f"{path}: cannot read the config ({error.strerror})") from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise BadInput(f"{where}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a mapping of fields at the top level")
    return data, node


def _line_of(node: yaml.Node | None, location: tuple) -> int | None:
    line = None
    for key in location:
        if not isinstance(node, yaml.MappingNode):
            break
        match = next(((k, v) for k, v in node.value if k.value == str(key)), None)
        if match is None:
            break
        line = match[0].start_mark.line + 1
        node = match[1]
    return line


def load_config(path: Path | None, overrides: dict[str, Any]) -> AgentConfig:
    """File fields, then the command line's non-None values on top, validated together.

    A nested section given on both sides (`mqtt:` and `--broker`) is merged field by field.
    """
    data, node = read_yaml(path) if path else ({}, None)
    merged = dict(data)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            value = {**data[key], **value}
        if value is not None:
            merged[key] = value
    try:
        return AgentConfig.model_validate(merged)
    except ValidationError as error:
        first = error.errors()[0]
        location = first["loc"]
        field = ".".join(str(part) for part in location) or "(top level)"
        line = _line_of(node, location) if location and location[0] in data else None
        where = f"{path}:{line}: " if line else (f"{path}: " if path else "")
        raise BadInput(f"{where}field {field!r}: {first['msg']}") from None
