"""Issue 5's figures: what `har-convert --prune 0.5` and QAT do to the demo model.

    .venv/bin/python benchmarks/prune_qat.py [--work benchmarks/work/prune_qat] [--threads 1,2]

The demo model (LRCN, T=8 at 4 fps, 64 px; seed 7 as `./run demo`) is trained on `har-synth` data
with the demo's settings and the real commands, converted twice — as it is and with the demo's
`--prune 0.5` (one QAT epoch in both) — and the two full-int8 models are timed in ONE process,
invoked in alternation (`har_device.bench.model.compare`), per thread count, so drift and heat hit both
alike. Accuracy is on the same held-out split for every stage. Each step is skipped when its
output exists. Writes `benchmarks/results/prune_qat.json` and `.md`, with the commands and the
issue's checks:
parameters and MACs at most half, int8 latency at most 0.6x, pruned accuracy within 2 points of
the unpruned float model, QAT int8 at least PTQ int8 (within 0.5 points).
"""
from __future__ import annotations

import json
import operator
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

from har_convert.recipes import (CONVERT_OPTIONS, DATASET_OPTIONS, DEMO_SEED, QAT_OPTIONS,
                                 TRAIN_OPTIONS)

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
STAGES = ("float", "pruned", "qat", "int8", "ptq_int8")


def commands(work: Path) -> dict[str, list[str]]:
    data, model = work / "data", work / "demo.keras"
    convert = [str(BIN / "har-convert"), str(model), "--data", str(data), "--no-streaming"]
    return {
        "data": [str(BIN / "har-synth"), "dataset", str(data), *DATASET_OPTIONS, "--seed",
                 str(DEMO_SEED),
                 "--force"],
        "train": [str(BIN / "har-train"), "--arch", "lrcn", "--data", str(data), *TRAIN_OPTIONS,
                  "--seed", str(DEMO_SEED), "--quiet", "--out", str(model)],
        "unpruned": [*convert, *QAT_OPTIONS, "--out", str(work / "unpruned")],
        "pruned": [*convert, *CONVERT_OPTIONS, "--out", str(work / "pruned")],
    }


def outputs(work: Path) -> dict[str, Path]:
    return {"data": work / "data" / "classInd.txt", "train": work / "demo.keras",
            "unpruned": work / "unpruned" / "report.json",
            "pruned": work / "pruned" / "report.json"}


def run_steps(work: Path) -> None:
    for step, command in commands(work).items():
        if outputs(work)[step].exists():
            continue
        click.echo(f"{step}: {' '.join(command)}")
        with (work / f"{step}.log").open("w") as log:
            if subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode:
                raise click.ClickException(f"{step} failed; see {work / f'{step}.log'}")


def stage_figures(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = ("params", "macs_per_clip", "size_bytes", "gzip_bytes", "accuracy", "f1_macro",
            "latency_ms_p50", "latency_ms_p50_1thread", "quantization")
    return {name: {key: entry.get(key) for key in keys}
            for name, entry in report["stages"].items() if name in STAGES}


def timings(work: Path, threads: list[int], runs: int) -> list[dict[str, Any]]:
    from har_device.bench.model import compare

    return [compare(work / "unpruned" / "model_int8.tflite", work / "pruned" / "model_int8.tflite",
                    count, runs) for count in threads]


TARGETS = {"<=": operator.le, ">=": operator.ge}


def checks(unpruned: dict, pruned: dict, latency: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's done-when figures, each with its measured value and verdict."""
    float_, small = unpruned["float"], pruned["pruned"]
    rows = [("params, pruned / unpruned", small["params"] / float_["params"], "<=", 0.5),
            ("MACs per clip, pruned / unpruned", small["macs_per_clip"] / float_["macs_per_clip"],
             "<=", 0.5)]
    rows += [(f"int8 latency p50, pruned / unpruned, {t['threads']} thread(s)", t["p50_ratio"],
              "<=", 0.6) for t in latency]
    rows += [("accuracy points, pruned (fine-tuned) - unpruned float",
              100 * (small["accuracy"] - float_["accuracy"]), ">=", -2.0),
             ("accuracy points, QAT int8 - PTQ int8 (pruned model)",
              100 * (pruned["int8"]["accuracy"] - pruned["ptq_int8"]["accuracy"]), ">=", -0.5),
             ("accuracy points, QAT int8 - PTQ int8 (unpruned model)",
              100 * (unpruned["int8"]["accuracy"] - unpruned["ptq_int8"]["accuracy"]), ">=",
              -0.5)]
    return [{"figure": name, "value": round(value, 4), "target": f"{op} {bound:g}",
             "met": TARGETS[op](value, bound)} for name, value, op, bound in rows]


def markdown(result: dict[str, Any]) -> str:
    def table(stages: dict[str, dict[str, Any]]) -> str:
        rows = [[name, s["quantization"] or "-", f"{s['params']:,}", f"{s['macs_per_clip']:,}",
                 "-" if s["size_bytes"] is None else f"{s['size_bytes']:,}",
                 "-" if s["gzip_bytes"] is None else f"{s['gzip_bytes']:,}",
                 f"{s['accuracy']:.3f}", f"{s['f1_macro']:.3f}", f"{s['latency_ms_p50']:.2f}"]
                for name, s in stages.items()]
        return tabulate(rows, headers=["stage", "quantization", "params", "MACs/clip", "bytes",
                                       "gzip bytes", "accuracy", "F1 macro", "p50 ms"],
                        tablefmt="github", disable_numparse=True)

    lines = ["# Structured pruning and QAT on the demo model", "",
             f"Machine: {result['machine']}. Held-out clips: {result['clips']}. "
             "Regenerate: `.venv/bin/python benchmarks/prune_qat.py`.", "",
             "## Checks (issue 5)", "",
             tabulate([[c["figure"], c["value"], c["target"], "yes" if c["met"] else "NO"]
                       for c in result["checks"]],
                      headers=["figure", "measured", "target", "met"], tablefmt="github"), "",
             "## har-convert without pruning (QAT on)", "", table(result["unpruned"]), "",
             "## har-convert --prune 0.5 (QAT on)", "", table(result["pruned"]), "",
             "`float` is the model before any optimisation in both runs; `qat` is the QAT Keras "
             "model (int8 simulated); latencies in the tables are har-convert's (host, default "
             "threads); the latency checks come from the alternating comparison below.", "",
             "## int8 latency, alternating in one process", "",
             tabulate([[t["threads"], t["runs"], f"{t['models'][0]['p50_ms']:.2f}",
                        f"{t['models'][1]['p50_ms']:.2f}", f"{t['p50_ratio']:.3f}"]
                       for t in result["latency"]],
                      headers=["threads", "runs", "unpruned p50 ms", "pruned p50 ms", "ratio"],
                      tablefmt="github"), "",
             "## Commands", "", "```", *[" ".join(map(_relative, c))
                                          for c in result["commands"].values()],
             "```", ""]
    return "\n".join(lines)


def _relative(part: str) -> str:
    """Paths inside the repository as the repository-relative paths a reader would type."""
    path = Path(part)
    return str(path.relative_to(HERE.parent)) if path.is_relative_to(HERE.parent) else part


@click.command()
@click.option("--work", type=click.Path(path_type=Path), default=HERE / "work" / "prune_qat",
              show_default=True)
@click.option("--threads", default="1,2", show_default=True)
@click.option("--runs", default=200, show_default=True)
def main(work: Path, threads: str, runs: int) -> None:
    work.mkdir(parents=True, exist_ok=True)
    run_steps(work)
    reports = {name: json.loads((work / name / "report.json").read_text())
               for name in ("unpruned", "pruned")}
    figures = {name: stage_figures(report) for name, report in reports.items()}
    latency = timings(work, [int(t) for t in threads.split(",")], runs)
    result = {"machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                         f"Python {platform.python_version()}",
              "clips": reports["pruned"]["evaluation"]["clips"],
              "commands": commands(work), **figures, "latency": latency,
              "optimization": reports["pruned"]["optimization"],
              "checks": checks(figures["unpruned"], figures["pruned"], latency)}
    results = HERE / "results"
    (results / "prune_qat.json").write_text(json.dumps(result, indent=2) + "\n")
    (results / "prune_qat.md").write_text(markdown(result))
    click.echo(markdown(result))


if __name__ == "__main__":
    main()
