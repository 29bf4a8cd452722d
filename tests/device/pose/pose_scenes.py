"""What the pose tests share besides fixtures: the MediaPipe reference fixture and rendered scenes."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from har_device.synth.camera import View
from har_device.synth.script import plan_script

REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "pose_reference"


def scene_frames(script: str, size: int, fps: float, seed: int,
                 view: View | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(frames (F, H, W, 3) BGR, the figure's pixel boxes (F, 4)) of a har-synth scene."""
    scene, _ = plan_script(script, fps, size, seed, view)
    return scene.render(), scene.boxes()
