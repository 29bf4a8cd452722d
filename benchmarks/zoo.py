"""Every zoo architecture trained on the same synthetic data: held-out accuracy, macro-F1, training
time and parameters, side by side.

    .venv/bin/python benchmarks/zoo.py [--archs lrcn,mnv2-tcn] [--work benchmarks/work]

Uses the demo's dataset (`har-synth` with the demo's options, shared with `benchmarks/suite.py`)
and trains each architecture with `har-train` at the same small input (8 frames of 64x64 at 4 fps)
and the demo's recipe (no dropout, no augmentation), so the figures compare designs, not input
sizes. Epochs differ: fewer for the larger models, to keep the whole run near an hour on 2 cores,
so the table is about what each design learns in a few minutes from scratch, not its ceiling. Each
trained model is reused when it exists, so an interrupted run resumes. Writes
`benchmarks/results/zoo.{json,md}`.
"""
from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import click
from suite import BIN, HERE, RESULTS, sh

from har_convert.recipes import DATASET_OPTIONS, DEMO_SEED, TRAIN_OPTIONS

SMALL_INPUT = ["--frames", "8", "--size", "64", "--sample-fps", "4", "--dropout", "0", "--no-augment",
               "--seed", str(DEMO_SEED)]
ARCHS: dict[str, list[str]] = {
    "lrcn": [*TRAIN_OPTIONS, "--seed", str(DEMO_SEED)],
    "convlstm": [*SMALL_INPUT, "--epochs", "3"],
    "mnv2-bilstm": [*SMALL_INPUT, "--alpha", "0.35", "--epochs", "3"],
    "mnv2-tcn": [*SMALL_INPUT, "--alpha", "0.35", "--epochs", "3"],
    "effnetlite-tcn": [*SMALL_INPUT, "--epochs", "2"],
    "resnet34-frame": [*SMALL_INPUT, "--epochs", "2"],
    "resnet50-frame": [*SMALL_INPUT, "--epochs", "1"],
    "cnn-lstm-attention": [*SMALL_INPUT, "--epochs", "3"],
}


def train(work: Path, arch: str) -> Path:
    """The architecture's trained model (trained now unless it exists); a failure stops the run."""
    data, model = work / "data", work / "zoo" / arch / "model.keras"
    model.parent.mkdir(parents=True, exist_ok=True)
    if not (data / "classInd.txt").exists():
        sh([BIN / "har-synth", "dataset", data, *DATASET_OPTIONS, "--seed", str(DEMO_SEED),
             "--force"], work / "synth.log")
    if not model.exists():
        sh([BIN / "har-train", "--arch", arch, "--data", data, *ARCHS[arch], "--quiet",
             "--out", model], model.parent / "train.log")
    return model


def row(arch: str, model: Path) -> dict[str, Any]:
    """One table row from the reports har-train wrote beside the model."""
    stem = model.with_suffix("")
    training = json.loads(stem.with_suffix(".train.json").read_text())
    report = json.loads(stem.with_suffix(".report.json").read_text())
    return {"arch": arch, "params": training["params"], "epochs": training["epochs_run"],
            "train_s": round(training["seconds"]), "frames": training["frames"],
            "size": training["size"], "accuracy": round(report["accuracy"], 3),
            "f1_macro": round(report["f1_macro"], 3), "test_clips": report["n"],
            "command": " ".join(["har-train", "--arch", arch, "--data", "DATA", *ARCHS[arch]])}


def markdown(rows: list[dict[str, Any]], machine: str) -> str:
    lines = ["# Zoo: every architecture on the demo's synthetic data", "",
             f"Machine: {machine}. Data: the demo dataset (`har-synth dataset` "
             f"{' '.join(DATASET_OPTIONS)} --seed {DEMO_SEED}), held-out people and rooms. "
             "Produced by `.venv/bin/python benchmarks/zoo.py`.", "",
             "| architecture | parameters | input | epochs | training s | accuracy | macro-F1 |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['arch']} | {r['params']:,} | {r['frames']}x{r['size']}px | "
                     f"{r['epochs']} | {r['train_s']} | {r['accuracy']:.3f} | {r['f1_macro']:.3f} |")
    lines += ["", "Commands (DATA = the dataset folder):", ""]
    lines += [f"    {r['command']}" for r in rows]
    return "\n".join(lines) + "\n"


@click.command()
@click.option("--archs", default=",".join(ARCHS), show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=HERE / "work", show_default=True)
def main(archs: str, work: Path) -> None:
    names = [name.strip() for name in archs.split(",") if name.strip()]
    unknown = sorted(set(names) - set(ARCHS))
    if unknown:
        raise click.BadParameter(f"unknown architecture(s): {', '.join(unknown)}", param_hint="--archs")
    rows = []
    for arch in names:
        click.echo(arch)
        rows.append(row(arch, train(work, arch)))
    machine = f"{platform.machine()}, {platform.python_version()}, {platform.processor() or 'cpu'}"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "zoo.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n")
    (RESULTS / "zoo.md").write_text(markdown(rows, machine))
    click.echo(markdown(rows, machine))


if __name__ == "__main__":
    main()
