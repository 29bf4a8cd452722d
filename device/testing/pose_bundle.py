"""A pose bundle made whole: the committed fixture (`tests/fixtures/pose_bundle`) leaves the two
BlazePose files out of git, so tests and benchmarks run a copy with the cached, verified files put
in beside the head."""
from __future__ import annotations

import shutil
from pathlib import Path

from har_device.core.pose_models import MODELS, verified_path


def with_pose_models(bundle: Path, into: Path) -> Path:
    """`bundle` itself when it carries the pose files, else a copy in `into` with the cached ones."""
    if all((bundle / model.name).is_file() for model in MODELS):
        return bundle
    copy = into / bundle.name
    shutil.copytree(bundle, copy)
    for model in MODELS:
        shutil.copyfile(verified_path(model), copy / model.name)
    return copy
