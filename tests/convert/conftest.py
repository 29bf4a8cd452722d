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
