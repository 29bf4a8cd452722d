"""Issue 25's figures: the 3D-convolution zoo models through the bridge's rewrites to full int8.

    .venv/bin/python benchmarks/c3d.py [--work benchmarks/work/c3d] [--threads 1,2] [--runs 50]

c3d-lite (four Conv3D + MaxPooling3D blocks) and r2plus1d-lite ((2+1)D residual blocks) are each
trained on the demo's `har-synth` data with the demo's training recipe (`har_convert.recipes`: T=8
at 4 fps, 64 px), then converted twice
with the real commands: as it is (one QAT epoch) and with the demo's `--prune 0.5` recipe. For
each bundle the full-int8 and float32 `.tflite` (both the rewritten graph: Conv2D slices, 2D
pooling) are timed in one process, invoked in alternation (`har_device.bench.model.compare`), per
thread count. Accuracy is har-convert's, on the held-out split. Each step is skipped when its output
exists. Writes `benchmarks/results/c3d.json` and `.md` with the commands.
"""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import click
from suite import BIN, RESULTS, sh
from tabulate import tabulate

from har_convert.recipes import (CONVERT_OPTIONS, DATASET_OPTIONS, DEMO_SEED, QAT_OPTIONS,
                                 TRAIN_OPTIONS)
from har_device.bench.model import compare

ARCHS = ("c3d-lite", "r2plus1d-lite")
CONVERSIONS = {"plain": QAT_OPTIONS, "pruned": CONVERT_OPTIONS}


def commands(work: Path, arch: str) -> dict[str, list[str]]:
    """Every command of one architecture's run, in order, by the name of its output."""
    data, model = work / "data", work / arch / f"{arch}.keras"
    steps = {
        "data": [BIN / "har-synth", "dataset", data, *DATASET_OPTIONS, "--seed", DEMO_SEED,
                 "--force"],
        "model": [BIN / "har-train", "--arch", arch, "--data", data, *TRAIN_OPTIONS,
                  "--seed", DEMO_SEED, "--quiet", "--out", model]}
    for name, options in CONVERSIONS.items():
        steps[name] = [BIN / "har-convert", model, "--data", data, *options,
                       "--out", work / arch / name]
    return {name: [os.path.relpath(part) if isinstance(part, Path) else str(part)
                   for part in command] for name, command in steps.items()}


def run_steps(work: Path, arch: str) -> None:
    """Each command whose output does not exist yet; a failure stops the run."""
    folder = work / arch
    folder.mkdir(exist_ok=True)
    outputs = {"data": work / "data" / "classInd.txt", "model": folder / f"{arch}.keras",
               **{name: folder / name / "report.json" for name in CONVERSIONS}}
    for name, command in commands(work, arch).items():
        if not outputs[name].exists():
            sh(command, folder / f"{name}.log")


def bundle_row(work: Path, arch: str, name: str, threads: list[int], runs: int
               ) -> dict[str, Any]:
    """Accuracy, operators and int8/float latency of one bundle."""
    bundle = work / arch / name
    report = json.loads((bundle / "report.json").read_text())
    stages = report["stages"]
    reference = "pruned" if "pruned" in stages else "float"
    timing = [compare(bundle / "model_int8.tflite", bundle / "model_float.tflite", n, runs)
              for n in threads]
    return {"arch": arch, "conversion": name, "rewrites": report["bridge"]["rewrites"],
            "max_abs_diff": report["bridge"]["max_abs_diff"],
            "params": {s: stages[s].get("params") for s in ("keras", "float", "int8")},
            "accuracy": {s: stages[s]["accuracy"] for s in ("keras", "float", "int8")},
            "float_reference": reference,
            "int8_drop_points": 100 * (stages[reference]["accuracy"] - stages["int8"]["accuracy"]),
            "int8_quantization": stages["int8"]["quantization"],
            "int8_ops": stages["int8"]["ops"],
            "latency": [{"threads": t["threads"], "int8_p50_ms": t["models"][0]["p50_ms"],
                         "float_p50_ms": t["models"][1]["p50_ms"],
                         "int8_over_float": 1 / t["p50_ratio"]} for t in timing],
            "optimization": report["optimization"]}


def markdown(result: dict[str, Any]) -> str:
    rows = [[r["arch"], r["conversion"], r["params"]["int8"], f"{r['accuracy']['keras']:.3f}",
             f"{r['accuracy']['int8']:.3f}",
             f"{r['int8_drop_points']:+.1f} vs {r['float_reference']}",
             t["threads"], f"{t['float_p50_ms']:.2f}", f"{t['int8_p50_ms']:.2f}",
             f"{t['int8_over_float']:.2f}"]
            for r in result["bundles"] for t in r["latency"]]
    headers = ["model", "conversion", "int8 params", "Keras acc", "int8 acc", "int8 drop (points)",
               "threads", "float p50 ms", "int8 p50 ms", "int8 / float"]
    lines = ["# 3D-convolution models to full int8 (issue 25)", "",
             f"Models: {', '.join(f'`{a}`' for a in ARCHS)}, the demo recipe (T=8 at 4 fps, "
             "64 px), held-out split of the "
             f"demo data; machine: {result['machine']}. Run: `{result['run']}`.", "",
             tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True), "",
             "The drop is against the float model the int8 one was converted from (`pruned`: the "
             "pruned, fine-tuned float model). Latency: `model_int8.tflite` against the bundle's "
             "`model_float.tflite`, which is the unpruned float model in both bundles; p50 of "
             f"{result['runs']} alternated invokes.", "",
             *[line for r in result["bundles"] if r["conversion"] == "plain"
               for line in rewrites_section(r)],
             "Commands:", "",
             *[f"    {' '.join(c)}" for arch in ARCHS for c in result["commands"][arch].values()]]
    return "\n".join(lines) + "\n"


def rewrites_section(row: dict[str, Any]) -> list[str]:
    """What the bridge did to one model, and the int8 operators it ended with."""
    ops = ", ".join(f"{k} {v}" for k, v in row["int8_ops"].items())
    return [f"`{row['arch']}`: bridge rewrites (float rebuild max |diff| "
            f"{row['max_abs_diff']:.2g} against Keras 3):", "",
            *[f"- `{k}`: {v}" for k, v in row["rewrites"].items()], "",
            f"int8 operators ({row['int8_quantization']}): {ops}", ""]


@click.command()
@click.option("--work", type=click.Path(path_type=Path), default=Path("benchmarks/work/c3d"))
@click.option("--threads", default="1,2", help="thread counts, e.g. 1,2")
@click.option("--runs", default=50, show_default=True)
def main(work: Path, threads: str, runs: int) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for arch in ARCHS:
        run_steps(work, arch)
    counts = [int(n) for n in threads.split(",")]
    result = {"machine": f"{platform.machine()}, {platform.processor() or platform.system()}",
              "run": f".venv/bin/python benchmarks/c3d.py --work {work} --threads {threads} "
                     f"--runs {runs}",
              "runs": runs, "commands": {arch: commands(work, arch) for arch in ARCHS},
              "bundles": [bundle_row(work, arch, name, counts, runs)
                          for arch in ARCHS for name in CONVERSIONS]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "c3d.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "c3d.md").write_text(markdown(result))
    click.echo(markdown(result))


if __name__ == "__main__":
    main()
