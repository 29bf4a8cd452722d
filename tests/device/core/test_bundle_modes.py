"""The bundle metadata of a pose model (mode "pose", a keypoint input description instead of a pixel
one) next to the pixel modes, which read and write exactly as before."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from har_device.core.bundle import BundleMetadata, KeypointInput, parse_metadata
from har_device.core.errors import BadInput
from har_device.core.keypoints import FEATURES

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny_bundle" / "har_model.json"


def pixel_json() -> dict:
    return json.loads(TINY.read_text())


def pose_json() -> dict:
    raw = pixel_json()
    raw.pop("input")
    raw["mode"] = "pose"
    raw["keypoints"] = KeypointInput().model_dump()
    head = raw["files"]["model_int8.tflite"]
    stage = {"sha256": "0" * 64, "size_bytes": 1}
    raw["files"] = {"model_int8.tflite": head,
                    "pose_detection.tflite": {"role": "pose_detector", **stage},
                    "pose_landmark_full.tflite": {"role": "pose_landmarks", **stage}}
    return raw


def test_a_pixel_bundle_reads_and_writes_as_before() -> None:
    raw = pixel_json()
    meta = BundleMetadata.model_validate(raw)
    assert meta.keypoints is None and meta.as_json() == raw


def test_a_pose_bundle_describes_its_keypoint_input() -> None:
    meta = BundleMetadata.model_validate(pose_json())
    assert meta.mode == "pose" and meta.input is None
    assert meta.keypoints.normalisation == "hips-torso" and meta.keypoints.version == 1
    assert meta.keypoints.features == FEATURES == 33 * 5
    assert meta.as_json() == pose_json() and "input" not in meta.as_json()


@pytest.mark.parametrize("change, message", [
    (lambda raw: raw.pop("keypoints"), "mode 'pose' needs 'keypoints'"),
    (lambda raw: raw.update(input=pixel_json()["input"]), "mode 'pose' needs 'keypoints' and no"),
    (lambda raw: raw["keypoints"].update(version=2), "keypoints.version"),
    (lambda raw: raw["keypoints"].update(features=99), "expected per_keypoint"),
    (lambda raw: raw.update(mode="clip"), "needs a pixel 'input'"),
    (lambda raw: raw["files"].pop("pose_detection.tflite"), "needs files with roles"),
])
def test_inconsistent_pose_metadata_is_one_line(change, message: str) -> None:
    raw = pose_json()
    change(raw)
    with pytest.raises(BadInput, match=message) as error:
        parse_metadata(json.dumps(raw), "har_model.json")
    assert "\n" not in str(error.value)
