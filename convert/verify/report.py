"""report.json, report.md, the confusion-matrix PNGs and the per-layer latency chart: what each stage did to size, accuracy
and latency, and the warnings a user must not miss (an accuracy drop, a quantization fallback).

Post-training int8 can collapse a video model's accuracy (docs/design.md, "Tool-chain facts"), so the int8 drop against
the float TFLite model is always computed when clips are available, and a drop beyond
WARN_DROP_POINTS is a warning; `--max-drop` makes it a failure (the bundle is still written).
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from tabulate import tabulate

from har_convert.settings import WARN_DROP_POINTS
from har_convert.train.metrics import not_learned, plot_confusion
from har_convert.verify import layer_latency

INT8_STAGES = ("int8", "streaming_int8")
METRIC_KEYS = ("accuracy", "f1_macro", "precision_macro", "recall_macro", "top5_accuracy")


def gzip_size(path: Path) -> int:
    """Compressed size: what a download or an over-the-air update of the file costs."""
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def stage_entry(*, size_bytes: int, gzip_bytes: int, metrics: dict[str, Any] | None,
                latency_ms_p50: float | None, **details: Any) -> dict[str, Any]:
    """One row of the report: the required keys first, then stage-specific details."""
    scores = {key: (metrics or {}).get(key) for key in METRIC_KEYS}
    entry = {"size_bytes": size_bytes, "gzip_bytes": gzip_bytes, **scores,
             "latency_ms_p50": latency_ms_p50, **details}
    if metrics:
        entry["per_class"] = metrics["per_class"]
        entry["confusion"] = metrics["confusion"]
    return entry


def accuracy_drops(stages: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Accuracy points each int8 stage lost against the float TFLite model."""
    reference = stages.get("float", {}).get("accuracy")
    if reference is None:
        return {}
    return {name: round(100.0 * (reference - stages[name]["accuracy"]), 2)
            for name in INT8_STAGES
            if name in stages and stages[name].get("accuracy") is not None}


def warnings_for(stages: dict[str, dict[str, Any]], drops: dict[str, float]) -> list[str]:
    """The accuracy drops over WARN_DROP_POINTS, the dynamic-range fallbacks, and a source model
    that has not learned (converting it faithfully would ship a model that is wrong anyway)."""
    unlearned = not_learned(stages["keras"]) if "confusion" in stages.get("keras", {}) else None
    warnings = [f"keras: {unlearned}"] if unlearned else []
    warnings += [f"{name}: accuracy {drop:.1f} points below the float model"
                for name, drop in drops.items() if drop > WARN_DROP_POINTS]
    warnings += [f"{name}: {entry['quantization']}" for name, entry in stages.items()
                 if str(entry.get("quantization", "")).startswith("dynamic-range")]
    return warnings


def write_report(directory: Path, report: dict[str, Any], labels: list[str]) -> None:
    """report.json, report.md and confusion_<stage>.png for each evaluated stage."""
    for name, entry in report["stages"].items():
        if "confusion" in entry:
            png = f"confusion_{name}.png"
            plot_confusion(entry["confusion"], labels, directory / png,
                           title=f"{report['name']}: {name} (accuracy {entry['accuracy']:.3f})")
            entry["confusion_png"] = png
    if report.get("layer_latency"):
        layer_latency.plot(report["layer_latency"], directory / layer_latency.CHART,
                           f"{report['name']}: int8 latency per layer")
    (directory / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (directory / "report.md").write_text(markdown(report))


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# har-convert report: {report['name']}", "",
             f"Source `{report['source_model']['path']}` ({report['source_model']['flavour']}), "
             f"mode **{report['mode']}**, T = {report['frames']}, input {_input_text(report)}; "
             f"evaluated on "
             f"{report['evaluation']['clips']} held-out clips from "
             f"`{report['evaluation']['source']}`.", "",
             summary_table(report, "github"), ""]
    rewrites = report["bridge"]["rewrites"]
    if rewrites:
        lines += ["## Rewritten for builtin int8 operators", "",
                  *[f"- `{name}`: {summary}" for name, summary in rewrites.items()], ""]
    if report.get("layer_latency"):
        lines += layer_latency.markdown(report["layer_latency"])
    if report["warnings"]:
        lines += ["## Warnings", "", *[f"- {warning}" for warning in report["warnings"]], ""]
    return "\n".join(lines)


def _input_text(report: dict[str, Any]) -> str:
    if "keypoints" in report:
        described = report["keypoints"]
        return (f"{described['keypoints']} keypoints × ({', '.join(described['per_keypoint'])}) "
                f"({described['normalisation']} v{described['version']})")
    return f"{report['input']['height']}x{report['input']['width']}"


def summary_table(report: dict[str, Any], style: str = "simple") -> str:
    """One row per stage: quantization, sizes, accuracy/F1, agreement, latency, XNNPACK share."""
    rows = []
    for name, entry in report["stages"].items():
        xnnpack = entry.get("xnnpack")
        rows.append([
            name, entry.get("quantization", "-").split(":")[0], _count(entry.get("params")),
            _count(entry.get("macs_per_clip")), _kib(entry["size_bytes"]),
            _kib(entry["gzip_bytes"]), _num(entry["accuracy"]), _num(entry["f1_macro"]),
            _num(entry.get("agreement_vs_float")), _num(entry["latency_ms_p50"], 2),
            _num(entry.get("latency_ms_p50_1thread"), 2),
            f"{xnnpack['delegated']}/{xnnpack['total']}" if xnnpack else "-"])
    headers = ["stage", "quantization", "params", "MACs/clip", "size KiB", "gzip KiB",
               "accuracy", "F1 macro", "agree vs float", "p50 ms", "p50 ms 1 thread",
               "XNNPACK nodes"]
    return tabulate(rows, headers=headers, tablefmt=style, disable_numparse=True)


def _count(value: int | None) -> str:
    """1234567 -> "1.23M": parameters and MACs at a glance."""
    if value is None:
        return "-"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return str(value)


def _kib(size: int | None) -> str:
    return "-" if size is None else f"{size / 1024:.1f}"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
