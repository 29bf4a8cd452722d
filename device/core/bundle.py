"""The bundle: the contract between `har-convert` (host) and `har-agent` (device).

A bundle is a directory with `har_model.json` (the `BundleMetadata` below) and the `.tflite` files it
lists, each with its sha256. The host writes it with `write_metadata`; the device opens it with
`load_bundle`, which validates the JSON and refuses a bundle whose files do not match their hashes.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from har_device.core.errors import BadInput
from har_device.core.keypoints import (
    FEATURES,
    KEYPOINTS,
    NORMALISATION,
    NORMALISATION_VERSION,
    PER_KEYPOINT,
)
from har_device.core.strict import Strict

FORMAT = "har-edge/1"
METADATA_FILE = "har_model.json"

Mode = Literal["clip", "streaming", "frame"]
# "pose": the model reads windows of T normalised keypoint frames from the pose stage (`keypoints`
# says how), not pixels; its int8 file has role "clip" (one inference over a window of T).
BundleMode = Literal["clip", "streaming", "frame", "pose"]
FileRole = Literal["clip", "clip_float", "frame", "head", "pose_detector", "pose_landmarks"]
# The pose stage's BlazePose models ride in a pose bundle byte for byte as pinned
# (har_device.core.pose_models): no metadata is embedded in them, and they have several outputs.
POSE_ROLES: tuple[FileRole, ...] = ("pose_detector", "pose_landmarks")


class InputSpec(Strict):
    """How a camera frame becomes the model's float input: squash-resize, colour order, x = pixel*scale + offset."""

    height: int = Field(gt=0)
    width: int = Field(gt=0)
    channels: Literal[3] = 3
    colour: Literal["RGB", "BGR"] = "RGB"
    scale: float = 1.0 / 255.0
    offset: float = 0.0


class KeypointInput(Strict):
    """How the pose stage's landmarks become a pose model's input: `normalisation` at `version`
    (har_device.core.keypoints.normalise) of each window of the bundle's `frames` keypoint frames,
    sampled at its `sample_fps`, into (frames, `features`) = `keypoints` x `per_keypoint`."""

    topology: Literal["blazepose-33"] = "blazepose-33"
    normalisation: Literal["hips-torso"] = NORMALISATION
    version: Literal[1] = NORMALISATION_VERSION
    keypoints: Literal[33] = KEYPOINTS
    per_keypoint: list[str] = Field(default_factory=lambda: list(PER_KEYPOINT))
    features: int = Field(FEATURES, gt=0)

    @model_validator(mode="after")
    def _layout(self) -> "KeypointInput":
        if self.per_keypoint != list(PER_KEYPOINT) or self.features != FEATURES:
            raise ValueError(f"expected per_keypoint {list(PER_KEYPOINT)} and features {FEATURES}")
        return self


class Quant(Strict):
    """Affine int8 quantization of one tensor: real = (q - zero_point) * scale."""

    dtype: Literal["int8", "uint8", "float32"]
    scale: float = 0.0
    zero_point: int = 0


class TensorSpec(Strict):
    shape: list[int]
    quant: Quant


class ModelFile(Strict):
    """`input` and `output` describe the one input and output of a har-edge model; None for the
    pose stage's models (`POSE_ROLES`), which are described by their pins instead."""

    role: FileRole
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=0)
    input: TensorSpec | None = None
    output: TensorSpec | None = None


class EventDefaults(Strict):
    """Per-label event settings the agent starts from (the agent config may override them).

    alert: the label raises events at all. enter/exit: hysteresis on the score smoothed over the
    last `smoothing` outputs. min_duration_s: how long the score must stay above `enter` before the
    event starts (one noisy window is not a fall). cooldown_s: quiet time after an event ends.
    latch: the event ends only when another action is seen (its own score below `exit` while
    another label leads for `min_duration_s`), not when its own score merely dips.
    escalate_after_s: send one `update` when a latched event has lasted this long.
    confirm_down: start only once the pose stage sees the person down on the floor
    (`har_device.pose.posture`); without a pose stage (pixel modes) there is nothing to confirm with
    and the setting has no effect.
    """

    alert: bool = False
    enter: float = Field(0.6, gt=0.0, le=1.0)
    exit: float = Field(0.4, ge=0.0, lt=1.0)
    smoothing: int = Field(3, ge=1)
    min_duration_s: float = Field(0.3, ge=0.0)
    cooldown_s: float = Field(5.0, ge=0.0)
    latch: bool = False
    escalate_after_s: float | None = Field(None, gt=0.0)
    confirm_down: bool = False

    @model_validator(mode="after")
    def _hysteresis(self) -> "EventDefaults":
        if self.exit > self.enter:
            raise ValueError("exit threshold must not exceed enter threshold")
        return self


ALERT_LABELS = ("fall",)
# Labels that do not end a latched event when they lead: a fall stays "person down" while a pose
# model sees the person lying on the floor.
HOLDING_LABELS = ("lying",)


def default_event_settings(labels: list[str]) -> dict[str, EventDefaults]:
    """The event settings a new bundle starts with: only falls alert, and a fall latches.

    A fall's score fades once the person lies still (the window no longer holds the motion), so the
    event must not end on the score alone: it latches ("person down") until another action is seen,
    and escalates with an `update` after 30 s on the floor. Its cooldown is short (2 s): a latched
    event ends only once the person is seen up, so the cooldown only bridges a flicker at that
    moment, and a long one silences the next real fall (measured on 30 scripted scenes with the demo
    model: 5 s of cooldown after a false alarm while sitting cost 3 of 60 falls). It starts only
    once a pose model sees the person down: a fall ends on the floor.
    """
    return {label: EventDefaults(alert=True, latch=True, escalate_after_s=30.0, cooldown_s=2.0,
                                 confirm_down=True)
            if label in ALERT_LABELS else EventDefaults() for label in labels}


class SourceModel(Strict):
    """The Keras model a bundle was converted from; `path` is its bare file name (a bundle is
    copied between machines, so it never records where the model was on the converting one)."""

    path: str
    sha256: str
    architecture: str | None = None


class BundleMetadata(Strict):
    """`input` (pixels) for the pixel modes; `keypoints` instead for mode "pose". Either is left out
    of the JSON when absent (`as_json`), so a pixel bundle reads as it always has."""

    format: Literal["har-edge/1"] = FORMAT
    name: str
    labels: list[str] = Field(min_length=2)
    mode: BundleMode
    frames: int = Field(ge=1)
    sample_fps: float | None = Field(
        gt=0, description="the rate the model was trained at; None: unknown, the agent takes "
                          "every camera frame")
    input: InputSpec | None = None
    keypoints: KeypointInput | None = None
    files: dict[str, ModelFile]
    events: dict[str, EventDefaults] = Field(default_factory=dict)
    source_model: SourceModel
    converter: dict = Field(default_factory=dict)
    created: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "BundleMetadata":
        roles = {f.role for f in self.files.values()}
        needed = {"clip": {"clip"}, "frame": {"clip"}, "streaming": {"frame", "head"},
                  "pose": {"clip", *POSE_ROLES}}[self.mode]
        pose = self.mode == "pose"
        if pose and (self.keypoints is None or self.input is not None):
            raise ValueError("mode 'pose' needs 'keypoints' and no pixel 'input'")
        if not pose and (self.input is None or self.keypoints is not None):
            raise ValueError(f"mode {self.mode!r} needs a pixel 'input' and no 'keypoints'")
        if not needed <= roles:
            raise ValueError(f"mode {self.mode!r} needs files with roles {sorted(needed)}")
        unknown = set(self.events) - set(self.labels)
        if unknown:
            raise ValueError(f"event settings for unknown labels {sorted(unknown)}")
        return self

    def as_json(self) -> dict:
        """The JSON object, without the input description the mode does not use (nor the tensor
        descriptions the pose stage's files do not have), and `confirm_down` only where it is on,
        so that a bundle written before the setting existed reads and writes unchanged."""
        view = self.model_dump(mode="json", exclude={"keypoints" if self.keypoints is None
                                                     else "input"})
        for entry in view["files"].values():
            for key in ("input", "output"):
                if entry[key] is None:
                    del entry[key]
        for settings in view["events"].values():
            if not settings["confirm_down"]:
                del settings["confirm_down"]
        return view

    def file_for(self, role: FileRole) -> tuple[str, ModelFile] | None:
        for name, entry in self.files.items():
            if entry.role == role:
                return name, entry
        return None


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_metadata(text: str, where: str) -> BundleMetadata:
    """Validate metadata JSON; any problem is a one-line BadInput naming `where` and the field."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"{where}: not valid JSON ({error.msg} at line {error.lineno})") from None
    try:
        return BundleMetadata.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise BadInput(f"{where}: field {field!r}: {first['msg']}") from None


def load_bundle(directory: Path | str, verify: bool = True) -> BundleMetadata:
    """Read and validate `har_model.json`; with `verify`, refuse files whose sha256 differs."""
    directory = Path(directory)
    meta_path = directory / METADATA_FILE
    if not directory.is_dir():
        raise BadInput(f"{directory}: not a bundle directory")
    if not meta_path.is_file():
        raise BadInput(f"{directory}: no {METADATA_FILE} (is this a har-convert bundle?)")
    meta = parse_metadata(meta_path.read_text(), str(meta_path))
    if verify:
        for name, entry in meta.files.items():
            path = directory / name
            if not path.is_file():
                raise BadInput(f"{path}: listed in {METADATA_FILE} but missing")
            if sha256_file(path) != entry.sha256:
                raise BadInput(f"{path}: sha256 does not match {METADATA_FILE} (corrupt or replaced file)")
    return meta


def write_metadata(directory: Path | str, meta: BundleMetadata) -> Path:
    """Write `har_model.json` (pretty, stable key order) into `directory`."""
    path = Path(directory) / METADATA_FILE
    path.write_text(json.dumps(meta.as_json(), indent=2) + "\n")
    return path


EMBEDDED_METADATA = "har_edge"
TFLITE_IDENTIFIER = b"TFL3"


def read_embedded_metadata(path: Path | str) -> dict | None:
    """The har-edge metadata embedded in a `.tflite` (entry "har_edge"), or None if it has none.

    It is `har_model.json` without the per-file sha256 and size (a file cannot hold its own
    hash), so one `.tflite` copied on its own (to an Android app, say) still says what its labels,
    input mapping and frame rate are. Read with ai-edge-litert's flatbuffer schema: no TensorFlow.
    """
    from ai_edge_litert import schema_py_generated as schema

    path = Path(path)
    data = path.read_bytes()
    if data[4:8] != TFLITE_IDENTIFIER:
        raise BadInput(f"{path}: not a TFLite flatbuffer")
    model = schema.Model.GetRootAs(data, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() != EMBEDDED_METADATA.encode():
            continue
        buffer = model.Buffers(entry.Buffer())
        if buffer.Offset() > 1:
            raw = data[buffer.Offset():buffer.Offset() + buffer.Size()]
        else:
            raw = buffer.DataAsNumpy().tobytes()
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadInput(f"{path}: embedded {EMBEDDED_METADATA!r} metadata is not JSON") from None
    return None
