"""Classification metrics for held-out clips: the numbers har-train and har-convert report.

Written on numpy alone (no scikit-learn in the environment) and pinned by a hand-computed test.
Conventions, chosen to match what the HAR papers report and scikit-learn's defaults:
- predictions are the argmax of `scores` (N, C); the confusion matrix has rows = true class,
  columns = predicted class;
- a ratio whose denominator is zero (precision of a never-predicted class, recall of a class
  absent from the test set) is 0.0, not NaN, so reports stay valid JSON;
- macro averages run over the classes that occur in the truth or the predictions: a class absent
  from the test split and never predicted says nothing about the model and must not count as 0;
- top-5 accuracy is reported only when there are at least five classes (None otherwise: with
  fewer, every sample is trivially "in the top 5");
- a model "has not learned" (`not_learned`) when its held-out accuracy is under twice chance
  (with two classes, where that would be 1.0: under halfway from chance to perfect, 0.75) or one
  class takes DOMINANT_SHARE of its predictions: deployed, a model that answers "fall" to every
  clip raises an alarm on every frame, whatever its accuracy on a balanced test split.

    report = classification_report(y_true, scores, labels)
    print(format_per_class_table(report)); plot_confusion(report["confusion"], labels, "cm.png")
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from tabulate import tabulate

from har_device.core.atomic import atomic_path

TOP_K = 5
DOMINANT_SHARE = 0.9


def classification_report(y_true: np.ndarray, scores: np.ndarray,
                          labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro precision/recall/F1, top-5, per-class rows and the confusion matrix.

    y_true: (N,) class indices; scores: (N, C) any per-class scores (softmax or logits);
    labels: the C class names in index order. Returns plain Python types (JSON-ready).
    """
    y_true, scores = _check(y_true, scores, labels)
    y_pred = scores.argmax(axis=1)
    confusion = confusion_matrix(y_true, y_pred, len(labels))
    true_positive = np.diag(confusion).astype(float)
    predicted, support = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = _ratio(true_positive, predicted)
    recall = _ratio(true_positive, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    present = (support > 0) | (predicted > 0)
    return {
        "n": int(len(y_true)),
        "accuracy": _ratio(true_positive.sum(), len(y_true)).item(),
        "precision_macro": _macro(precision, present),
        "recall_macro": _macro(recall, present),
        "f1_macro": _macro(f1, present),
        "top5_accuracy": top_k_accuracy(y_true, scores, TOP_K) if len(labels) >= TOP_K else None,
        "per_class": [{"label": label, "precision": float(p), "recall": float(r), "f1": float(f),
                       "support": int(s)}
                      for label, p, r, f, s in zip(labels, precision, recall, f1, support)],
        "confusion": confusion.tolist(),
    }


def not_learned(report: dict[str, Any]) -> str | None:
    """Why the model of `report` (a classification report or a har-convert stage entry: its
    `accuracy`, `per_class` and `confusion`) has not learned, in one sentence; None when it has."""
    confusion = np.asarray(report["confusion"])
    total, classes = int(confusion.sum()), len(confusion)
    if not total or classes < 2:
        return None
    reasons = []
    floor = min(2 / classes, (1 + 1 / classes) / 2)
    if report["accuracy"] < floor:
        reasons.append(f"held-out accuracy {report['accuracy']:.3f} is under twice chance "
                       f"({floor:.3f} for {classes} classes)")
    predicted = confusion.sum(axis=0)
    top = int(predicted.argmax())
    if predicted[top] >= DOMINANT_SHARE * total:
        reasons.append(f"it predicts {report['per_class'][top]['label']!r} for "
                       f"{predicted[top] / total:.0%} of {total} held-out clips")
    if not reasons:
        return None
    return ("the model has not learned: " + "; ".join(reasons)
            + " (train it longer, or from pretrained weights: har-train --weights)")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(C, C) int64 counts, rows = true class, columns = predicted class."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def top_k_accuracy(y_true: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Fraction of samples whose true class is among the k highest scores."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float((top == y_true[:, None]).any(axis=1).mean()) if len(y_true) else 0.0


def format_per_class_table(report: dict[str, Any]) -> str:
    """The per-class rows of a report as a markdown table (3 decimals)."""
    rows = [[row["label"], row["precision"], row["recall"], row["f1"], row["support"]]
            for row in report["per_class"]]
    return tabulate(rows, headers=["class", "precision", "recall", "F1", "support"],
                    tablefmt="github", floatfmt=".3f")


def format_summary_table(report: dict[str, Any]) -> str:
    """The headline numbers of a report as a two-column markdown table."""
    rows = [["clips", report["n"]], ["accuracy", report["accuracy"]],
            ["precision (macro)", report["precision_macro"]],
            ["recall (macro)", report["recall_macro"]], ["F1 (macro)", report["f1_macro"]]]
    if report["top5_accuracy"] is not None:
        rows.append(["top-5 accuracy", report["top5_accuracy"]])
    return tabulate(rows, headers=["metric", "value"], tablefmt="github", floatfmt=".3f")


def plot_confusion(confusion: Sequence[Sequence[int]], labels: Sequence[str], path: Path | str,
                   title: str) -> None:
    """Write the confusion matrix as an annotated PNG (rows = true), atomically. Matplotlib is
    imported here, when a plot is made: it would cost the commands' --help half a second."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    counts = np.asarray(confusion)
    side = 1.2 + 0.7 * len(labels)
    figure = Figure(figsize=(side + 1.5, side), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(counts, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=axes, fraction=0.046)
    ticks = range(len(labels))
    axes.set_xticks(ticks, labels, rotation=45, ha="right")
    axes.set_yticks(ticks, labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    threshold = counts.max() / 2 if counts.size else 0
    for (row, column), value in np.ndenumerate(counts):
        axes.text(column, row, str(value), ha="center", va="center",
                  color="white" if value > threshold else "black")
    with atomic_path(path, suffix=".png") as tmp:
        figure.savefig(tmp, format="png")


def _check(y_true: np.ndarray, scores: np.ndarray,
           labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape != (len(y_true), len(labels)):
        raise ValueError(f"scores must be (N={len(y_true)}, C={len(labels)}), got {scores.shape}")
    if len(y_true) and not (0 <= y_true.min() and y_true.max() < len(labels)):
        raise ValueError(f"y_true holds class indices outside 0..{len(labels) - 1}")
    return y_true.astype(np.int64), scores


def _ratio(numerator: np.ndarray | float, denominator: np.ndarray | float) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                     where=denominator > 0)


def _macro(values: np.ndarray, present: np.ndarray) -> float:
    return float(values[present].mean()) if present.any() else 0.0
