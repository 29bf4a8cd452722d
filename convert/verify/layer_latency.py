"""The report's per-layer latency: the int8 model's operators timed one by one in LiteRT
(har_device.core.op_timing), summed per Keras layer (har_convert.prune.latency), before and after
pruning, as a markdown table and a bar chart (layer_latency.png).

The rows are the layers of the model before pruning, in model order, and the pruned model's
beside them; "before" exists only when a pruning stage ran."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tabulate import tabulate

from har_convert.prune.groups import analyse
from har_convert.prune.latency import PROFILE_THREADS, layer_latency
from har_device.core.atomic import atomic_path
from har_device.core.op_timing import time_operators

if TYPE_CHECKING:
    from har_convert.export.files import Bundle
    from har_convert.optimize import Optimized

CHART = "layer_latency.png"


def measure(bundle: Bundle, optimized: Optimized) -> dict[str, Any] | None:
    """{"before": ..., "after": ...}: per-layer timing of the unpruned int8 model (None when
    nothing was pruned) and of the bundle's model_int8.tflite; None when an operator cannot be
    run on its own (the report is about the model, the bundle does not depend on it)."""
    model = optimized.float_model
    try:
        profile = time_operators(bundle.files["model_int8.tflite"].path, PROFILE_THREADS)
    except (ValueError, RuntimeError):
        return None
    return {"before": optimized.details.get("prune", {}).get("latency_before"),
            "after": layer_latency(model, analyse(model), profile)}


def markdown(latency: dict[str, Any]) -> list[str]:
    before, after = latency["before"], latency["after"]
    columns = [("before", before), ("after", after)] if before else [("int8", after)]
    names = list(dict.fromkeys(row["layer"] for _, side in columns for row in side["layers"]))
    by_name = {label: {row["layer"]: row for row in side["layers"]} for label, side in columns}
    rows = []
    for name in names:
        cells = [name, ", ".join(next(by_name[label][name]["ops"] for label, _ in columns
                                      if name in by_name[label]))]
        for label, _ in columns:
            row = by_name[label].get(name)
            cells += ["-", "-"] if row is None else [f"{row['ms']:.3f}", f"{100 * row['share']:.1f}"]
        rows.append(cells)
    headers = ["layer", "operators"] + [f"{label} {unit}" for label, _ in columns
                                        for unit in ("ms", "%")]
    totals = "; ".join(f"{label}: operators {side['ops_sum_ms']:.3f} ms, whole model "
                       f"{side['whole_ms']:.3f} ms" for label, side in columns)
    return [f"## Latency per layer (int8, {after['threads']} thread, each operator timed alone "
            "in LiteRT)", "", tabulate(rows, headers=headers, tablefmt="github",
                                       disable_numparse=True), "", f"Totals: {totals}. "
            f"Chart: `{CHART}`.", ""]


def plot(latency: dict[str, Any], path: Path, title: str) -> None:
    """Horizontal bars, milliseconds per layer, before and after side by side."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    sides = [(label, latency[label]) for label in ("before", "after") if latency[label]]
    names = list(dict.fromkeys(row["layer"] for _, side in sides for row in side["layers"]))
    figure = Figure(figsize=(8, 1.2 + 0.22 * len(names)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    height = 0.8 / len(sides)
    for offset, (label, side) in enumerate(sides):
        ms = {row["layer"]: row["ms"] for row in side["layers"]}
        axes.barh([i + offset * height for i in range(len(names))],
                  [ms.get(name, 0.0) for name in names], height=height,
                  label=f"{label} ({side['ops_sum_ms']:.2f} ms)")
    axes.set_yticks([i + height * (len(sides) - 1) / 2 for i in range(len(names))], names,
                    fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel(f"ms per layer, int8, {latency['after']['threads']} thread")
    axes.set_title(title)
    axes.legend()
    with atomic_path(path, suffix=".png") as tmp:
        figure.savefig(tmp, format="png")
