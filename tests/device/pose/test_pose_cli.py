"""`har-pose`: bad models and bad videos get one line and exit 2; `track` writes one CSV row per
frame and a preview of the same length; `fetch` does not download what is already cached."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from har_device.core.pose_models import DETECTOR, LANDMARKS, MODELS
from har_device.core.video import probe


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, timeout=300)


def one_line_exit_2(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert all(word in lines[0] for word in words), lines[0]


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, har_synth: str) -> Path:
    out = tmp_path_factory.mktemp("pose_scene") / "scene.mp4"
    subprocess.run([har_synth, "video", str(out), "--script", "walk:1,fall:1", "--size", "192",
                    "--fps", "8", "--seed", "2"], check=True, capture_output=True)
    return out


def copy_models(source: Path, target: Path) -> Path:
    target.mkdir()
    for model in MODELS:
        shutil.copy(source / model.name, target / model.name)
    return target


def test_missing_models_name_the_fetch_command(har_pose: str, scene: Path, tmp_path: Path) -> None:
    done = run([har_pose, "track", str(scene), "--out", str(tmp_path / "k.csv")],
               HAR_EDGE_POSE_MODELS=str(tmp_path / "empty"))
    one_line_exit_2(done, DETECTOR.name, "har-pose fetch")
    assert not (tmp_path / "k.csv").exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other model"])
def test_corrupt_models_are_refused(har_pose: str, scene: Path, tmp_path: Path, pose_models: Path,
                                    damage: str) -> None:
    models = copy_models(pose_models, tmp_path / "models")
    landmark = models / LANDMARKS.name
    if damage == "garbage":
        landmark.write_bytes(b"not a model")
    elif damage == "truncated":
        landmark.write_bytes(landmark.read_bytes()[:100_000])
    else:
        shutil.copy(models / DETECTOR.name, landmark)
    done = run([har_pose, "track", str(scene), "--out", str(tmp_path / "k.csv"), "--dir", str(models)])
    one_line_exit_2(done, LANDMARKS.name, "sha256")


def test_missing_video(har_pose: str, tmp_path: Path) -> None:
    one_line_exit_2(run([har_pose, "track", str(tmp_path / "none.mp4"), "--out", str(tmp_path / "k.csv")]),
                    "none.mp4")


def test_fetch_keeps_a_verified_cache(har_pose: str, tmp_path: Path, pose_models: Path) -> None:
    models = copy_models(pose_models, tmp_path / "models")
    done = run([har_pose, "fetch", "--dir", str(models)], PIP_NO_INDEX="1", PIP_FIND_LINKS="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(models / model.name) for model in MODELS]


def test_track_writes_a_row_per_frame_and_a_preview(har_pose: str, scene: Path, tmp_path: Path,
                                                    pose_models: Path) -> None:
    out, preview = tmp_path / "keypoints.csv", tmp_path / "preview.mp4"
    done = run([har_pose, "track", str(scene), "--out", str(out), "--preview", str(preview),
                "--dir", str(pose_models)])
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    frames = probe(scene).frame_count
    assert len(rows) == frames == probe(preview).frame_count
    assert [row["frame"] for row in rows] == [str(i) for i in range(frames)]
    assert sum(row["person"] == "1" for row in rows) >= frames - 2
    first = next(row for row in rows if row["person"] == "1")
    assert 0 <= float(first["x0"]) < 192 and 0 <= float(first["visibility32"]) <= 1
    assert float(first["pose_ms"]) >= float(first["landmark_ms"]) > 0
