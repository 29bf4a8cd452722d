"""The keypoint heads built by the demo's keypoint recipe (convert.recipes, KEYPOINT_*), from the
current code: what training, pruning and int8 do to kp-tcn and kp-gru, how long one decision
takes on the device, and how the heads fare on what the real pose stage makes of rendered video.

    .venv/bin/python benchmarks/keypoints.py [--work benchmarks/work] [--runs 5000]

Steps, each with the project's own commands and skipped when an earlier run finished it: the
recipe's skeletons; each head trained with the recipe (its `--arch` swapped); converted with the
recipe's options and again without `--prune`; `har-synth dataset` renders at the demo video's
size, with a seed the generator was never tuned on, put through `har-pose extract` in
.venv-device; every int8 head scored on every extracted sequence (labels mapped by name: the
renders have no lying or getting_up); the heads and `normalise` timed in .venv-device
(benchmarks/keypoint_latency.py). Writes `benchmarks/results/keypoints.{json,md}`.
"""
from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import click
import numpy as np
from suite import BIN, HERE, RESULTS, sh
from tabulate import tabulate

from har_convert.data.eval_set import load_eval_set
from har_convert.recipes import (
    DEMO_SEED,
    KEYPOINT_CONVERT_OPTIONS,
    KEYPOINT_SKELETON_OPTIONS,
    KEYPOINT_TRAIN_OPTIONS,
    POSE_VIDEO_SIZE,
)
from har_convert.verify.scoring import tflite_scores
from har_device.core.keypoints import load_sequence
from provenance import ROOT, provenance, provenance_line
from run_all import DEVICE

HEADS = ("kp-tcn", "kp-gru")
RECIPE_HEAD = KEYPOINT_TRAIN_OPTIONS[KEYPOINT_TRAIN_OPTIONS.index("--arch") + 1]
SKELETONS = [*KEYPOINT_SKELETON_OPTIONS, "--seed", str(DEMO_SEED)]
# Seed 7's renders were used to tune the skeleton generator's noise (hip and face placement,
# hand and foot jitter); the check must use renders it never saw.
RENDER_SEED = 8
RENDERS = ["--clips-per-class", "30", "--frames", "16", "--fps", "8",
           "--size", str(POSE_VIDEO_SIZE), "--seed", str(RENDER_SEED)]
FALL = "fall"


def with_arch(options: list[str], arch: str) -> list[str]:
    """The recipe's training options for another head: only `--arch` changes."""
    at = options.index("--arch") + 1
    return [*options[:at], arch, *options[at + 1:]]


def without_pruning(options: list[str]) -> list[str]:
    """The recipe's conversion options less `--prune RATIO`: what pruning costs, apart from int8."""
    if "--prune" not in options:
        return list(options)
    at = options.index("--prune")
    return [*options[:at], *options[at + 2:]]


CONVERSIONS = {"pruned": list(KEYPOINT_CONVERT_OPTIONS),
               "unpruned": without_pruning(KEYPOINT_CONVERT_OPTIONS)}


def step(command: list[Any], log: Path) -> float:
    """Seconds `command` took, run now unless an earlier run finished it (its seconds are kept
    beside its log, so a resumed run still reports them)."""
    done = log.with_suffix(".seconds")
    if not done.exists():
        started = time.monotonic()
        sh(command, log)
        done.write_text(f"{time.monotonic() - started:.1f}\n")
    return float(done.read_text())


def build(work: Path) -> dict[str, Any]:
    """Every command of the benchmark, in order; what each wrote and how long it took."""
    skeletons, renders, extracted = work / "skeletons", work / "renders", work / "extracted"
    seconds = {"skeletons": step([BIN / "har-synth", "skeletons", skeletons, *SKELETONS,
                                  "--force"], work / "skeletons.log")}
    for arch in HEADS:
        folder = work / arch
        folder.mkdir(parents=True, exist_ok=True)
        model = folder / "model.keras"
        step([BIN / "har-train", "--data", skeletons, *with_arch(KEYPOINT_TRAIN_OPTIONS, arch),
              "--seed", str(DEMO_SEED), "--quiet", "--out", model], folder / "train.log")
        for name, options in CONVERSIONS.items():
            seconds[f"{arch} {name}"] = step(
                [BIN / "har-convert", model, "--data", skeletons, "--out", folder / name,
                 *options], folder / f"convert-{name}.log")
    seconds["renders"] = step([BIN / "har-synth", "dataset", renders, *RENDERS, "--force"],
                              work / "renders.log")
    seconds["extract"] = step([DEVICE.parent / "har-pose", "extract", renders, extracted],
                              work / "extract.log")
    return {"extracted": extracted, "seconds": seconds}


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def head_figures(work: Path, arch: str, seconds: dict[str, float]) -> dict[str, Any]:
    """One head's row, from har-train's and har-convert's own reports."""
    training = read_json(work / arch / "model.train.json")
    reports = {name: read_json(work / arch / name / "report.json") for name in CONVERSIONS}
    pruned, unpruned = reports["pruned"]["stages"], reports["unpruned"]["stages"]
    return {"arch": arch, "params": pruned["float"]["params"],
            "params_pruned": pruned["pruned"]["params"],
            "train_s": round(training["seconds"]), "epochs": training["epochs_run"],
            "keras": pruned["keras"]["accuracy"], "float": pruned["float"]["accuracy"],
            "pruned_float": pruned["pruned"]["accuracy"], "qat_int8": pruned["int8"]["accuracy"],
            "ptq_int8": pruned["ptq_int8"]["accuracy"],
            "int8_minus_float_points": 100 * (pruned["int8"]["accuracy"]
                                              - pruned["float"]["accuracy"]),
            "int8_bytes": pruned["int8"]["size_bytes"],
            "convert_s": round(seconds[f"{arch} pruned"]),
            "removed": reports["pruned"]["optimization"]["prune"]["removed"],
            "warnings": reports["pruned"]["warnings"],
            "unpruned": {"float": unpruned["float"]["accuracy"],
                         "qat_int8": unpruned["int8"]["accuracy"],
                         "ptq_int8": unpruned["ptq_int8"]["accuracy"],
                         "convert_s": round(seconds[f"{arch} unpruned"])}}


def outcome(predicted: np.ndarray, truth: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """Accuracy and the fall detector's two errors, plus the commonest confusions (true ->
    predicted), which say where the synthetic noise model and the stage part."""
    fall = labels.index(FALL)
    falls, called = truth == fall, predicted == fall
    wrong = Counter(f"{labels[t]} -> {labels[p]}" for t, p in zip(truth, predicted) if t != p)
    return {"sequences": len(truth), "accuracy": float(np.mean(predicted == truth)),
            "falls": int(falls.sum()), "falls_caught": int((falls & called).sum()),
            "non_falls": int((~falls).sum()), "non_falls_called_fall": int((~falls & called).sum()),
            "confusions": dict(wrong.most_common(3))}


def pose_check(bundle: Path, extracted: Path) -> dict[str, Any]:
    """The bundle's int8 head on every sequence the pose stage extracted from the renders."""
    report = read_json(bundle / "report.json")
    labels = report["labels"]
    held_out = load_eval_set(extracted, None, labels, report["frames"], 0, report["sample_fps"])
    scores = tflite_scores(bundle / "model_int8.tflite", held_out.inputs(), False)
    return outcome(scores.argmax(axis=1), held_out.y, labels)


def person_share(extracted: Path) -> float:
    """Share of all extracted frames in which the stage found a person."""
    found = [~np.isnan(load_sequence(path)[0][:, 0, 0])
             for path in sorted(extracted.glob("*/*.npz"))]
    return float(np.mean(np.concatenate(found)))


def device_latency(bundles: dict[str, Path], window: Path, runs: int) -> dict[str, Any]:
    """keypoint_latency.py's figures, from .venv-device, each head under its name here."""
    command = [DEVICE, HERE / "keypoint_latency.py", "--window", window, "--runs", str(runs),
               *bundles.values()]
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True)
    if done.returncode != 0:
        raise click.ClickException(f"keypoint_latency.py failed: {done.stderr.strip()}")
    figures = json.loads(done.stdout)
    by_path = figures.pop("heads_p50_ms")
    return {**figures, "heads_p50_ms": {name: by_path[str(bundle)]
                                        for name, bundle in bundles.items()}}


def shown(path: Path) -> str:
    """`path` as the results name it: from the repository's root, not this machine's."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def markdown(result: dict[str, Any]) -> str:
    seconds, heads = result["seconds"], result["heads"]
    train_command = " ".join(with_arch(KEYPOINT_TRAIN_OPTIONS, "ARCH"))
    lines = ["# Keypoint heads by the demo's keypoint recipe", "",
             provenance_line(result["provenance"]), "",
             f"Produced by `{result['command']}` in {result['run_s']:.0f} s (steps an earlier "
             "run had finished are reused and not counted). The recipe is "
             "`KEYPOINT_*` in `convert/recipes.py` (its head is "
             f"{RECIPE_HEAD}; "
             "the other one trains with the same options); the commands, ARCH for each head:",
             "",
             "```",
             f"har-synth skeletons skeletons/ {' '.join(SKELETONS)}    "
             f"# {seconds['skeletons']:.0f} s",
             f"har-train --data skeletons/ {train_command} --seed {DEMO_SEED} --out ARCH.keras",
             *(" ".join(["har-convert", "ARCH.keras", "--data", "skeletons/", *options,
                         "--out", f"ARCH_{name}"]) for name, options in CONVERSIONS.items()),
             "```", "",
             f"## Synthetic keypoint sequences ({result['test_sequences']} held-out sequences: "
             "people never seen in training)", "",
             tabulate([[h["arch"], f"{h['params'] / 1000:.1f}k ({h['params_pruned'] / 1000:.1f}k)",
                        f"{h['train_s']} s, {h['epochs']} epochs",
                        f"{percent(h['keras'])} / {percent(h['float'])}",
                        percent(h["pruned_float"]), percent(h["qat_int8"]),
                        percent(h["ptq_int8"]), f"{h['int8_minus_float_points']:+.1f} points",
                        f"{h['int8_bytes'] / 1024:.0f} KiB", f"{h['convert_s']} s"]
                       for h in heads],
                      headers=["head", "params (pruned)", "training", "keras / float",
                               "pruned float", "QAT int8", "PTQ int8", "int8 - float",
                               "int8 size", "conversion (pruned)"], tablefmt="github"), "",
             "Without pruning: " + "; ".join(
                 f"{h['arch']} float {percent(h['unpruned']['float'])}, QAT int8 "
                 f"{percent(h['unpruned']['qat_int8'])}, PTQ int8 "
                 f"{percent(h['unpruned']['ptq_int8'])} ({h['unpruned']['convert_s']} s)"
                 for h in heads) + ".", "",
             f"Channels removed by `{' '.join(CONVERSIONS['pruned'])}`: " + "; ".join(
                 f"{h['arch']} " + ", ".join(f"{layer} {before}→{after}"
                                             for layer, (before, after) in h["removed"].items())
                 for h in heads) + ".", ""]
    warned = [f"- {h['arch']}: {warning}" for h in heads for warning in h["warnings"]]
    if warned:
        lines += [f"har-convert's warnings (`{' '.join(CONVERSIONS['pruned'])}`):", "", *warned,
                  ""]
    latency = result["latency"]
    lines += [f"## Latency per inference (int8, .venv-device, "
              f"`har_device.bench.model.measure`, {latency['runs']} runs, p50)", "",
              tabulate([[name, *(f"{ms:.4f} ms" for ms in by_threads.values())]
                        for name, by_threads in latency["heads_p50_ms"].items()]
                       + [[f"`har_device.core.keypoints.normalise` "
                           f"({'×'.join(map(str, latency['window_shape']))} window, NumPy)",
                           f"{latency['normalise_p50_ms']:.4f} ms", "-"]],
                       headers=["", "1 thread", "2 threads"], tablefmt="github"), ""]
    check = result["pose_check"]
    lines += ["## Against the pose stage's own output (a check of the synthetic noise model)", "",
              f"`har-synth dataset renders/ {' '.join(RENDERS)}` ({seconds['renders']:.0f} s; "
              f"seed {RENDER_SEED}: the generator's noise was never tuned on it), "
              f"then `har-pose extract renders/ extracted/` in .venv-device "
              f"({seconds['extract']:.0f} s; a person found in {percent(check['person_share'])} "
              "of the frames); every int8 head on every extracted sequence, labels mapped by "
              "name (the renders have no lying or getting_up).", "",
              tabulate([[name, percent(r["accuracy"]), f"{r['falls_caught']}/{r['falls']}",
                         f"{r['non_falls_called_fall']}/{r['non_falls']}",
                         ", ".join(f"{k} {v}" for k, v in r["confusions"].items())]
                        for name, r in check["heads"].items()],
                       headers=["head", f"accuracy ({check['sequences']} sequences)",
                                "falls caught", "non-falls called fall",
                                "commonest confusions"], tablefmt="github"), ""]
    return "\n".join(lines)


@click.command()
@click.option("--work", type=click.Path(path_type=Path), default=HERE / "work", show_default=True,
              help="Shared work folder; this benchmark uses WORK/keypoints.")
@click.option("--runs", default=5000, show_default=True, help="Timed runs per latency figure.")
def main(work: Path, runs: int) -> None:
    started = time.monotonic()
    folder = work / "keypoints"
    folder.mkdir(parents=True, exist_ok=True)
    built = build(folder)
    bundles = {f"{arch} {name}": folder / arch / name for arch in HEADS for name in CONVERSIONS}
    checks = {name: pose_check(bundle, built["extracted"]) for name, bundle in bundles.items()}
    window = sorted((built["extracted"] / FALL).glob("*.npz"))[0]
    latency = device_latency(bundles, window, runs)
    result = {"provenance": provenance("kp-tcn and kp-gru by the demo's keypoint recipe "
                                       "(convert.recipes) on its synthetic skeletons"),
              "command": f".venv/bin/python benchmarks/keypoints.py --work {shown(work)} "
                         f"--runs {runs}",
              "seconds": built["seconds"],
              "test_sequences": read_json(folder / HEADS[0] / "pruned" / "report.json")
                                ["evaluation"]["clips"],
              "heads": [head_figures(folder, arch, built["seconds"]) for arch in HEADS],
              "latency": latency,
              "pose_check": {"person_share": person_share(built["extracted"]),
                             "sequences": next(iter(checks.values()))["sequences"],
                             "heads": checks}}
    result["run_s"] = time.monotonic() - started
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "keypoints.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "keypoints.md").write_text(markdown(result))
    click.echo(markdown(result))


if __name__ == "__main__":
    main()
