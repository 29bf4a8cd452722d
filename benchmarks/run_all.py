"""Regenerate every file in benchmarks/results/ from the current code and the demo recipe.

    .venv/bin/python benchmarks/run_all.py [--only suite,prune_qat] [--work benchmarks/work]

The parts run one after the other, each with its own command (the host ones in .venv, the
device ones in .venv-device, which has no TensorFlow; benchmarks/keypoints.py, a host part, runs
its pose stage and timings there too), and share one work folder: the demo data, the demo LRCN
and its bundles are built once (benchmarks/suite.py) and the device parts measure the demo
recipe's bundle from there rather than the committed fixture. After each part, every
results file it wrote that does not yet say so is stamped with the commit, the machine and the
model it measured (benchmarks/provenance.py). `benchmarks/results/run_all.md` lists what ran,
how long each part took and what failed.
"""
from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import click
from tabulate import tabulate

from provenance import ROOT, provenance, provenance_line

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
HOST, DEVICE = ROOT / ".venv" / "bin" / "python", ROOT / ".venv-device" / "bin" / "python"
DEMO_MODEL = "the demo LRCN (convert.recipes) trained on the demo's synthetic data"


@dataclass(frozen=True)
class Part:
    name: str
    python: Path
    args: tuple[str, ...]
    outputs: tuple[str, ...]
    model: str


def parts(work: Path) -> list[Part]:
    demo_bundle = str(work / "lrcn" / "pruned")
    pipeline = "synthetic:walk:4,fall:3,idle:3,sit:4;fps=8;size={}"
    har_bench = str(DEVICE.parent / "har-bench")
    return [
        Part("channel_multiples", HOST, ("benchmarks/channel_multiples.py",),
             ("channel_multiples.json", "channel_multiples.md"), "branches built by the script"),
        Part("suite", HOST, ("benchmarks/suite.py", "--work", str(work)),
             ("suite.json", "suite.md", "suite_latency_accuracy.png", "suite_sizes.png"),
             "lrcn and mnv2-tcn by the demo recipe"),
        Part("prune_qat", HOST, ("benchmarks/prune_qat.py", "--work", str(work)),
             ("prune_qat.json", "prune_qat.md"), "lrcn and mnv2-tcn by the demo recipe"),
        Part("zoo", HOST, ("benchmarks/zoo.py", "--work", str(work)), ("zoo.json", "zoo.md"),
             "the zoo's architectures on the demo's data"),
        Part("keypoints", HOST, ("benchmarks/keypoints.py", "--work", str(work)),
             ("keypoints.json", "keypoints.md"),
             "kp-tcn and kp-gru by the demo's keypoint recipe (convert.recipes)"),
        Part("c3d", HOST, ("benchmarks/c3d.py", "--work", str(work / "c3d")),
             ("c3d.json", "c3d.md"), "c3d-lite and r2plus1d-lite by the demo recipe"),
        Part("bench_demo_pipeline", DEVICE,
             (har_bench, demo_bundle, "--threads", "1,2", "--pipeline", pipeline.format(112),
              "--frames", "200", "--json", str(RESULTS / "bench_demo_pipeline.json")),
             ("bench_demo_pipeline.json",), DEMO_MODEL),
        Part("bench_demo_pipeline_64", DEVICE,
             (har_bench, demo_bundle, "--threads", "1", "--pipeline", pipeline.format(64),
              "--frames", "200", "--json", str(RESULTS / "bench_demo_pipeline_64.json")),
             ("bench_demo_pipeline_64.json",), DEMO_MODEL),
        Part("fall_scenes", DEVICE, ("benchmarks/fall_scenes.py", "--bundle", demo_bundle),
             ("fall_scenes.json", "fall_scenes.md"), DEMO_MODEL),
        Part("fall_scenes_pose", DEVICE,
             ("benchmarks/fall_scenes.py", "--bundle", "tests/fixtures/pose_bundle"),
             ("fall_scenes_pose.json", "fall_scenes_pose.md"),
             "the committed pose bundle (tests/fixtures/pose_bundle)"),
        Part("real_footage", DEVICE, ("benchmarks/real_footage.py", "run", "--bundle",
                                      "tests/fixtures/pose_bundle"),
             ("real_footage.json", "real_footage.md"),
             "the committed pose bundle (tests/fixtures/pose_bundle)"),
        Part("pose_stage", DEVICE, ("benchmarks/pose_stage.py",),
             ("pose_stage.json", "pose_stage.md"), "the cached BlazePose models"),
        Part("mqtt_latency", DEVICE, ("benchmarks/mqtt_latency.py",),
             ("mqtt_latency.json", "mqtt_latency.md"), "the committed tiny bundle"),
    ]


# Written by hand from the commands they quote, not by a script: run_all cannot regenerate them.
BY_HAND = ("bench_demo_pipeline.md",)


def stamp(path: Path, model: str) -> None:
    """Add the provenance to a results file that does not carry one."""
    facts = provenance(model)
    if path.suffix == ".md" and "at commit `" not in path.read_text():
        path.write_text(f"{provenance_line(facts)}\n\n{path.read_text()}")
    elif path.suffix == ".json":
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "provenance" not in data:
            path.write_text(json.dumps({"provenance": facts, **data}, indent=2) + "\n")


def run(part: Part, log: Path) -> tuple[float, int]:
    started = time.monotonic()
    with log.open("w") as out:
        code = subprocess.run(["nice", str(part.python), *part.args], cwd=ROOT, stdout=out,
                              stderr=subprocess.STDOUT).returncode
    if code == 0:
        for name in part.outputs:
            stamp(RESULTS / name, part.model)
    return time.monotonic() - started, code


@click.command()
@click.option("--only", help="Comma-separated part names [all].")
@click.option("--work", type=click.Path(path_type=Path), default=HERE / "work", show_default=True)
def main(only: str | None, work: Path) -> None:
    chosen = [p for p in parts(work) if only is None or p.name in only.split(",")]
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for part in chosen:
        click.echo(f"{part.name} …")
        seconds, code = run(part, work / f"run_all_{part.name}.log")
        rows.append([part.name, f"{seconds:.0f}", "ok" if code == 0 else f"FAILED ({code})",
                     ", ".join(part.outputs)])
        click.echo(f"  {rows[-1][2]} in {seconds:.0f} s")
    text = "\n".join(["# benchmarks/run_all.py", "",
                      provenance_line(provenance("see each part")), "",
                      f"Command: `.venv/bin/python benchmarks/run_all.py"
                      f"{' --only ' + only if only else ''}`", "",
                      tabulate(rows, headers=["part", "seconds", "status", "files"],
                               tablefmt="github"), "",
                      "Not regenerated (written by hand from the commands they quote): "
                      + ", ".join(BY_HAND) + ".", ""])
    (RESULTS / "run_all.md").write_text(text)
    click.echo(text)
    if any(row[2] != "ok" for row in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
