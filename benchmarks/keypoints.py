"""The keypoint heads built by the demo's keypoint recipe (convert.recipes, KEYPOINT_*), from the
current code: what training, pruning and int8 do to kp-tcn and kp-gru on the synthetic sequences
the recipe holds out, how long one decision takes on the device, and how the heads fare on what the
real pose stage makes of renders nothing was tuned or trained on (the recipe trains on synthetic
skeletons alone, so this is the check of its noise model against the stage).

    .venv/bin/python benchmarks/keypoints.py [--work benchmarks/work] [--runs 5000]

Steps, each skipped when an earlier run finished it (a changed recipe wants a fresh --work): the
steps of the demo's own pose pipeline (`har_convert.cli.demo.pose_pipeline` with the demo's seed)
up to its training data; each head trained by the pipeline's training step (kp-tcn with its
`--arch` swapped); converted by its conversion step (each head's own first layer kept) and again
without pruning; `har-synth dataset` renders at the demo video's size with a seed of their own,
read by `har-pose extract` in .venv-device; every int8 head scored on every such reading (labels
mapped by name: the renders have no lying or getting_up); the heads and `normalise` timed in
.venv-device (benchmarks/keypoint_latency.py). Writes `benchmarks/results/keypoints.{json,md}`.
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
from suite import HERE, RESULTS, sh
from tabulate import tabulate

from har_convert.cli.demo import Pipeline, Step, pose_pipeline
from har_convert.data.eval_set import load_eval_set
from har_convert.recipes import (
    DEMO_SEED,
    KEYPOINT_CONVERT_OPTIONS,
    KEYPOINT_TRAIN_OPTIONS,
    POSE_VIDEO_SIZE,
)
from har_convert.verify.scoring import tflite_scores
from har_device.core.keypoints import SEQUENCE_SUFFIX, load_sequence
from provenance import ROOT, provenance, provenance_line
from run_all import DEVICE

RECIPE_HEAD = KEYPOINT_TRAIN_OPTIONS[KEYPOINT_TRAIN_OPTIONS.index("--arch") + 1]
# Each head's first layer: the recipe keeps its head's channels (`--exclude`), and har-convert
# refuses a name that matches no layer, so the other head's conversion names its own.
RECIPE_FIRST_LAYER = KEYPOINT_CONVERT_OPTIONS[KEYPOINT_CONVERT_OPTIONS.index("--exclude") + 1]
FIRST_LAYER = {"kp-tcn": "tcn_project", RECIPE_HEAD: RECIPE_FIRST_LAYER}
HEADS = tuple(FIRST_LAYER)
# The recipe's skeletons use DEMO_SEED (7), whose renders also tuned the skeleton generator's
# noise, and the demo's scripted video DEMO_SEED + 1 (8): the check uses neither.
RENDER_SEED = 10
CHECK_CLIPS_PER_CLASS = 30
CHECK_RENDERS, CHECK_READINGS = "check_renders", "check_readings"
FALL = "fall"
CONVERSIONS = ("pruned", "unpruned")


def with_values(command: list[str], values: dict[str, str]) -> list[str]:
    """`command` with each option's value replaced (an option it lacks is an error: the recipe
    changed and the benchmark must follow)."""
    changed = list(command)
    for option, value in values.items():
        changed[changed.index(option) + 1] = value
    return changed


def without(command: list[str], *options: str) -> list[str]:
    """`command` less each of `options` and its value."""
    kept = list(command)
    for option in options:
        if option in kept:
            at = kept.index(option)
            del kept[at:at + 2]
    return kept


def moved(command: list[str], paths: dict[Path, Path]) -> list[str]:
    """`command` writing and reading elsewhere: each of `paths`' keys replaced by its value."""
    by_text = {str(old): str(new) for old, new in paths.items()}
    return [by_text.get(part, part) for part in command]


def tool(step: Step) -> str:
    return Path(step.command[0]).name


def recipe_steps(pipeline: Pipeline) -> tuple[list[Step], Step, Step]:
    """The pipeline's steps up to its training data, its training step and its conversion step
    (its video is the demo's, not the recipe's)."""
    tools = [tool(step) for step in pipeline.steps]
    train = tools.index("har-train")
    return pipeline.steps[:train], pipeline.steps[train], pipeline.steps[tools.index("har-convert")]


def value_of(command: list[str], option: str) -> Path:
    return Path(command[command.index(option) + 1])


def head_commands(pipeline: Pipeline, arch: str, folder: Path) -> dict[str, list[str]]:
    """The recipe's training and conversion of one head into `folder`, the conversion also
    without pruning (what pruning costs, apart from int8)."""
    _, train, convert = recipe_steps(pipeline)
    model = folder / "model.keras"
    pruned = moved(with_values(convert.command, {"--exclude": FIRST_LAYER[arch],
                                                 "--out": str(folder / "pruned")}),
                   {value_of(train.command, "--out"): model})
    return {"train": [*with_values(train.command, {"--arch": arch, "--out": str(model)}),
                      "--quiet"],
            "pruned": pruned,
            "unpruned": with_values(without(pruned, "--prune", "--exclude"),
                                    {"--out": str(folder / "unpruned")})}


def check_commands(pipeline: Pipeline, work: Path) -> dict[str, list[str]]:
    """Renders by the pipeline's own har-synth, as large as the demo's video (the size the pose
    stage is given), every clip kept (no split: all are scored); read by the pose stage as the
    device runs it (.venv-device)."""
    synth = next(step.command[0] for step in pipeline.steps if tool(step) == "har-synth")
    renders, readings = str(work / CHECK_RENDERS), str(work / CHECK_READINGS)
    return {"renders": [synth, "dataset", renders, "--clips-per-class",
                        str(CHECK_CLIPS_PER_CLASS), "--size", str(POSE_VIDEO_SIZE), "--seed",
                        str(RENDER_SEED), "--no-split", "--force"],
            "extract": [str(DEVICE.parent / "har-pose"), "extract", renders, readings]}


def step(command: list[str], log: Path) -> float:
    """Seconds `command` took, run now unless an earlier run finished it (its seconds are kept
    beside its log, so a resumed run still reports them)."""
    done = log.with_suffix(".seconds")
    if not done.exists():
        started = time.monotonic()
        sh(command, log)
        done.write_text(f"{time.monotonic() - started:.1f}\n")
    return float(done.read_text())


def all_commands(pipeline: Pipeline, work: Path) -> dict[str, tuple[list[str], Path]]:
    """Every command of the benchmark, in order, with its log."""
    data, _, _ = recipe_steps(pipeline)
    commands = {step_.command[1]: (step_.command, work / f"{step_.command[1]}.log")
                for step_ in data}
    for arch in HEADS:
        for name, command in head_commands(pipeline, arch, work / arch).items():
            commands[f"{arch} {name}"] = (command, work / arch / f"{name}.log")
    for name, command in check_commands(pipeline, work).items():
        commands[f"check {name}"] = (command, work / f"check_{name}.log")
    return commands


def build(commands: dict[str, tuple[list[str], Path]]) -> dict[str, float]:
    """Seconds each command took."""
    seconds = {}
    for name, (command, log) in commands.items():
        log.parent.mkdir(parents=True, exist_ok=True)
        seconds[name] = step(command, log)
    return seconds


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


def pose_check(bundle: Path, readings: Path) -> dict[str, Any]:
    """The bundle's int8 head on every sequence the pose stage read from the check's renders."""
    report = read_json(bundle / "report.json")
    labels = report["labels"]
    readings_set = load_eval_set(readings, None, labels, report["frames"], 0,
                                 report["sample_fps"])
    scores = tflite_scores(bundle / "model_int8.tflite", readings_set.inputs(), False)
    return outcome(scores.argmax(axis=1), readings_set.y, labels)


def person_share(extracted: Path) -> float:
    """Share of all extracted frames in which the stage found a person."""
    found = [~np.isnan(load_sequence(path)[0][:, 0, 0])
             for path in sorted(extracted.glob(f"*/*{SEQUENCE_SUFFIX}"))]
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


def typed(command: list[str], work: Path) -> str:
    """`command` as typed in the work folder (no machine's paths in the results)."""
    return " ".join([Path(command[0]).name,
                     *(part.removeprefix(f"{work}/") for part in command[1:])])


def heads_table(heads: list[dict[str, Any]]) -> str:
    return tabulate([[h["arch"], f"{h['params'] / 1000:.1f}k ({h['params_pruned'] / 1000:.1f}k)",
                      f"{h['train_s']} s, {h['epochs']} epochs",
                      f"{percent(h['keras'])} / {percent(h['float'])}",
                      percent(h["pruned_float"]), percent(h["qat_int8"]),
                      percent(h["ptq_int8"]), f"{h['int8_minus_float_points']:+.1f} points",
                      f"{h['int8_bytes'] / 1024:.0f} KiB", f"{h['convert_s']} s"]
                     for h in heads],
                    headers=["head", "params (pruned)", "training", "keras / float",
                             "pruned float", "QAT int8", "PTQ int8", "int8 - float",
                             "int8 size", "conversion (pruned)"], tablefmt="github")


def markdown(result: dict[str, Any]) -> str:
    seconds, heads = result["seconds"], result["heads"]
    recipe = next(h for h in heads if h["arch"] == RECIPE_HEAD)
    lines = ["# Keypoint heads by the demo's keypoint recipe", "",
             provenance_line(result["provenance"]), "",
             f"Produced by `{result['command']}` in {result['run_s']:.0f} s (steps an earlier "
             "run had finished are reused and not counted). The recipe is the demo's pose "
             f"pipeline (`pose_pipeline(work, {DEMO_SEED})` in `convert/cli/demo.py`, options "
             f"`KEYPOINT_*` in `convert/recipes.py`; its head is {RECIPE_HEAD}, its first layer "
             f"{FIRST_LAYER[RECIPE_HEAD]} kept whole); kp-tcn trains and converts with the same "
             f"options, its own first layer {FIRST_LAYER['kp-tcn']} kept. The commands, in the "
             "work folder "
             f"`{result['work']}`:", "",
             "```", *(f"{command}    # {seconds[name]:.0f} s"
                      for name, command in result["commands"].items()),
             "```", "",
             f"## Held-out split ({result['test_sequences']} synthetic sequences: people never "
             "seen in training)", "",
             heads_table(heads), "",
             "The issue's target is held-out accuracy on synthetic keypoint sequences ≥ 95 %: "
             f"the recipe's {RECIPE_HEAD} has {percent(recipe['float'])} float and "
             f"{percent(recipe['qat_int8'])} as its pruned int8 bundle.", "",
             "Without pruning: " + "; ".join(
                 f"{h['arch']} float {percent(h['unpruned']['float'])}, QAT int8 "
                 f"{percent(h['unpruned']['qat_int8'])}, PTQ int8 "
                 f"{percent(h['unpruned']['ptq_int8'])} ({h['unpruned']['convert_s']} s)"
                 for h in heads) + ".", "",
             "Channels removed by pruning: " + "; ".join(
                 f"{h['arch']} " + ", ".join(f"{layer} {before}→{after}"
                                             for layer, (before, after) in h["removed"].items())
                 for h in heads) + ".", ""]
    warned = [f"- {h['arch']}: {warning}" for h in heads for warning in h["warnings"]]
    if warned:
        lines += ["har-convert's warnings (pruned conversions):", "", *warned, ""]
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
    lines += ["## Against the pose stage's own output on unseen renders", "",
              "The heads train on synthetic skeletons alone; this checks them on what the "
              f"pose stage reads from {CHECK_CLIPS_PER_CLASS} `har-synth dataset` renders per "
              f"class at the demo video's {POSE_VIDEO_SIZE} px, seed {RENDER_SEED} (the recipe's "
              f"skeletons use seed {DEMO_SEED}, whose renders tuned the skeleton generator's "
              f"noise, the demo's video {DEMO_SEED + 1}), read by `har-pose extract` in "
              f".venv-device (a person found in {percent(check['person_share'])} of the "
              "frames); every int8 head on every reading, labels mapped by name (the renders "
              "have no lying or getting_up).", "",
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
    pipeline = pose_pipeline(folder, DEMO_SEED)
    commands = all_commands(pipeline, folder)
    seconds = build(commands)
    bundles = {f"{arch} {name}": folder / arch / name for arch in HEADS for name in CONVERSIONS}
    checks = {name: pose_check(bundle, folder / CHECK_READINGS)
              for name, bundle in bundles.items()}
    window = sorted((folder / CHECK_READINGS / FALL).glob(f"*{SEQUENCE_SUFFIX}"))[0]
    result = {"provenance": provenance("kp-tcn and kp-gru by the demo's keypoint recipe "
                                       "(convert.cli.demo.pose_pipeline) on its synthetic "
                                       "skeletons"),
              "command": f".venv/bin/python benchmarks/keypoints.py --work {shown(work)} "
                         f"--runs {runs}",
              "work": shown(folder),
              "commands": {name: typed(command, folder) for name, (command, _) in commands.items()},
              "seconds": seconds,
              "test_sequences": read_json(folder / RECIPE_HEAD / "pruned" / "report.json")
                                ["evaluation"]["clips"],
              "heads": [head_figures(folder, arch, seconds) for arch in HEADS],
              "latency": device_latency(bundles, window, runs),
              "pose_check": {"person_share": person_share(folder / CHECK_READINGS),
                             "sequences": next(iter(checks.values()))["sequences"],
                             "heads": checks}}
    result["run_s"] = time.monotonic() - started
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "keypoints.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "keypoints.md").write_text(markdown(result))
    click.echo(markdown(result))


if __name__ == "__main__":
    main()
