"""What the converter must know about a model that the `.keras` file alone may not say.

The input geometry comes from the model (T may be left open, then `--frames` or the training
record fixes it): RGB clips or frames, or (T, FEATURES) windows of normalised body keypoints
(har_device.core.keypoints) for a pose model; the labels, the frame rate the model was trained at
and its architecture come from the files `har-train` writes beside the model
(`<stem>.labels.txt`, `<stem>.train.json`), and command-line options override them. Any inconsistency is a BadInput naming the source.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from har_convert.data import index_folder
from har_convert.settings import Augmentation, OptimizeSettings
from har_device.core.errors import BadInput
from har_device.core.keypoints import FEATURES, KEYPOINTS, NORMALISATION, PER_KEYPOINT

FRAME_MODEL_DEFAULT_FRAMES = 16
ASSUMED_LABELS = "assumed (class_<index>)"


@dataclass(frozen=True)
class Geometry:
    """frames: T of a clip model; for a frame model (input one frame) the frames per clip its
    clip score averages over. size: input height = width (None for a keypoint model). classes:
    output size. features: per-frame features of a keypoint model, else None."""

    frames: int
    size: int | None
    frame_model: bool
    classes: int
    features: int | None = None

    @property
    def keypoints(self) -> bool:
        return self.features is not None

    @property
    def input_shape(self) -> tuple[int, ...]:
        if self.keypoints:
            return (self.frames, self.features)
        frame = (self.size, self.size, 3)
        return frame if self.frame_model else (self.frames, *frame)


def sibling(model_path: Path, suffix: str) -> Path:
    """`model.keras` + ".labels.txt" -> `model.labels.txt` (har-train's naming)."""
    return model_path.with_name(model_path.stem + suffix)


def read_train_info(model_path: Path) -> dict[str, Any]:
    """`<stem>.train.json` written by har-train, or {} when there is none."""
    path = sibling(model_path, ".train.json")
    if not path.is_file():
        return {}
    try:
        info = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise BadInput(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(info, dict):
        raise BadInput(f"{path}: expected a JSON object")
    return info


def as_trained(settings: OptimizeSettings, model_path: Path,
               train_info: dict[str, Any]) -> OptimizeSettings:
    """Fine-tuning and QAT as the model was trained, from har-train's record: its seed, its
    augmentation and, unless --finetune-lr, the learning rate of its last phase (for a
    transfer-learned model the backbone's fine-tuning rate, which a higher one would undo).

    A pruned network relearns what it lost, and does so at the rate and on the inputs it
    learned from: mnv2-tcn (alpha 0.35, trained at 1e-3 without augmentation) pruned by half and
    fine-tuned for 2 epochs reached 0.285 held out at 3e-4 with augmentation, 0.321 without it,
    and 0.445 at 1e-3 without it (no distillation); for 6 epochs at its own rate, 0.653 against
    the unpruned model's 0.598."""
    where = f"{sibling(model_path, '.train.json').name}: field"
    recorded = train_info.get("augmentation")
    augmentation = settings.augmentation
    if recorded is not None:
        try:
            augmentation = Augmentation(**recorded)
        except TypeError:
            fields = ", ".join(Augmentation.__dataclass_fields__)
            raise BadInput(f"{where} 'augmentation': expected an object with {fields}, got "
                           f"{recorded!r}") from None
    rate = settings.finetune_lr
    if rate is None:
        schedule = train_info.get("schedule")
        phases = schedule.get("phases") if isinstance(schedule, dict) else None
        last = phases[-1] if isinstance(phases, list) and phases else train_info
        rate = last.get("learning_rate") if isinstance(last, dict) else None
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float))
                                 or rate <= 0):
            raise BadInput(f"{where} 'learning_rate': expected a positive number, got {rate!r}")
    return replace(settings, seed=int(train_info.get("seed", 0)), augmentation=augmentation,
                   finetune_lr=rate)


def geometry(model: Any, frames: int | None, train_info: dict[str, Any]) -> Geometry:
    """Input geometry of a single-input, single-output model taking RGB frames or clips."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise BadInput(f"model {model.name!r}: expected one input and one output, found "
                       f"{len(model.inputs)} and {len(model.outputs)}")
    shape = tuple(model.inputs[0].shape)
    out_shape = tuple(model.outputs[0].shape)
    if len(shape) == 3 and len(out_shape) == 2 and out_shape[1]:
        return Geometry(_steps(model, shape[1], frames, train_info), None, False, out_shape[1],
                        _keypoint_features(model, shape[2]))
    if len(shape) not in (4, 5) or shape[-1] != 3 or len(out_shape) != 2 or not out_shape[1]:
        raise BadInput(f"model {model.name!r}: input {list(shape)} -> output {list(out_shape)}; "
                       "expected (batch, [T,] S, S, 3) RGB or (batch, T, features) keypoints -> "
                       "(batch, classes)")
    height, width = shape[-3:-1]
    if height is None or height != width:
        raise BadInput(f"model {model.name!r}: input frames {height}x{width}; expected a fixed "
                       "square size")
    if len(shape) == 4:
        return Geometry(frames or int(train_info.get("frames", FRAME_MODEL_DEFAULT_FRAMES)),
                        height, True, out_shape[1])
    return Geometry(_steps(model, shape[1], frames, train_info), height, False, out_shape[1])


def _steps(model: Any, fixed: int | None, frames: int | None, train_info: dict[str, Any]) -> int:
    """T: the model's own, else --frames, else the training record's."""
    if fixed is not None and frames is not None and frames != fixed:
        raise BadInput(f"--frames {frames}: the model takes exactly T={fixed} frames")
    steps = fixed or frames or train_info.get("frames")
    if not steps:
        raise BadInput(f"model {model.name!r}: its input has no fixed number of frames; "
                       "pass --frames T")
    return int(steps)


def _keypoint_features(model: Any, features: int | None) -> int:
    """A (T, F) input must be the keypoint normalisation's layout: F = FEATURES."""
    if features != FEATURES:
        raise BadInput(f"model {model.name!r}: input of {features} features per frame; a "
                       f"keypoint model takes {FEATURES} ({KEYPOINTS} keypoints x "
                       f"{', '.join(PER_KEYPOINT)}, {NORMALISATION} normalisation)")
    return features


def resolve_labels(model_path: Path, labels_file: Path | None, data_dir: Path | None,
                   classes: int) -> tuple[list[str], str]:
    """(labels, where they came from, by file or folder name): --labels, else
    `<stem>.labels.txt`, else the class folders of --data, else `class_0`... (ASSUMED_LABELS:
    a bundle that works, whose events name the class by its index until the labels are given).
    Their count must match the model's output size."""
    candidates = [labels_file, sibling(model_path, ".labels.txt")]
    source = next((path for path in candidates if path is not None and path.is_file()), None)
    if labels_file is not None and source != labels_file:
        raise BadInput(f"--labels {labels_file}: no such file")
    if source is not None:
        labels = [line.strip() for line in source.read_text().splitlines() if line.strip()]
        where = source.name
    elif data_dir is not None:
        labels, where = index_folder(data_dir).labels, f"class folders of {data_dir.name}"
    else:
        return [f"class_{index}" for index in range(classes)], ASSUMED_LABELS
    if len(labels) != classes:
        raise BadInput(f"{where}: {len(labels)} labels, but the model outputs {classes} classes")
    if len(set(labels)) != len(labels):
        raise BadInput(f"{where}: duplicate labels")
    return labels, where


def resolve_sample_fps(option: float | None, train_info: dict[str, Any]) -> float | None:
    """The frame rate the model was trained at: --sample-fps, else `<stem>.train.json`, else
    None (unknown: the agent then runs the model at the camera's own rate)."""
    rate = option or train_info.get("sample_fps")
    return float(rate) if rate else None


def assumptions(model_path: Path, labels: list[str], labels_source: str,
                sample_fps: float | None) -> list[str]:
    """One warning for each fact the conversion had to assume, naming the option that gives it."""
    warnings = []
    if labels_source == ASSUMED_LABELS:
        warnings.append(f"labels: none given, so the classes are named {labels[0]}..{labels[-1]} "
                        f"until you pass --labels FILE (one name per line, in output order) or "
                        f"keep {sibling(model_path, '.labels.txt').name} beside the model")
    if sample_fps is None:
        warnings.append("frame rate: the rate the model was trained at is unknown, so the agent "
                        "will feed it every camera frame (the camera's rate) until you pass "
                        "--sample-fps R")
    return warnings
