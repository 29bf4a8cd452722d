"""`har-bench`: time a model or a whole bundle on the device; a table on the terminal, JSON on request."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

import har_device
from har_device.bench.end_to_end import pipeline_bench
from har_device.bench.model import (
    compare,
    frame_inputs,
    host_facts,
    measure,
    thermal_state,
    timing_dict,
)
from har_device.cli.entry import common_options, run_cli
from har_device.core.atomic import write_text_atomic
from har_device.core.bundle import POSE_ROLES, InputSpec, load_bundle
from har_device.core.errors import BadInput
from har_device.core.litert import TFLiteModel

SCHEMA = "har-bench/1"


def _thread_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise BadInput(f"--threads {text!r}: expected a comma-separated list such as 1,2,4")
    return counts


def _models(target: Path) -> tuple[list[tuple[str, Path]], InputSpec | None]:
    """The .tflite files to time: the target itself, or every model of a bundle with its role (the
    pose stage's models are timed as a stage, inside the pipeline: `--pipeline`)."""
    if target.is_dir():
        meta = load_bundle(target)
        return [(entry.role, target / name) for name, entry in meta.files.items()
                if entry.role not in POSE_ROLES], meta.input
    if target.suffix != ".tflite" or not target.is_file():
        raise BadInput(f"{target}: expected a .tflite file or a bundle directory")
    return [("model", target)], None


def _inputs(path: Path, source: str | None, spec: InputSpec | None) -> list | None:
    if not source:
        return None
    tensor = TFLiteModel(path).input
    shape = tensor.shape
    return frame_inputs(tensor, source, spec or InputSpec(height=shape[-3], width=shape[-2]))


@click.command(help="Benchmark a .tflite model or a har-edge bundle on this device.")
@click.argument("target", type=click.Path(path_type=Path, exists=True))
@click.option("--threads", default="1", show_default=True, help="thread counts, e.g. 1,2,4")
@click.option("--runs", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--warmup", default=5, show_default=True, type=click.IntRange(min=0))
@click.option("--min-secs", default=1.0, show_default=True, type=click.FloatRange(min=0))
@click.option("--source", help="take inputs from real frames: a video file or synthetic:")
@click.option("--compare", "other", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="a second .tflite to run in alternation with TARGET; prints the ratios")
@click.option("--pipeline", help="time the whole agent pipeline of bundle TARGET on this source")
@click.option("--frames", default=200, show_default=True, type=click.IntRange(min=10),
              help="frames for --pipeline")
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="write the results here")
@common_options(har_device.__version__)
def cli(target: Path, threads: str, runs: int, warmup: int, min_secs: float, source: str | None,
        other: Path | None, pipeline: str | None, frames: int, json_out: Path | None) -> None:
    counts = _thread_counts(threads)
    if pipeline and not target.is_dir():
        raise BadInput("--pipeline needs a bundle directory as TARGET")
    models, spec = _models(target)
    report: dict[str, Any] = {"schema": SCHEMA, "created": datetime.now(timezone.utc).isoformat(
        timespec="seconds"), "target": str(target), "host": host_facts(),
        "thermal_before": thermal_state(), "models": [], "compare": None, "pipeline": None}
    for role, path in models:
        inputs = _inputs(path, source, spec)
        report["models"].append({
            "role": role, "path": str(path), "size_bytes": path.stat().st_size,
            "inputs": "frames" if inputs else "random",
            "results": [timing_dict(measure(path, count, inputs, runs, warmup, min_secs))
                        for count in counts]})
    if other:
        first = models[0][1]
        report["compare"] = compare(first, other, counts[0], max(runs, 20), (
            _inputs(first, source, spec), _inputs(other, source, spec)))
    if pipeline:
        report["pipeline"] = pipeline_bench(target, pipeline, frames, counts[0])
    report["thermal_after"] = thermal_state()
    click.echo(format_report(report))
    if json_out:
        write_text_atomic(json_out, json.dumps(report, indent=2) + "\n")


def format_report(report: dict[str, Any]) -> str:
    rows = [[Path(model["path"]).name, model["role"], f"{model['size_bytes'] / 1024:.0f}",
             result["threads"], result["init_ms"], result["first_ms"], result["mean_ms"],
             result["std_ms"], result["p50_ms"], result["p90_ms"], result["p99_ms"],
             result["max_ms"], result["peak_rss_mb"]]
            for model in report["models"] for result in model["results"]]
    parts = [tabulate(rows, headers=["model", "role", "KiB", "thr", "init", "first", "mean", "std",
                                     "p50", "p90", "p99", "max", "peak MB"], floatfmt=".2f")]
    if report["compare"]:
        cmp = report["compare"]
        parts.append(f"compare ({cmp['threads']} thread(s), {cmp['runs']} alternating runs): "
                     f"mean x{cmp['mean_ratio']:.2f}, p50 x{cmp['p50_ratio']:.2f}, "
                     f"size x{cmp['size_ratio']:.2f} ({Path(cmp['models'][1]['path']).name} vs "
                     f"{Path(cmp['models'][0]['path']).name})")
    if report["pipeline"]:
        parts.append(_format_pipeline(report["pipeline"]))
    temp = report["thermal_before"]["cpu_temp_c"], report["thermal_after"]["cpu_temp_c"]
    if temp[0] is not None:
        parts.append(f"CPU temperature {temp[0]:.1f} → {temp[1]:.1f} °C")
    return "\n\n".join(parts)


def _format_pipeline(pipeline: dict[str, Any]) -> str:
    rows = []
    for mode, result in pipeline["modes"].items():
        stages = result["stages_ms"]
        rows.append([mode, result["fps"], result["dropped"], pipeline["decode_ms"]["p50"],
                     *(stages.get(f"{stage}_ms", {}).get("p50", 0.0) for stage in
                       ("preprocess", "pose", "inference", "postprocess", "total")),
                     stages["total_ms"]["p99"], f"{result['overhead_vs_inference']:.1%}"])
    table = tabulate(rows, headers=["pipeline", "fps", "dropped", "decode", "preprocess", "pose",
                                    "inference", "events", "total p50", "total p99",
                                    "overhead"], floatfmt=".2f")
    ratio = pipeline.get("streaming_vs_clip")
    if ratio:
        table += (f"\nstreaming/clip compute per output: {ratio['compute_ratio']:.3f} "
                  f"(target ≤ 1.5/T = {ratio['target']:.3f})")
    return table


main = run_cli(cli, "har-bench")
