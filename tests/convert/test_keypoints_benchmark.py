"""benchmarks/keypoints.py's own logic: the recipe's options varied for the other head and for the
unpruned conversion, and the pose-stage check's counts (its figures come from a full run)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from keypoints import outcome, with_arch, without_pruning  # noqa: E402

from har_convert.recipes import KEYPOINT_TRAIN_OPTIONS  # noqa: E402


def test_with_arch_changes_the_architecture_only() -> None:
    expected = list(KEYPOINT_TRAIN_OPTIONS)
    expected[expected.index("--arch") + 1] = "kp-tcn"
    assert with_arch(KEYPOINT_TRAIN_OPTIONS, "kp-tcn") == expected


def test_without_pruning_drops_the_ratio_and_keeps_the_rest() -> None:
    assert without_pruning(["--prune", "0.5", "--qat-epochs", "1"]) == ["--qat-epochs", "1"]
    assert without_pruning(["--qat-epochs", "1"]) == ["--qat-epochs", "1"]


def test_outcome_counts_the_fall_detectors_errors() -> None:
    labels = ["fall", "walk", "sit", "lying"]
    truth = np.array([0, 0, 0, 1, 2, 2])
    predicted = np.array([0, 3, 0, 0, 2, 3])
    result = outcome(predicted, truth, labels)
    assert result["accuracy"] == 0.5
    assert (result["falls_caught"], result["falls"]) == (2, 3)
    assert (result["non_falls_called_fall"], result["non_falls"]) == (1, 3)
    assert result["confusions"] == {"fall -> lying": 1, "walk -> fall": 1, "sit -> lying": 1}
