"""The held-out clips every stage is scored on: `--eval DIR` (all its clips), else the test split
of `--data DIR` (the split har-train held out: same split files, or the same seeded split).

Clips are decoded at the model's T, size and training frame rate, like the agent will see them.
The folder's class indices are mapped to the model's label order by name, so an evaluation folder
may hold a subset of the classes, in any order; a class the model does not know is BadInput.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from har_convert.data import ClipSet, index_folder, load_clips
from har_convert.data.dataset import warn_skipped
from har_device.core.errors import BadInput


@dataclass(frozen=True)
class EvalSet:
    clips: ClipSet
    y: np.ndarray
    source: str
    skipped: int

    def inputs(self) -> np.ndarray:
        return self.clips.inputs()


def load_eval_set(eval_dir: Path | None, data_dir: Path | None, labels: list[str], frames: int,
                  size: int, sample_fps: float | None, seed: int = 0) -> EvalSet | None:
    """None when neither folder is given (the report then has sizes and latencies only)."""
    if eval_dir is not None:
        index = index_folder(eval_dir)
        refs, source = index.clips, f"{eval_dir.name} (all clips)"
    elif data_dir is not None:
        index = index_folder(data_dir, seed=seed)
        refs, source = index.test, f"{data_dir.name} (test split: {index.split_source})"
    else:
        return None
    clips, skipped = load_clips(refs, frames, size, sample_fps, name="evaluation clips")
    warn_skipped(skipped, len(refs))
    if not len(clips):
        raise BadInput(f"{index.root}: no usable evaluation clip")
    unknown = sorted(set(index.labels) - set(labels))
    if unknown:
        raise BadInput(f"{index.root}: classes {unknown} are not among the model's labels "
                       f"{labels}")
    to_model = np.array([labels.index(name) for name in index.labels])
    return EvalSet(clips, to_model[clips.y], source, len(skipped))
