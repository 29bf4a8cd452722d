"""har_convert.train.metrics against numbers worked out by hand, the zero-division cases and top-5."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from har_convert.train.metrics import (
    classification_report,
    format_per_class_table,
    format_summary_table,
    not_learned,
    plot_confusion,
)

LABELS = ["a", "b", "c"]
Y_TRUE = np.array([0, 0, 0, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 0, 1, 1, 1, 2, 0, 0])


def scores_for(predicted: np.ndarray, classes: int) -> np.ndarray:
    """Softmax-like scores whose argmax is `predicted`."""
    scores = np.full((len(predicted), classes), 0.1)
    scores[np.arange(len(predicted)), predicted] = 0.8
    return scores


def test_hand_computed_example() -> None:
    # Confusion (rows true a,b,c; columns predicted a,b,c):
    #   a: 2 1 0    b: 0 2 0    c: 2 0 1
    # true positives 2,2,1; predicted (column sums) 4,3,1; support (row sums) 3,2,3
    # precision: a 2/4 = 0.5, b 2/3, c 1/1 = 1.0
    # recall:    a 2/3,       b 2/2 = 1.0, c 1/3
    # F1 = 2PR/(P+R): a 2*(1/2)(2/3)/(7/6) = 4/7, b 2*(2/3)/(5/3) = 4/5, c 2*(1/3)/(4/3) = 1/2
    # accuracy 5/8; macro P (1/2 + 2/3 + 1)/3 = 13/18; macro R (2/3 + 1 + 1/3)/3 = 2/3;
    # macro F1 (4/7 + 4/5 + 1/2)/3 = 131/210
    report = classification_report(Y_TRUE, scores_for(Y_PRED, 3), LABELS)
    assert report["confusion"] == [[2, 1, 0], [0, 2, 0], [2, 0, 1]]
    assert report["n"] == 8
    assert report["accuracy"] == pytest.approx(5 / 8)
    assert report["precision_macro"] == pytest.approx(13 / 18)
    assert report["recall_macro"] == pytest.approx(2 / 3)
    assert report["f1_macro"] == pytest.approx(131 / 210)
    assert report["top5_accuracy"] is None
    rows = {row["label"]: row for row in report["per_class"]}
    assert [rows[k]["precision"] for k in LABELS] == pytest.approx([1 / 2, 2 / 3, 1.0])
    assert [rows[k]["recall"] for k in LABELS] == pytest.approx([2 / 3, 1.0, 1 / 3])
    assert [rows[k]["f1"] for k in LABELS] == pytest.approx([4 / 7, 4 / 5, 1 / 2])
    assert [rows[k]["support"] for k in LABELS] == [3, 2, 3]


def test_never_predicted_class_scores_zero_not_nan() -> None:
    # Class c is true twice and never predicted: its precision 0/0 -> 0, recall 0/2 -> 0.
    y_true, y_pred = np.array([0, 1, 2, 2]), np.array([0, 1, 0, 1])
    report = classification_report(y_true, scores_for(y_pred, 3), LABELS)
    c = report["per_class"][2]
    assert (c["precision"], c["recall"], c["f1"], c["support"]) == (0.0, 0.0, 0.0, 2)
    # a: P 1/2, R 1; b: P 1/2, R 1; c: 0, 0 -> macro P 1/3, macro R 2/3
    assert report["precision_macro"] == pytest.approx(1 / 3)
    assert report["recall_macro"] == pytest.approx(2 / 3)


def test_class_absent_from_truth_and_predictions_is_left_out_of_macro() -> None:
    # Only a and b occur; both perfect. c (support 0, never predicted) must not pull macro to 2/3.
    y = np.array([0, 1, 1])
    report = classification_report(y, scores_for(y, 3), LABELS)
    assert report["per_class"][2]["support"] == 0
    assert report["precision_macro"] == report["recall_macro"] == report["f1_macro"] == 1.0


def test_class_predicted_but_absent_from_truth_counts_in_macro() -> None:
    # c is predicted once but never true: precision 0/1 = 0, recall 0/0 -> 0, and it counts.
    y_true, y_pred = np.array([0, 1, 1]), np.array([0, 1, 2])
    report = classification_report(y_true, scores_for(y_pred, 3), LABELS)
    # precision a 1, b 1, c 0 -> 2/3; recall a 1, b 1/2, c 0 -> 1/2
    assert report["precision_macro"] == pytest.approx(2 / 3)
    assert report["recall_macro"] == pytest.approx(1 / 2)


def test_top5_counts_the_true_class_anywhere_in_the_five_best() -> None:
    labels = [f"k{i}" for i in range(7)]
    ranking = np.array([6, 5, 4, 3, 2, 1, 0], dtype=float)  # class 0 best ... class 6 worst
    scores = np.tile(ranking, (4, 1))
    y_true = np.array([0, 4, 5, 6])  # ranks 1 and 5 are in the top 5; ranks 6 and 7 are not
    report = classification_report(y_true, scores, labels)
    assert report["top5_accuracy"] == pytest.approx(2 / 4)
    assert report["accuracy"] == pytest.approx(1 / 4)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="scores must be"):
        classification_report(Y_TRUE, scores_for(Y_PRED, 3)[:, :2], LABELS)
    with pytest.raises(ValueError, match="outside"):
        classification_report(np.array([0, 3]), scores_for(np.array([0, 1]), 3), LABELS)


def test_tables_list_every_class_and_headline() -> None:
    report = classification_report(Y_TRUE, scores_for(Y_PRED, 3), LABELS)
    table = format_per_class_table(report).splitlines()
    assert [cell.strip() for cell in table[0].split("|")[1:-1]] == \
        ["class", "precision", "recall", "F1", "support"]
    assert [line.split("|")[1].strip() for line in table[2:]] == LABELS
    assert "0.571" in table[2] and "0.667" in table[2]
    summary = format_summary_table(report)
    assert "| accuracy " in summary and "0.625" in summary and "top-5" not in summary


def test_confusion_png_is_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "cm.png"
    plot_confusion([[2, 1, 0], [0, 2, 0], [2, 0, 1]], LABELS, path, "test split")
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert [p.name for p in tmp_path.iterdir()] == ["cm.png"]


def test_not_learned_names_chance_accuracy_and_a_dominant_class() -> None:
    labels = ["fall", "walk", "idle"]
    truth = np.repeat([0, 1, 2], 10)
    one_class = classification_report(truth, np.tile([1.0, 0.0, 0.0], (30, 1)), labels)
    assert not_learned(one_class) == (
        "the model has not learned: held-out accuracy 0.333 is under twice chance (0.667 for 3 "
        "classes); it predicts 'fall' for 100% of 30 held-out clips (train it longer, or from "
        "pretrained weights: har-train --weights)")
    assert not_learned(classification_report(truth, np.eye(3)[truth], labels)) is None


def test_not_learned_catches_a_dominant_class_behind_a_good_accuracy() -> None:
    truth = np.array([0] * 19 + [1])
    report = classification_report(truth, np.tile([1.0, 0.0], (20, 1)), ["idle", "fall"])
    assert report["accuracy"] == 0.95
    assert not_learned(report).endswith("it predicts 'idle' for 100% of 20 held-out clips "
                                        "(train it longer, or from pretrained weights: "
                                        "har-train --weights)")
    half = classification_report(np.array([0, 0, 1, 1]), np.eye(2)[[0, 1, 0, 1]],
                                 ["idle", "fall"])
    assert "under twice chance (0.750 for 2 classes)" in not_learned(half)
