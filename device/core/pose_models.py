"""The pinned BlazePose model files (names, sizes, sha256) and where they are cached: what the pose
stage, a pose bundle and the converter that writes one all check a model file against.

Fetching them (from the pinned `mediapipe` wheel) is `har_device.pose.models`; the device never
downloads, so a missing or altered model is a `BadInput` naming the command that fetches it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from har_device.core.pinned import PinnedCache

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

# The model card's range is one person within about 4 m of the camera. A person 1.7 m tall who
# fills 0.2 of the frame is 7-10 m away from a camera of 60-45° vertical view: twice that range,
# where the landmarks still place a body but no longer tell walking from sitting or lying (measured
# on OpenCV's street video, people 0.11-0.28 of the frame tall: read as sit, getting up, lying and
# fall). The agent judges no one smaller (`min_person_height`); `har-pose track` reports them all.
MIN_PERSON_HEIGHT = 0.2


CACHE = PinnedCache(ENV_DIR, "pose-models", FETCH_COMMAND, "pose model")


def default_dir() -> Path:
    """$HAR_EDGE_POSE_MODELS, else the user's cache dir (XDG) / har-edge / pose-models."""
    return CACHE.directory()


def verified_path(model: PinnedModel, directory: Path | None = None) -> Path:
    """The cached model's path after checking its size and sha256; `BadInput` in one line if not."""
    return CACHE.verified_path(model, directory)


def cached(directory: Path | None = None) -> bool:
    """True when both models are present and verified (what tests check before running them)."""
    return CACHE.cached(MODELS, directory)
