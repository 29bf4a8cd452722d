"""The comparative benchmark suite: what each optimisation buys, per architecture, on this machine.

    .venv/bin/python benchmarks/suite.py [--archs lrcn,mnv2-tcn] [--work benchmarks/work]

For the demo model (LRCN, trained as the demo trains it) and a MobileNetV2-0.35 + TCN at 96 px
(a depthwise CNN, trained as the zoo trains it at 64 px: 6 epochs, 0.390 there), trained
on the demo's synthetic dataset with the real commands (`har-synth`, `har-train`, `har-convert`),
it times in one process per architecture, with the same threads: the Keras model in TensorFlow
(what a user would otherwise run), float TFLite, dynamic-range TFLite, full-int8 PTQ, QAT int8,
pruned (+QAT) int8, and streaming against clip. Accuracy comes from the same held-out split for
every stage. Writes `benchmarks/results/suite.{json,md}` and PNG plots (latency against accuracy,
size per stage). Every step reuses its outputs when they exist, so an interrupted run resumes.
"""
from __future__ import annotations

import gzip
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from har_convert.recipes import (CONVERT_OPTIONS, DATASET_OPTIONS, DEMO_SEED, LATENCY_OPTIONS,
                                 TRAIN_OPTIONS)
from provenance import provenance, provenance_line

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BIN = Path(sys.executable).parent
DATA_ARGS = [*DATASET_OPTIONS, "--seed", str(DEMO_SEED)]
# The zoo's recipe for the small pixel models (benchmarks/zoo.py): 8 frames at 4 fps, no dropout or
# augmentation, the learning rate decayed along a cosine to 5 %.
SMALL_INPUT = ["--frames", "8", "--sample-fps", "4", "--dropout", "0", "--no-augment",
               "--seed", str(DEMO_SEED)]
DECAY = ["--lr-final", "0.05"]
ARCHS: dict[str, list[str]] = {
    "lrcn": [*TRAIN_OPTIONS, "--seed", str(DEMO_SEED)],
    "mnv2-tcn": ["--alpha", "0.35", "--size", "96", *SMALL_INPUT, *DECAY, "--epochs", "6"],
}
# Built in this order (the unpruned QAT model and the latency-aware one first: prune_qat.py
# compares them).
VARIANTS: dict[str, list[str]] = {
    "qat": ["--qat-epochs", "1"],
    "latency": LATENCY_OPTIONS,
    "pruned": CONVERT_OPTIONS,
    "ptq": ["--no-qat"],
}
# A pruned network relearns much of what it knew: mnv2-tcn halved scores chance before
# fine-tuning and 0.445 after 2 epochs at its own rate (0.598 unpruned), 0.653 after 6, as many
# as it trained; the LRCN keeps the recipe's 2.
FINETUNE_EPOCHS = {"mnv2-tcn": 6}
THREADS = (1, 2)


def variant_options(arch: str, variant: str) -> list[str]:
    """har-convert's options for one variant of one architecture."""
    options = list(VARIANTS[variant])
    if arch in FINETUNE_EPOCHS and "--finetune-epochs" in options:
        options[options.index("--finetune-epochs") + 1] = str(FINETUNE_EPOCHS[arch])
    return options


def sh(command: list[Any], log: Path) -> None:
    """Run one of the project's commands, its output in `log`; stop the suite if it fails."""
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run([str(part) for part in command], stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise click.ClickException(f"{Path(str(command[0])).name} failed ({done.returncode}); "
                                   f"see {log}")
    click.echo(f"  {Path(str(command[0])).name} … {time.monotonic() - started:.0f} s")


def build(work: Path, arch: str, variants: tuple[str, ...] = tuple(VARIANTS)) -> dict[str, Path]:
    """Data, trained model and one bundle per variant (each skipped when it exists)."""
    data, folder = work / "data", work / arch
    folder.mkdir(parents=True, exist_ok=True)
    if not (data / "classInd.txt").exists():
        sh([BIN / "har-synth", "dataset", data, *DATA_ARGS, "--force"], work / "synth.log")
    model = folder / "model.keras"
    if not model.exists():
        sh([BIN / "har-train", "--arch", arch, "--data", data, *ARCHS[arch], "--quiet",
            "--out", model], folder / "train.log")
    bundles = {}
    for variant in variants:
        options, bundle = variant_options(arch, variant), folder / variant
        if not (bundle / "report.json").exists():
            sh([BIN / "har-convert", model, "--data", data, "--out", bundle, *options],
               folder / f"convert-{variant}.log")
        bundles[variant] = bundle
    return bundles


def dynamic_range(model_path: Path, out: Path) -> Path:
    """int8 weights, float activations: the converter's other common mode, for comparison."""
    from har_convert.bridge.rebuild import Bridge
    from har_convert.quantize.tflite import export_saved_model, run_worker
    from har_convert.source.load import load_keras

    if out.exists():
        return out
    loaded = load_keras(model_path)
    shape = tuple(loaded.model.input_shape[1:])
    tf_model = Bridge().model(loaded.model, input_shape=shape)
    with tempfile.TemporaryDirectory() as tmp:
        saved = export_saved_model(tf_model, shape, Path(tmp) / "sm")
        run_worker("dynamic", saved, out, None)
    return out


def timings(path: Path) -> dict[str, float]:
    from har_device.bench.model import measure

    return {f"p50_ms_{threads}t": round(measure(path, threads, None, 30, 3, 1.0).p50_ms, 3)
            for threads in THREADS}


def keras_timing(model_path: Path) -> float:
    from har_convert.source.load import load_keras
    from har_convert.verify.scoring import keras_latency_ms

    model = load_keras(model_path).model
    return round(keras_latency_ms(model, tuple(model.input_shape[1:])), 3)


def accuracy_of(path: Path, bundle: Path, data: Path) -> dict[str, float]:
    """Held-out accuracy/F1 of a .tflite har-convert did not evaluate (the dynamic-range one)."""
    from har_convert.data.eval_set import load_eval_set
    from har_convert.train.metrics import classification_report
    from har_convert.verify.scoring import tflite_scores
    from har_device.core.bundle import load_bundle

    meta = load_bundle(bundle)
    evaluation = load_eval_set(None, data, meta.labels, meta.frames, meta.input.height,
                               meta.sample_fps)
    scores = tflite_scores(path, evaluation.inputs(), meta.mode == "frame")
    metrics = classification_report(evaluation.y, scores, meta.labels)
    return {"accuracy": metrics["accuracy"], "f1_macro": metrics["f1_macro"]}


def stage(report: dict[str, Any], name: str) -> dict[str, Any]:
    return report["stages"].get(name) or {}


def measure_arch(work: Path, arch: str, bundles: dict[str, Path]) -> dict[str, Any]:
    from har_device.bench.end_to_end import pipeline_bench

    reports = {variant: json.loads((bundle / "report.json").read_text())
               for variant, bundle in bundles.items()}
    ptq, qat, pruned = bundles["ptq"], bundles["qat"], bundles["pruned"]
    model_path = work / arch / "model.keras"
    dynamic = dynamic_range(model_path, work / arch / "model_dynamic.tflite")
    rows = {
        "keras (TensorFlow)": {**_metrics(stage(reports["ptq"], "keras")),
                               "size_bytes": model_path.stat().st_size,
                               "p50_ms_tf": keras_timing(model_path)},
        "float TFLite": {**_metrics(stage(reports["ptq"], "float")),
                         **_sizes(ptq / "model_float.tflite"),
                         **timings(ptq / "model_float.tflite")},
        "dynamic-range TFLite": {**accuracy_of(dynamic, ptq, work / "data"),
                                 **_sizes(dynamic),
                                 **timings(dynamic)},
        "int8 PTQ": {**_metrics(stage(reports["ptq"], "int8")), **_sizes(ptq / "model_int8.tflite"),
                     **timings(ptq / "model_int8.tflite")},
        "int8 QAT": {**_metrics(stage(reports["qat"], "int8")), **_sizes(qat / "model_int8.tflite"),
                     **timings(qat / "model_int8.tflite")},
        "int8 pruned 0.5 + QAT": {**_metrics(stage(reports["pruned"], "int8")),
                                  **_sizes(pruned / "model_int8.tflite"),
                                  **timings(pruned / "model_int8.tflite")},
        "int8 latency-aware 0.5 + QAT": {**_metrics(stage(reports["latency"], "int8")),
                                         **_sizes(bundles["latency"] / "model_int8.tflite"),
                                         **timings(bundles["latency"] / "model_int8.tflite")},
    }
    result: dict[str, Any] = {"arch": arch, "stages": rows,
                              "complexity": {variant: report.get("complexity")
                                             for variant, report in reports.items()}}
    if (ptq / "frame_int8.tflite").exists():
        pipeline = pipeline_bench(ptq, "synthetic:walk:4,fall:3,idle:3;fps=8;size=112", 120, 1)
        result["streaming_vs_clip"] = pipeline.get("streaming_vs_clip")
        result["pipeline"] = {
            mode: {"fps": value["fps"], "overhead_vs_inference": value["overhead_vs_inference"],
                   "inference_ms_mean": value["stages_ms"]["inference_ms"]["mean"]}
            for mode, value in pipeline["modes"].items()}
    return result


def _metrics(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: entry.get(key) for key in ("accuracy", "f1_macro")}


def _sizes(path: Path) -> dict[str, int]:
    return {"size_bytes": path.stat().st_size, "gzip_bytes": len(gzip.compress(path.read_bytes()))}


def markdown(results: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    from tabulate import tabulate

    archs = ",".join(result["arch"] for result in results)
    lines = ["# har-edge benchmark suite", "", provenance_line(machine["provenance"]), "",
             f"Command: `.venv/bin/python benchmarks/suite.py --archs {archs}`", "",
             f"Machine: {machine['system']}, {machine['cpu_count']} cores, Python "
             f"{machine['python']}, {machine['date']}. Latency: median of one inference "
             f"(batch 1, one clip), 1 and 2 threads, XNNPACK; accuracy on the held-out split.", ""]
    for result in results:
        rows = []
        float_ms = result["stages"]["float TFLite"].get("p50_ms_1t")
        for name, row in result["stages"].items():
            ms = row.get("p50_ms_1t", row.get("p50_ms_tf"))
            rows.append([name, _kib(row.get("size_bytes")), _kib(row.get("gzip_bytes")),
                         _fmt(row.get("accuracy")), _fmt(row.get("f1_macro")), _fmt(ms, 2),
                         _fmt(row.get("p50_ms_2t"), 2),
                         _fmt(ms / float_ms if ms and float_ms else None, 2)])
        lines += [f"## {result['arch']}", "",
                  "Pruned variants: " + "; ".join(
                      f"`{' '.join(variant_options(result['arch'], v))}`"
                      for v in ("pruned", "latency")) + ".", "",
                  tabulate(rows, headers=["stage", "KiB", "gzip KiB", "accuracy", "macro-F1",
                                          "ms (1 thr)", "ms (2 thr)", "× float"],
                           tablefmt="github"), ""]
        ratio = result.get("streaming_vs_clip")
        if ratio:
            lines += [f"Streaming vs clip, compute per output at stride 1: "
                      f"{ratio['compute_ratio']:.3f} (target ≤ 1.5/T = {ratio['target']:.3f}); "
                      f"agent overhead vs inference: " + ", ".join(
                          f"{mode} {value['overhead_vs_inference']:.1%}"
                          for mode, value in result["pipeline"].items()), ""]
    return "\n".join(lines)


def _kib(size: int | None) -> str:
    return "—" if size is None else f"{size / 1024:.0f}"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def plots(results: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 5))
    for result in results:
        points = [(row.get("p50_ms_1t"), row.get("accuracy"), name)
                  for name, row in result["stages"].items()
                  if row.get("p50_ms_1t") and row.get("accuracy") is not None]
        axis.plot([p[0] for p in points], [p[1] for p in points], "o", label=result["arch"])
        for ms, accuracy, name in points:
            axis.annotate(name.replace(" TFLite", ""), (ms, accuracy), fontsize=6)
    axis.set(xscale="log", xlabel="latency, ms (1 thread, log)", ylabel="held-out accuracy",
             title="Latency against accuracy per stage")
    axis.legend()
    figure.tight_layout()
    figure.savefig(RESULTS / "suite_latency_accuracy.png", dpi=120)
    figure, axis = plt.subplots(figsize=(8, 5))
    names = list(results[0]["stages"])
    width = 0.8 / len(results)
    for offset, result in enumerate(results):
        sizes = [result["stages"][name].get("size_bytes", 0) / 1024 for name in names]
        axis.bar(np.arange(len(names)) + offset * width, sizes, width, label=result["arch"])
    axis.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=20, ha="right",
                    fontsize=7)
    axis.set(yscale="log", ylabel="KiB (log)", title="Model size per stage")
    axis.legend()
    figure.tight_layout()
    figure.savefig(RESULTS / "suite_sizes.png", dpi=120)


@click.command()
@click.option("--archs", default=",".join(ARCHS), show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=HERE / "work", show_default=True)
def main(archs: str, work: Path) -> None:
    from har_device.bench.model import host_facts

    results = []
    for arch in archs.split(","):
        click.secho(f"{arch}", bold=True)
        bundles = build(work, arch)
        results.append(measure_arch(work, arch, bundles))
    machine = {**host_facts(), "date": time.strftime("%Y-%m-%d"), "node": platform.node(),
               "provenance": provenance(f"{archs} trained and converted by the demo recipe "
                                        "(convert.recipes) on its synthetic data")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "suite.json").write_text(json.dumps({"machine": machine, "results": results},
                                                   indent=2) + "\n")
    (RESULTS / "suite.md").write_text(markdown(results, machine) + "\n")
    plots(results)
    click.echo(markdown(results, machine))


if __name__ == "__main__":
    main()
