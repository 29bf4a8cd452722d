"""Keypoint sequences from elsewhere added to a synthetic skeleton folder: what the pose stage really
reported (`har-pose extract` over real footage, or over `har-synth dataset` renders).

A head trained on synthetic skeletons alone learns the noise model's picture of the stage; the
stage's own readings (a body bent far over read as a crouch, a person lost in mid-fall) teach it
what the device will see. Each added file keeps its class folder and group; its clip number follows
the synthetic ones of that group, and it lands in the split its group number gives the synthetic
ones, so the held-out score includes the stage's readings too.
"""
from __future__ import annotations

import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from har_device.core.clip_names import parse_ucf_name
from har_device.core.errors import BadInput
from har_device.core.keypoints import SEQUENCE_SUFFIX, load_sequence
from har_device.synth.dataset import DatasetSpec, clip_name


@dataclass(frozen=True)
class Added:
    """One added sequence: where it comes from and the name it gets."""

    source: Path
    label: str
    group: int
    name: str


def plan_added(folders: Sequence[Path], spec: DatasetSpec) -> list[Added]:
    """Every `.npz` under `folders`' class folders, named after the synthetic ones; BadInput for a
    class the skeletons do not have, a name without a UCF group, or a file that is not a sequence."""
    after_synthetic = -(-spec.clips_per_class // spec.groups)
    last_clip: dict[tuple[str, int], int] = defaultdict(lambda: after_synthetic)
    added = []
    for folder in folders:
        for path in sorted(Path(folder).glob(f"*/*{SEQUENCE_SUFFIX}")):
            label, parsed = path.parent.name, parse_ucf_name(path.name)
            if label not in spec.classes:
                raise BadInput(f"{path}: class {label!r} is not one of the skeletons' "
                               f"({', '.join(spec.classes)})")
            if parsed is None:
                raise BadInput(f"{path}: expected a UCF name v_<class>_g<group>_c<clip>.npz "
                               "(the group keeps a person on one side of the split)")
            load_sequence(path)
            last_clip[label, parsed.group] += 1
            name = clip_name(label, parsed.group, last_clip[label, parsed.group], SEQUENCE_SUFFIX)
            added.append(Added(path, label, parsed.group, name))
    if folders and not added:
        raise BadInput(f"no keypoint sequences (<class>/*{SEQUENCE_SUFFIX}) in "
                       f"{', '.join(map(str, folders))}")
    return added


def copy_added(added: Sequence[Added], root: Path) -> None:
    for item in added:
        (root / item.label).mkdir(exist_ok=True)
        shutil.copyfile(item.source, root / item.label / item.name)
