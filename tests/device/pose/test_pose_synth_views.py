"""`har-synth video --camera-height/--camera-tilt`: the views the lying-person test films falls from."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from har_device.synth.camera import View


def test_view_keeps_the_floor_and_foreshortens_from_above() -> None:
    """Level at hip height the plane is seen as it is; from 2.6 m looking 40° down the body is
    shorter and the feet, farther from the camera, smaller."""
    column = np.array([[0.0, 0.0], [0.0, 0.5], [0.0, 1.0], [0.5, 0.0]])
    low, high = View(0.8, 0.0).project(column), View(2.6, 40.0).project(column)
    assert np.allclose(low[[0, 3], 1], 0) and np.allclose(high[[0, 3], 1], 0)
    assert np.allclose(low, column)
    assert 0 < high[1, 1] < high[2, 1] < 0.95
    assert high[3, 0] < 0.45


def test_camera_options_on_the_command_line(har_synth: str, tmp_path: Path) -> None:
    out = tmp_path / "high.mp4"
    done = subprocess.run([har_synth, "video", str(out), "--script", "walk:1", "--size", "64",
                           "--camera-height", "2.6", "--camera-tilt", "40"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.with_suffix(".json").read_text())["camera"] == {"height_m": 2.6, "tilt_deg": 40.0}


def test_bad_camera_options_exit_2(har_synth: str, tmp_path: Path) -> None:
    for bad in (["--camera-tilt", "30"], ["--camera-height", "9"], ["--camera-height", "2", "--camera-tilt", "89"]):
        done = subprocess.run([har_synth, "video", str(tmp_path / "x.mp4"), "--size", "64", *bad],
                              capture_output=True, text=True)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, (bad, done.stderr)
