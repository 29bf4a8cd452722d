"""The files of a bundle, in one table: each file's name, the role the agent loads it for, and
whether it ships (the report-only files are made to measure against, then removed)."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from har_convert.quantize.tflite import Converted
from har_convert.source.facts import Geometry
from har_device.core.bundle import POSE_ROLES, BundleMode, FileRole
from har_device.core.pose_models import DETECTOR, LANDMARKS, verified_path


@dataclass(frozen=True)
class BundleFile:
    name: str
    role: FileRole | None  # None: made for the report only, never shipped


FILES = (BundleFile("model_float.tflite", "clip_float"), BundleFile("model_int8.tflite", "clip"),
         BundleFile("reference_float.tflite", None), BundleFile("ptq_int8.tflite", None),
         BundleFile("frame_int8.tflite", "frame"), BundleFile("head_int8.tflite", "head"))
BY_NAME = {file.name: file for file in FILES}
ORDER = [file.name for file in FILES]


@dataclass
class Bundle:
    """The converted files, by bundle file name, and those that stay in the bundle (all but the
    float model under --no-float: it is still evaluated, as the reference of the int8 drop)."""

    files: dict[str, Converted] = field(default_factory=dict)
    shipped: set[str] = field(default_factory=set)

    @property
    def streaming(self) -> bool:
        return "head_int8.tflite" in self.files

    def mode(self, shape: Geometry) -> BundleMode:
        if shape.keypoints:
            return "pose"
        return "frame" if shape.frame_model else "streaming" if self.streaming else "clip"

    def add(self, name: str, converted: Converted, ship: bool = True) -> None:
        self.files[name] = converted
        if ship:
            self.shipped.add(name)

    def roles(self) -> dict[str, FileRole]:
        """The shipped files by name, with the role the agent loads each for."""
        return {name: role for name in sorted(self.shipped)
                if (role := BY_NAME[name].role) is not None}


POSE_MODELS = ((DETECTOR, POSE_ROLES[0]), (LANDMARKS, POSE_ROLES[1]))


def require_pose_models() -> list[Path]:
    """The cached, verified BlazePose files a pose bundle will carry; `BadInput` naming the fetch
    command when one is missing (checked while preparing, before any slow work)."""
    return [verified_path(model) for model, _ in POSE_MODELS]


def add_pose_models(staging: Path) -> dict[str, FileRole]:
    """Copy the pinned BlazePose files into a pose bundle: the device never downloads, so the
    bundle carries everything its pose stage runs."""
    for path in require_pose_models():
        shutil.copyfile(path, staging / path.name)
    return {model.name: role for model, role in POSE_MODELS}
