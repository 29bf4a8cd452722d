"""`har-pose extract`: a UCF-style folder of videos becomes the same folder of keypoint sequences,
which the keypoint tools read; a folder without videos is one line and exit 2."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from har_device.core.keypoints import KEYPOINTS, load_sequence


def test_a_video_folder_becomes_a_folder_of_sequences(har_synth: str, har_pose: str,
                                                      pose_models: Path, tmp_path: Path) -> None:
    videos, out = tmp_path / "videos", tmp_path / "keypoints"
    subprocess.run([har_synth, "dataset", str(videos), "--clips-per-class", "2", "--groups", "2",
                    "--frames", "16", "--fps", "8", "--size", "256", "--seed", "3"], check=True,
                   capture_output=True)
    done = subprocess.run([har_pose, "extract", str(videos), str(out), "--dir", str(pose_models)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    sequences = sorted(out.glob("*/*.npz"))
    assert [p.relative_to(out).with_suffix("") for p in sequences] == [
        p.relative_to(videos).with_suffix("") for p in sorted(videos.glob("*/*.mp4"))]
    assert (out / "classInd.txt").read_text() == (videos / "classInd.txt").read_text()
    seen = []
    for path in sequences:
        keypoints, size, fps = load_sequence(path)
        assert keypoints.shape == (16, KEYPOINTS, 5) and size == (256, 256) and fps == 8.0
        seen.append(np.mean(~np.isnan(keypoints[:, 0, 0])))
    assert np.mean(seen) > 0.8


def test_a_folder_without_videos_is_one_line(har_pose: str, tmp_path: Path) -> None:
    (tmp_path / "empty" / "fall").mkdir(parents=True)
    done = subprocess.run([har_pose, "extract", str(tmp_path / "empty"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "no videos" in done.stderr and not (tmp_path / "out").exists()
