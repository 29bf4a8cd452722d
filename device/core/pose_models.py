"""The pinned BlazePose model files (names, sizes, sha256) and where they are cached: what the pose
stage, a pose bundle and the converter that writes one all check a model file against.

Fetching them (from the pinned `mediapipe` wheel) is `har_device.pose.models`; the device never
downloads, so a missing or altered model is a `BadInput` naming the command that fetches it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from har_device.core.bundle import sha256_file
from har_device.core.errors import BadInput

ENV_DIR = "HAR_EDGE_POSE_MODELS"
FETCH_COMMAND = "har-pose fetch"


@dataclass(frozen=True)
class PinnedModel:
    name: str
    member: str
    size: int
    sha256: str


DETECTOR = PinnedModel("pose_detection.tflite", "mediapipe/modules/pose_detection/pose_detection.tflite",
                       2_959_046, "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c")
LANDMARKS = PinnedModel("pose_landmark_full.tflite",
                        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
                        6_440_512, "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f")
MODELS = (DETECTOR, LANDMARKS)


def cache_root() -> Path:
    """The user's cache dir (XDG) / har-edge: where pinned downloads are kept."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "har-edge"


def default_dir() -> Path:
    """$HAR_EDGE_POSE_MODELS, else the user's cache dir (XDG) / har-edge / pose-models."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    return cache_root() / "pose-models"


def verified_path(model: PinnedModel, directory: Path | None = None) -> Path:
    """The cached model's path after checking its size and sha256; `BadInput` in one line if not."""
    path = (directory or default_dir()) / model.name
    if not path.is_file():
        raise BadInput(f"{path}: pose model missing; run `{FETCH_COMMAND}` (or set {ENV_DIR})")
    if path.stat().st_size != model.size or sha256_file(path) != model.sha256:
        raise BadInput(f"{path}: pose model does not match its pinned sha256 {model.sha256[:12]}…; "
                       f"run `{FETCH_COMMAND}` again")
    return path


def cached(directory: Path | None = None) -> bool:
    """True when both models are present and verified (what tests check before running them)."""
    try:
        for model in MODELS:
            verified_path(model, directory)
    except BadInput:
        return False
    return True
