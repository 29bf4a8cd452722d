"""Open what the agent is told to run — a bundle directory or a bare `.tflite` — as one `DeviceModel`.

A bundle says everything itself (labels, T, sample rate, input mapping, event defaults) and its
files are checked against their sha256 first. A bare `.tflite` from `har-convert` says the same
through its embedded metadata; any other `.tflite` needs `--labels` (and `--frames` for a frame
model) and is assumed to take RGB pixels scaled by 1/255, the project's input convention.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from har_device.agent.pose_runner import PoseRunner
from har_device.agent.runners import ClipRunner, FrameRunner, Runner, StreamingRunner
from har_device.core.bundle import (
    BundleMetadata,
    BundleMode,
    EventDefaults,
    InputSpec,
    Mode,
    default_event_settings,
    load_bundle,
    read_embedded_metadata,
    sha256_file,
)
from har_device.core.errors import BadInput
from har_device.core.litert import TFLiteModel
from har_device.core.pose_models import MIN_PERSON_HEIGHT
from har_device.core.preprocess import InputMapper
from har_device.pose.tracker import PoseStage


@dataclass
class DeviceModel:
    name: str
    labels: list[str]
    mode: BundleMode
    frames: int
    sample_fps: float | None
    runner: Runner
    mapper: Callable[[np.ndarray], np.ndarray]
    model_sha256: str
    events: dict[str, EventDefaults] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelRequest:
    """What the command line and config ask for; None means "as the bundle says"."""

    path: Path
    mode: Mode | None = None
    stride: int = 1
    threads: int | None = None
    labels: str | None = None
    frames: int | None = None
    sample_fps: float | None = None
    min_person_height: float = MIN_PERSON_HEIGHT


def load_device_model(request: ModelRequest) -> DeviceModel:
    if request.path.is_dir():
        return _from_bundle(request)
    if request.path.suffix == ".tflite":
        return _from_tflite(request)
    raise BadInput(f"{request.path}: expected a bundle directory or a .tflite file")


def _from_bundle(request: ModelRequest) -> DeviceModel:
    meta = load_bundle(request.path)
    if meta.mode == "pose":
        return _pose_bundle(request, meta)
    mode = request.mode or meta.mode
    runner = _bundle_runner(meta, request, mode)
    _check_frame_shape(runner, meta)
    clip_file = meta.file_for("clip") or meta.file_for("frame")
    return DeviceModel(
        name=meta.name, labels=meta.labels, mode=mode, frames=meta.frames,
        sample_fps=request.sample_fps or meta.sample_fps, runner=runner,
        mapper=_mapper(runner, meta.input.height, meta.input.width, meta.input.colour,
                       meta.input.scale, meta.input.offset),
        model_sha256=clip_file[1].sha256 if clip_file else "",
        events={**default_event_settings(meta.labels), **meta.events})


def _pose_bundle(request: ModelRequest, meta: BundleMetadata) -> DeviceModel:
    """Source -> the pose stage (the bundle's own BlazePose files) -> T keypoint frames at the
    bundle's sample rate -> the head; the mapper hands the camera frame through untouched."""
    if request.mode not in (None, "pose"):
        raise BadInput(f"{request.path}: a pose bundle runs in mode 'pose', not {request.mode!r}")
    if meta.sample_fps is None and request.sample_fps is None:
        raise BadInput(f"{request.path}: a pose bundle needs the rate its head was trained at "
                       "(sample_fps); pass --sample-fps")
    fps = request.sample_fps or meta.sample_fps
    name, head_file = meta.file_for("clip")  # type: ignore[misc]
    runner = PoseRunner(PoseStage.load(request.path, request.threads),
                        TFLiteModel(request.path / name, request.threads), meta.frames, fps,
                        request.stride, request.min_person_height)
    return DeviceModel(
        name=meta.name, labels=meta.labels, mode="pose", frames=meta.frames, sample_fps=fps,
        runner=runner, mapper=_unchanged, model_sha256=head_file.sha256,
        events={**default_event_settings(meta.labels), **meta.events})


def _unchanged(image: np.ndarray) -> np.ndarray:
    return image


def _bundle_runner(meta: BundleMetadata, request: ModelRequest, mode: Mode) -> Runner:
    def model(role: str) -> TFLiteModel:
        entry = meta.file_for(role)  # type: ignore[arg-type]
        if entry is None:
            raise BadInput(f"{request.path}: mode {mode!r} needs a {role!r} model, the bundle has "
                           f"{sorted(f.role for f in meta.files.values())}")
        return TFLiteModel(request.path / entry[0], request.threads)

    if mode == "streaming":
        return StreamingRunner(model("frame"), model("head"), meta.frames, request.stride)
    if mode == "frame" or meta.mode == "frame":
        return FrameRunner(model("clip"), meta.frames, request.stride)
    return ClipRunner(model("clip"), meta.frames, request.stride)


def _check_frame_shape(runner: Runner, meta: BundleMetadata) -> None:
    expected = (meta.input.height, meta.input.width, meta.input.channels)
    if tuple(runner.input.shape[-3:]) != expected:
        raise BadInput(f"model input {list(runner.input.shape)} does not take "
                       f"{meta.input.height}x{meta.input.width}x{meta.input.channels} frames "
                       "as har_model.json says")


def _from_tflite(request: ModelRequest) -> DeviceModel:
    model = TFLiteModel(request.path, request.threads)
    shape = model.input.shape
    if len(shape) not in (4, 5) or shape[0] != 1 or shape[-1] != 3:
        raise BadInput(f"{request.path}: input shape {list(shape)} is neither a clip "
                       "(1, T, H, W, 3) nor a frame (1, H, W, 3)")
    embedded = read_embedded_metadata(request.path) or {}
    labels = _labels(request) if request.labels or not embedded else embedded["labels"]
    if model.output.shape[-1] != len(labels):
        raise BadInput(f"{request.path}: the model has {model.output.shape[-1]} outputs but "
                       f"--labels gives {len(labels)} labels")
    is_clip = len(shape) == 5
    if is_clip and request.frames not in (None, shape[1]):
        raise BadInput(f"{request.path}: the model takes T={shape[1]} frames, not --frames "
                       f"{request.frames}")
    frames = shape[1] if is_clip else (request.frames or embedded.get("frames") or 1)
    runner: Runner = (ClipRunner(model, frames, request.stride) if is_clip
                      else FrameRunner(model, frames, request.stride))
    spec = (InputSpec.model_validate(embedded["input"]) if "input" in embedded
            else InputSpec(height=shape[-3], width=shape[-2]))
    events = {**default_event_settings(labels), **{
        label: EventDefaults.model_validate(value)
        for label, value in embedded.get("events", {}).items()}}
    return DeviceModel(
        name=embedded.get("name", request.path.stem), labels=labels,
        mode="clip" if is_clip else "frame", frames=frames,
        sample_fps=request.sample_fps or embedded.get("sample_fps"), runner=runner,
        mapper=_mapper(runner, spec.height, spec.width, spec.colour, spec.scale, spec.offset),
        model_sha256=sha256_file(request.path), events=events)


def _labels(request: ModelRequest) -> list[str]:
    if not request.labels:
        raise BadInput(f"{request.path}: has no har-edge metadata, so it needs --labels (a file "
                       "with one label per line, or a comma-separated list)")
    source = Path(request.labels)
    text = source.read_text() if source.is_file() else request.labels.replace(",", "\n")
    labels = [line.strip() for line in text.splitlines() if line.strip()]
    if len(labels) < 2:
        raise BadInput(f"--labels {request.labels!r}: expected at least two labels")
    return labels


def _mapper(runner: Runner, height: int, width: int, colour: str, scale: float,
            offset: float) -> InputMapper:
    tensor = runner.input
    return InputMapper(height, width, colour, scale, offset, tensor.dtype,
                       tensor.scale if tensor.quantized else 0.0, tensor.zero_point)
