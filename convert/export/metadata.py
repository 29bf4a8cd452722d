"""The bundle's metadata: `har_model.json`, and the same JSON embedded in every `.tflite`.

Order matters: the JSON embedded in a `.tflite` changes its bytes, so each file gets its metadata
first (without the per-file sha256 and size, which it cannot contain) and is hashed afterwards; the
hashes then go into `har_model.json` only. The embedding is a flatbuffer metadata entry named
"har_edge" (what TFLite's own metadata entries use), written with ai-edge-litert's flatbuffer
utilities and read back on the device by `har_device.core.bundle.read_embedded_metadata`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.tools import flatbuffer_utils

from har_device.core.bundle import (
    EMBEDDED_METADATA,
    POSE_ROLES,
    BundleMetadata,
    BundleMode,
    FileRole,
    InputSpec,
    KeypointInput,
    ModelFile,
    Quant,
    SourceModel,
    TensorSpec,
    default_event_settings,
    read_embedded_metadata,
    sha256_file,
    write_metadata,
)
from har_device.core.errors import WorkFailed
from har_device.core.litert import TensorInfo, TFLiteModel

PLACEHOLDER_SHA256 = "0" * 64
PER_FILE_FIELDS = ("sha256", "size_bytes")


@dataclass(frozen=True)
class BundleFacts:
    """Everything the metadata says that is not read from the `.tflite` files themselves: `input`
    for a pixel model, `keypoints` for a pose model (mode "pose")."""

    name: str
    labels: list[str]
    mode: BundleMode
    frames: int
    sample_fps: float | None
    input: InputSpec | None
    source: SourceModel
    converter: dict[str, Any]
    keypoints: KeypointInput | None = None


def write_bundle_metadata(directory: Path, files: dict[str, FileRole],
                          facts: BundleFacts) -> BundleMetadata:
    """Embed the metadata in each listed `.tflite` of `directory`, then hash them and write
    `har_model.json`. Returns the metadata written."""
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    provisional = _metadata(directory, files, facts, created, hashed=False)
    embedded = embedded_view(provisional)
    for name, role in files.items():
        if role not in POSE_ROLES:
            embed_metadata(directory / name, embedded)
    final = _metadata(directory, files, facts, created, hashed=True)
    write_metadata(directory, final)
    return final


def embedded_view(meta: BundleMetadata) -> dict[str, Any]:
    """The metadata as embedded in a `.tflite`: per-file sha256 and size left out."""
    view = meta.as_json()
    for entry in view["files"].values():
        for key in PER_FILE_FIELDS:
            entry.pop(key)
    return view


def embed_metadata(path: Path, content: dict[str, Any]) -> None:
    """Add (or replace) the "har_edge" metadata entry of a `.tflite`, then check that the model
    still loads in ai-edge-litert and that the JSON reads back unchanged."""
    model = flatbuffer_utils.read_model(str(path))
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(json.dumps(content, sort_keys=True).encode(), dtype=np.uint8)
    entry = next((m for m in model.metadata or [] if _name(m) == EMBEDDED_METADATA), None)
    if entry is None:
        entry = schema.MetadataT()
        entry.name = EMBEDDED_METADATA
        entry.buffer = len(model.buffers)
        model.buffers.append(buffer)
        model.metadata = [*(model.metadata or []), entry]
    else:
        model.buffers[entry.buffer] = buffer
    flatbuffer_utils.write_model(model, str(path))
    TFLiteModel(path)
    if read_embedded_metadata(path) != content:
        raise WorkFailed(f"{path}: the embedded metadata does not read back")


def _name(entry: Any) -> str:
    return entry.name.decode() if isinstance(entry.name, bytes) else str(entry.name)


def _metadata(directory: Path, files: dict[str, FileRole], facts: BundleFacts, created: str,
              hashed: bool) -> BundleMetadata:
    return BundleMetadata(
        name=facts.name, labels=facts.labels, mode=facts.mode, frames=facts.frames,
        sample_fps=facts.sample_fps, input=facts.input, keypoints=facts.keypoints,
        files={name: _model_file(directory / name, role, hashed) for name, role in files.items()},
        events=default_event_settings(facts.labels), source_model=facts.source,
        converter=facts.converter, created=created)


def _model_file(path: Path, role: FileRole, hashed: bool) -> ModelFile:
    if role in POSE_ROLES:
        return ModelFile(role=role, sha256=sha256_file(path), size_bytes=path.stat().st_size)
    model = TFLiteModel(path)
    return ModelFile(role=role, sha256=sha256_file(path) if hashed else PLACEHOLDER_SHA256,
                     size_bytes=path.stat().st_size if hashed else 0,
                     input=tensor_spec(model.input), output=tensor_spec(model.output))


def tensor_spec(info: TensorInfo) -> TensorSpec:
    dtype = str(info.dtype)
    if not info.quantized:
        return TensorSpec(shape=list(info.shape), quant=Quant(dtype=dtype))
    return TensorSpec(shape=list(info.shape),
                      quant=Quant(dtype=dtype, scale=info.scale, zero_point=info.zero_point))
