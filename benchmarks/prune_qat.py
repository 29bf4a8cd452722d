"""Issues 5 and 23: what pruning and QAT do to the demo model and to MobileNetV2-0.35 + TCN.

    .venv/bin/python benchmarks/prune_qat.py [--archs lrcn,mnv2-tcn] [--variants pruned,latency]
        [--threads 1,2] [--runs 200]

Both models are trained on `har-synth` data by the demo recipe (convert.recipes, the same
commands and work folder as benchmarks/suite.py, whose bundles this reuses) and converted three
ways: unpruned (one QAT epoch), the uniform `--prune 0.5` of the demo recipe, and the
latency-aware `--target-latency 0.5`. The int8 models are timed in ONE process, invoked in
alternation with the unpruned one (`har_device.bench.model.compare`), per thread count, so drift
and heat hit both alike. Accuracy is on the same held-out split for every stage. Writes
`benchmarks/results/prune_qat.{json,md}` with the checks: int8 latency at most 0.6x the unpruned
int8, pruned accuracy (fine-tuned, int8) within 2 points of the unpruned float model.
"""
from __future__ import annotations

import json
import operator
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

from provenance import provenance, provenance_line
from suite import ARCHS, HERE, build, variant_options

PRUNED = ("pruned", "latency")
STAGES = ("float", "pruned", "qat", "int8", "ptq_int8")
TARGETS = {"<=": operator.le, ">=": operator.ge}


def stage_figures(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = ("params", "macs_per_clip", "size_bytes", "accuracy", "f1_macro", "latency_ms_p50",
            "quantization")
    return {name: {key: entry.get(key) for key in keys}
            for name, entry in report["stages"].items() if name in STAGES}


def checks(unpruned: dict, pruned: dict, latency: list[dict[str, Any]],
           layers: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's done-when figures, each with its measured value and verdict; `layers`: the
    pruned run's per-layer latency (its operators, timed alone: what a loaded machine disturbs
    least)."""
    float_ = unpruned["float"]
    rows = [("params, pruned / unpruned", pruned["pruned"]["params"] / float_["params"], None),
            ("MACs per clip, pruned / unpruned",
             pruned["pruned"]["macs_per_clip"] / float_["macs_per_clip"], None),
            ("int8 operators summed (1 thread, each alone), pruned / unpruned",
             layers["after"]["ops_sum_ms"] / layers["before"]["ops_sum_ms"], None)]
    rows += [(f"int8 p50, pruned / unpruned, {t['threads']} thread(s)", t["p50_ratio"],
              ("<=", 0.6)) for t in latency]
    rows += [("accuracy points, pruned float (fine-tuned) - unpruned float",
              100 * (pruned["pruned"]["accuracy"] - float_["accuracy"]), (">=", -2.0)),
             ("accuracy points, pruned int8 (QAT) - unpruned float",
              100 * (pruned["int8"]["accuracy"] - float_["accuracy"]), (">=", -2.0))]
    return [{"figure": name, "value": round(value, 4),
             "target": f"{bound[0]} {bound[1]:g}" if bound else "-",
             "met": None if bound is None else TARGETS[bound[0]](value, bound[1])}
            for name, value, bound in rows]


def measure_arch(work: Path, arch: str, variants: list[str], threads: list[int], runs: int
                 ) -> dict[str, Any]:
    from har_device.bench.model import compare

    bundles = build(work, arch, ("qat", *variants))
    reports = {variant: json.loads((bundles[variant] / "report.json").read_text())
               for variant in ("qat", *variants)}
    figures = {variant: stage_figures(report) for variant, report in reports.items()}
    result: dict[str, Any] = {"arch": arch, "clips": reports["qat"]["evaluation"]["clips"],
                              "stages": figures, "variants": {}}
    for variant in variants:
        latency = [compare(bundles["qat"] / "model_int8.tflite",
                           bundles[variant] / "model_int8.tflite", count, runs)
                   for count in threads]
        prune = reports[variant]["optimization"]["prune"]
        result["variants"][variant] = {
            "options": variant_options(arch, variant), "latency": latency,
            "removed": prune["removed"],
            "predicted_latency_ratio": prune.get("predicted_latency_ratio"),
            "layer_latency": reports[variant].get("layer_latency"),
            "checks": checks(figures["qat"], figures[variant], latency,
                             reports[variant]["layer_latency"])}
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Structured pruning and QAT: uniform against latency-aware", "",
             provenance_line(result["provenance"]), "",
             "Regenerate: `.venv/bin/python benchmarks/prune_qat.py` (or `benchmarks/run_all.py`)."
             " Latency ratios: the two int8 models invoked in alternation in one process "
             f"({result['runs']} runs per thread count, median).", ""]
    for arch in result["archs"]:
        lines += [f"## {arch['arch']} ({arch['clips']} held-out clips)", ""]
        for variant, figures in arch["variants"].items():
            lines += [f"### `{' '.join(figures['options'])}` against unpruned (both one QAT "
                      "epoch)", "",
                      tabulate([[c["figure"], c["value"], c["target"],
                                 {True: "yes", False: "NO", None: "-"}[c["met"]]]
                                for c in figures["checks"]],
                               headers=["figure", "measured", "target", "met"],
                               tablefmt="github"), "",
                      tabulate([[t["threads"], f"{t['models'][0]['p50_ms']:.3f}",
                                 f"{t['models'][1]['p50_ms']:.3f}", f"{t['p50_ratio']:.3f}"]
                                for t in figures["latency"]],
                               headers=["threads", "unpruned p50 ms", "pruned p50 ms", "ratio"],
                               tablefmt="github"), ""]
            if figures["predicted_latency_ratio"] is not None:
                lines += [f"Predicted by the per-layer latency model: "
                          f"{figures['predicted_latency_ratio']:.3f}.", ""]
            lines += ["Channels removed: " + ", ".join(
                f"{name} {before}→{after}" for name, (before, after)
                in figures["removed"].items()), ""]
        rows = [[variant, stage, s["params"], s["macs_per_clip"], f"{s['accuracy']:.3f}",
                 f"{s['f1_macro']:.3f}"]
                for variant, stages in arch["stages"].items() for stage, s in stages.items()]
        lines += ["### Stages (har-convert's reports)", "",
                  tabulate(rows, headers=["run", "stage", "params", "MACs/clip", "accuracy",
                                          "F1 macro"], tablefmt="github"), ""]
    return "\n".join(lines)


@click.command()
@click.option("--archs", default=",".join(ARCHS), show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=HERE / "work", show_default=True)
@click.option("--threads", default="1,2", show_default=True)
@click.option("--runs", default=200, show_default=True)
@click.option("--variants", default=",".join(PRUNED), show_default=True,
              help="Pruned conversions to compare with the unpruned one.")
def main(archs: str, work: Path, threads: str, runs: int, variants: str) -> None:
    counts = [int(t) for t in threads.split(",")]
    result = {"provenance": provenance(f"{archs} trained and converted by the demo recipe "
                                       "(convert.recipes) on its synthetic data"),
              "runs": runs,
              "archs": [measure_arch(work, arch, variants.split(","), counts, runs)
                        for arch in archs.split(",")]}
    results = HERE / "results"
    (results / "prune_qat.json").write_text(json.dumps(result, indent=2) + "\n")
    (results / "prune_qat.md").write_text(markdown(result))
    click.echo(markdown(result))


if __name__ == "__main__":
    main()
