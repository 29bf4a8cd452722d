"""A pose bundle made whole: the committed fixture (`tests/fixtures/pose_bundle`) leaves the two
BlazePose files out of git, so tests and benchmarks run a copy with the cached, verified files put
in beside the head."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from har_device.core.bundle import METADATA_FILE
from har_device.core.pose_models import MODELS, verified_path


def with_pose_models(bundle: Path, into: Path) -> Path:
    """A copy in `into` with the cached pose files when `bundle` is a pose bundle without them,
    else `bundle` itself. The mode is read from the JSON: loading would refuse the missing files."""
    is_pose = json.loads((bundle / METADATA_FILE).read_text()).get("mode") == "pose"
    if not is_pose or all((bundle / model.name).is_file() for model in MODELS):
        return bundle
    copy = into / bundle.name
    shutil.copytree(bundle, copy)
    for model in MODELS:
        shutil.copyfile(verified_path(model), copy / model.name)
    return copy
