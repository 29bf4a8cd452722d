"""A UCF101-style dataset of rendered clips, so the same loader reads synthetic and real footage:

    DIR/<class>/v_<class>_g<GG>_c<CC>.mp4, classInd.txt, trainlist01.txt, testlist01.txt

A group is one person in one room (one `Look`), shared by every class, as a UCF101 group is one actor
and setting. The split is by group, as UCF101's is: the first groups are the test set, so a test clip
never shows a person or room seen in training.

A share of the clips (`context`) open with the end of another standing action, because a deployed
model sees windows of continuous video: a fall that interrupts a walk, not only one from standing
still. Trained on isolated actions alone, the demo model took such a fall for a walk.
"""
from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
from tqdm import tqdm

from har_device.core.atomic import atomic_dir
from har_device.core.errors import BadInput
from har_device.core.video import write_video
from har_device.synth.actions import LABELS
from har_device.synth.clips import MIN_SIZE, check_request, plan_clip
from har_device.synth.look import Look, random_look
from har_device.synth.render import Scene
from har_device.synth.script import plan_in_context

MAX_GROUPS = 99
TEST_SHARE = 0.3
LEAD_INS = ("walk", "idle", "wave", "bend")  # what a clip in context may open with
DEFAULT_CONTEXT = 0.5
# Below this many clips a pool of worker processes costs more to start than it saves.
MIN_CLIPS_FOR_WORKERS = 200


@dataclass(frozen=True)
class DatasetSpec:
    classes: tuple[str, ...]
    clips_per_class: int
    frames: int
    fps: float
    size: int | None  # frame side; None for skeleton sequences, which have no frames
    seed: int
    groups: int
    context: float = 0.0

    @property
    def test_groups(self) -> int:
        """About 30 % of the groups (at least one, never all)."""
        return min(max(1, round(self.groups * TEST_SHARE)), self.groups - 1)


def default_groups(clips_per_class: int) -> int:
    """About two clips per class and group, 2 to 25 groups (UCF101 has 25)."""
    return min(max(2, math.ceil(clips_per_class / 2)), 25)


def make_spec(classes: tuple[str, ...], clips_per_class: int, frames: int, fps: float, size: int | None,
              seed: int, groups: int | None, context: float = DEFAULT_CONTEXT,
              known: tuple[str, ...] = LABELS) -> DatasetSpec:
    """Validated dataset settings; BadInput names the offending option. `known`: the class names
    this kind of dataset has (the skeleton sequences have two more than the clips)."""
    if not classes:
        raise BadInput("classes: expected at least one class name")
    for label in classes:
        if label not in known:
            raise BadInput(f'classes: unknown action "{label}" (expected one of {", ".join(known)})')
    if len(set(classes)) != len(classes):
        raise BadInput(f"classes: a class is repeated in {','.join(classes)}")
    check_request(frames, fps, MIN_SIZE if size is None else size)  # None: no frames (skeletons)
    if clips_per_class < 2:
        raise BadInput(f"clips-per-class: expected at least 2 (one train and one test group), "
                       f"got {clips_per_class}")
    groups = default_groups(clips_per_class) if groups is None else groups
    if not 2 <= groups <= min(clips_per_class, MAX_GROUPS):
        raise BadInput(f"groups: expected 2 to {min(clips_per_class, MAX_GROUPS)} "
                       f"(at most clips-per-class), got {groups}")
    if seed < 0:
        raise BadInput(f"seed: expected a non-negative integer, got {seed}")
    if not 0.0 <= context <= 1.0:
        raise BadInput(f"context: expected a share from 0 to 1, got {context:g}")
    return DatasetSpec(tuple(classes), clips_per_class, frames, fps, size, seed, groups, context)


def clip_name(label: str, group: int, clip: int, suffix: str = ".mp4") -> str:
    return f"v_{label}_g{group:02d}_c{clip:02d}{suffix}"


def clip_slots(spec: DatasetSpec) -> list[tuple[str, int, int]]:
    """(class, group, clip-in-group) for every clip; clips of a class are dealt to groups in turn."""
    return [(label, i % spec.groups + 1, i // spec.groups + 1)
            for label in spec.classes for i in range(spec.clips_per_class)]


def split_lists(spec: DatasetSpec, suffix: str = ".mp4",
                added: Sequence[tuple[str, int, str]] = ()) -> dict[str, str]:
    """The text of classInd.txt, trainlist01.txt and testlist01.txt (files ending in `suffix`);
    `added`: more files (class, group, file name), split by the same rule."""
    index = {label: i for i, label in enumerate(spec.classes, start=1)}
    train, test = [], []
    entries = [(label, group, clip_name(label, group, clip, suffix))
               for label, group, clip in clip_slots(spec)]
    for label, group, file_name in [*entries, *added]:
        name = f"{label}/{file_name}"
        if group <= spec.test_groups:
            test.append(name)
        else:
            train.append(f"{name} {index[label]}")
    return {"classInd.txt": "".join(f"{i} {label}\n" for label, i in index.items()),
            "trainlist01.txt": "".join(line + "\n" for line in train),
            "testlist01.txt": "".join(line + "\n" for line in test)}


def group_look(seed: int, group: int) -> Look:
    """The person and room of one group, from (seed, group) alone."""
    return random_look(np.random.default_rng([seed, group]))


def plan_slot(spec: DatasetSpec, label: str, group: int, clip: int, look: Look | None = None) -> Scene:
    """The clip `v_<label>_g<group>_c<clip>` of the dataset `spec`, from (seed, group, class, clip)
    alone: a clip is the same whatever other classes or counts are asked for."""
    slot = [spec.seed, group, LABELS.index(label), clip]
    rng, look = np.random.default_rng(slot), look or group_look(spec.seed, group)
    context = np.random.default_rng([*slot, 1])
    if context.random() < spec.context:
        lead_in = str(context.choice([name for name in LEAD_INS if name != label]))
        return plan_in_context(label, lead_in, spec.frames, spec.fps, spec.size, rng, look)
    return plan_clip(label, spec.frames, spec.fps, spec.size, rng, look)


def _render_all(jobs: list, workers: int | None) -> Iterator[None]:
    """Render the jobs, in a pool of spawned processes when there are enough to pay for one
    (forked children of a process that has used OpenCV's thread pool can hang)."""
    workers = workers or ((os.cpu_count() or 1) if len(jobs) >= MIN_CLIPS_FOR_WORKERS else 1)
    if workers == 1:
        yield from map(_render_slot, jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(_render_slot, jobs, chunksize=16)


def _render_slot(job: tuple[DatasetSpec, Path, str, int, int]) -> None:
    spec, folder, label, group, clip = job
    scene = plan_slot(spec, label, group, clip)
    write_video(folder / label / clip_name(label, group, clip), scene.iter_frames(), spec.fps)


def check_output(root: Path, force: bool) -> None:
    """A dataset folder may be new or empty (or replaced with `force`); its parent is created."""
    if root.exists() and not root.is_dir():
        raise BadInput(f"{root}: exists and is not a directory")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise BadInput(f"{root}: directory is not empty (use --force to replace it)")
    root.parent.mkdir(parents=True, exist_ok=True)


def write_dataset(root: Path, spec: DatasetSpec, force: bool = False, progress: bool = True,
                  split: bool = True, workers: int | None = None) -> int:
    """Render every clip and the split files into `root`, atomically; returns the number of clips.
    Without `split` only classInd.txt is written: a calibration set uses every clip it has.
    Clips render in `workers` processes (default: one per core); each clip depends on its slot
    alone, so the files are the same whatever the number of workers."""
    root = Path(root)
    check_output(root, force)
    slots = clip_slots(spec)
    with atomic_dir(root) as tmp:
        jobs = [(spec, tmp, *slot) for slot in slots]
        for _ in tqdm(_render_all(jobs, workers), total=len(jobs), desc="rendering clips",
                      unit="clip", disable=not progress):
            pass
        for name, text in split_lists(spec).items():
            if split or name == "classInd.txt":
                (tmp / name).write_text(text)
    return len(slots)
