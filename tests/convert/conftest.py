"""Shared host-side fixtures (session-scoped, tiny). Video helpers live in tiny_videos.py."""
from __future__ import annotations

from pathlib import Path

import pytest

from tiny_videos import write_ucf_tree


@pytest.fixture(scope="session")
def tiny_ucf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 classes x 4 groups x 1 clip, 8 frames at 8 fps, 48 px, with classInd and split files."""
    return write_ucf_tree(tmp_path_factory.mktemp("tiny_ucf"))


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 classes x 4 groups x 2 clips without classInd or split files (a generated split)."""
    return write_ucf_tree(tmp_path_factory.mktemp("tiny_folder"), clips_per_group=2,
                          split_files=False)


# --- pruning, sparsity and QAT (helper F) ------------------------------------------------------
TINY_ZOO = {"mnv2-tcn": {"frames": 4, "size": 32, "alpha": 0.35},
            "mnv2-bilstm": {"frames": 4, "size": 32, "alpha": 0.35},
            "lrcn": {"frames": 4, "size": 32},
            "resnet34-frame": {"size": 32}}


@pytest.fixture(scope="session")
def tiny_tf_keras():
    """Factory: zoo architecture `name` (TINY_ZOO sizes, 3 classes, seeded) bridged to tf_keras,
    built once per session and shared: tests that change weights work on a copy."""
    import keras

    from har_convert.bridge import Bridge
    from har_convert.zoo import build

    models = {}

    def get(name: str):
        if name not in models:
            keras.utils.set_random_seed(0)
            models[name] = Bridge().model(build(name, num_classes=3, **TINY_ZOO[name]))
        return models[name]

    return get


@pytest.fixture(scope="session")
def tiny_clips(tiny_folder: Path):
    """tiny_folder loaded as 4-frame 32-px clips (3 classes), for fine-tuning and QAT steps."""
    from har_convert.data import load_dataset

    return load_dataset(tiny_folder, frames=4, size=32, progress=False)
