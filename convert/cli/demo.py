"""`./run demo`: the whole har-edge job on built-in defaults, as a newcomer first sees it.

By default the pose pipeline: write synthetic keypoint sequences, train a keypoint head, convert it
(pruning, QAT, full int8) into a pose bundle carrying the BlazePose files, then start a private
MQTT broker, subscribe with `har-agent alerts`, and run the agent on a scripted video with falls:
frames -> pose stage -> head -> events. `--pixels` runs the pixel pipeline instead (rendered clips,
an LRCN over the frames). Each step runs the real console script a user would type, so the demo is
also a living example of the commands. A step whose outputs exist is skipped, so a rerun reuses
what is built; `--fresh` starts over.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from har_convert.recipes import (
    CONVERT_OPTIONS,
    DATASET_OPTIONS,
    DEMO_SCRIPT,
    DEMO_SEED,
    KEYPOINT_CONVERT_OPTIONS,
    KEYPOINT_SKELETON_OPTIONS,
    KEYPOINT_TRAIN_OPTIONS,
    POSE_VIDEO_SIZE,
    TRAIN_OPTIONS,
)
from har_device.cli.entry import run_cli
from har_device.core.bundle import load_bundle
from har_device.core.errors import WorkFailed
from har_device.testing.broker import LocalBroker
from har_device.testing.scenes import score_scene

ALERTS_WAIT_S = 30.0
PIXEL_VIDEO_SIZE = 112


@dataclass(frozen=True)
class Step:
    title: str
    command: list[str]
    done_when: tuple[Path, ...] = ()

    def is_done(self) -> bool:
        return bool(self.done_when) and all(path.exists() for path in self.done_when)


@dataclass(frozen=True)
class Pipeline:
    """What one of the demo's pipelines builds in the work folder, and the video its agent watches
    (the scene's timeline is the .json beside it)."""

    steps: list[Step]
    bundle: Path
    video: Path


def _tool(name: str) -> str:
    """The console script installed beside this interpreter (the demo's own environment)."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else name


def _render_video(video: Path, size: int, seed: int) -> Step:
    return Step(f"render a scripted video with falls among other actions ({size} px)",
                [_tool("har-synth"), "video", str(video), "--script", DEMO_SCRIPT, "--fps", "8",
                 "--size", str(size), "--seed", str(seed + 1)],
                (video, video.with_suffix(".json")))


def pose_pipeline(work: Path, seed: int) -> Pipeline:
    """Keypoint sequences -> head -> pose bundle; the video large enough for the pose stage."""
    data, model, bundle = work / "skeletons", work / "head.keras", work / "pose_bundle"
    video = work / f"falls_{POSE_VIDEO_SIZE}px.mp4"
    return Pipeline([
        Step("fetch the pose stage's BlazePose models (pinned, sha256-checked; cached once)",
             [_tool("har-pose"), "fetch"]),
        Step("write synthetic keypoint sequences (8 classes, random cameras, pose-stage errors)",
             [_tool("har-synth"), "skeletons", str(data), *KEYPOINT_SKELETON_OPTIONS,
              "--seed", str(seed), "--force"],
             (data / "classInd.txt",)),
        Step("train the keypoint head",
             [_tool("har-train"), "--data", str(data), *KEYPOINT_TRAIN_OPTIONS,
              "--seed", str(seed), "--out", str(model)],
             (model,)),
        Step("prune, quantization-aware train and convert to a verified full-int8 pose bundle",
             [_tool("har-convert"), str(model), "--data", str(data), "--out", str(bundle),
              *KEYPOINT_CONVERT_OPTIONS],
             (bundle / "har_model.json",)),
        _render_video(video, POSE_VIDEO_SIZE, seed),
    ], bundle, video)


def pixel_pipeline(work: Path, seed: int) -> Pipeline:
    """Rendered clips -> LRCN over 64x64 frames -> streaming bundle; the pixel demo's video."""
    data, model, bundle = work / "data", work / "model.keras", work / "bundle"
    video = work / "falls.mp4"
    return Pipeline([
        Step("render a synthetic 6-class dataset (2400 clips, 99 people and rooms)",
             [_tool("har-synth"), "dataset", str(data), *DATASET_OPTIONS, "--seed", str(seed),
              "--force"],
             (data / "classInd.txt",)),
        Step("train the demo model (LRCN, 8 frames of 64x64 at 4 fps)",
             [_tool("har-train"), "--arch", "lrcn", "--data", str(data), *TRAIN_OPTIONS,
              "--seed", str(seed), "--out", str(model)],
             (model,)),
        Step("prune, quantization-aware train and convert to a verified full-int8 bundle",
             [_tool("har-convert"), str(model), "--data", str(data), "--out", str(bundle),
              *CONVERT_OPTIONS],
             (bundle / "har_model.json",)),
        _render_video(video, PIXEL_VIDEO_SIZE, seed),
    ], bundle, video)


def _run(step: Step, number: int, total: int) -> float | None:
    """Run the step unless its outputs exist; its duration in seconds (None when reused)."""
    header = f"[{number}/{total}] {step.title}"
    if step.is_done():
        click.secho(f"{header}: already built, reusing", fg="cyan")
        return None
    click.secho(header, bold=True)
    click.echo("    $ " + " ".join(step.command))
    started = time.monotonic()
    completed = subprocess.run(step.command, check=False)
    if completed.returncode != 0:
        raise WorkFailed(f"step {number} ({step.title}) exited {completed.returncode}")
    elapsed = time.monotonic() - started
    click.secho(f"    done in {elapsed:.0f} s", fg="green")
    return elapsed


def run_agent_with_alerts(work: Path, pipeline: Pipeline, number: int,
                          total: int) -> tuple[str, str]:
    """Start a private broker, subscribe with `har-agent alerts`, run the agent on the video.

    Returns what the subscriber printed and the agent's exit summary. The agent appends to its
    logs, so a rerun starts them empty: the results are of this run alone.
    """
    click.secho(f"[{number}/{total}] run the agent on the video; alerts arrive over MQTT",
                bold=True)
    video, bundle = pipeline.video, pipeline.bundle
    for log in (work / "events.jsonl", work / "latency.csv"):
        log.unlink(missing_ok=True)
    with LocalBroker() as broker:
        alerts_command = [_tool("har-agent"), "alerts", "--broker", broker.url, "--device",
                          "demo-cam", "--timeout", "300"]
        agent_command = [_tool("har-agent"), "run", "--bundle", str(bundle), "--source",
                         str(video), "--device-id", "demo-cam", "--broker", broker.url,
                         "--state-dir", str(work / "state"),
                         "--events-log", str(work / "events.jsonl"),
                         "--latency-log", str(work / "latency.csv")]
        click.echo("    $ " + " ".join(alerts_command) + " &")
        subscriber = subprocess.Popen(alerts_command, stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        click.echo("    $ " + " ".join(agent_command))
        agent = subprocess.run(agent_command, capture_output=True, text=True, check=False)
        if agent.returncode != 0:
            subscriber.kill()
            raise WorkFailed(f"har-agent run exited {agent.returncode}: {agent.stderr.strip()}")
        published = len((work / "events.jsonl").read_text().splitlines())
        alerts = _lines_until(subscriber, published, ALERTS_WAIT_S)
    return alerts, agent.stderr


def _collect(stream: Any, into: list[str]) -> None:
    for line in stream:
        into.append(line)


def _lines_until(subscriber: subprocess.Popen, expected: int, wait_s: float) -> str:
    """What the subscriber printed once `expected` lines arrived (or `wait_s` passed), then stop it:
    the agent has sent every event, so the subscriber only has to catch up."""
    lines: list[str] = []
    reader = threading.Thread(target=_collect, args=(subscriber.stdout, lines), daemon=True)
    reader.start()
    deadline = time.monotonic() + wait_s
    while len(lines) < expected and time.monotonic() < deadline and reader.is_alive():
        time.sleep(0.1)
    subscriber.terminate()
    subscriber.wait(timeout=10)
    reader.join(timeout=5)
    return "".join(lines)


def show_results(work: Path, pipeline: Pipeline, alerts: str, agent_summary: str) -> None:
    click.secho("\nAlerts received over MQTT (har-agent alerts)", bold=True)
    click.echo(alerts.strip() or "(none)")
    scene = json.loads(pipeline.video.with_suffix(".json").read_text())
    truth = ", ".join(f"{s['start_s']:.0f}-{s['end_s']:.0f} s" for s in scene["timeline"]
                      if s["label"] == "fall")
    click.echo(f"ground truth: falls at {truth}")
    events = [json.loads(line) for line in (work / "events.jsonl").read_text().splitlines()]
    meta = load_bundle(pipeline.bundle)
    score = score_scene(events, scene["script"], "fall", meta.frames / meta.sample_fps)
    false_at = ", ".join(f"{e['start_s']:g} s" for e in score.false_starts) or "none"
    click.echo(f"falls caught: {score.caught} of {score.caught + len(score.missed)}; "
               f"false alarms: {false_at}")
    report = pipeline.bundle / "report.md"
    if report.exists():
        click.secho("\nConversion (har-convert report.md)", bold=True)
        click.echo(report.read_text().strip())
    click.secho("\nAgent latency on this machine (har-agent run)", bold=True)
    click.echo("\n".join(line for line in agent_summary.splitlines()
                         if not line.startswith("INFO:")).strip())


@click.command()
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="Folder for everything the demo builds.")
@click.option("--seed", default=DEMO_SEED, show_default=True)
@click.option("--fresh", is_flag=True, help="Delete the work folder first and rebuild everything.")
@click.option("--pixels", is_flag=True,
              help="The pixel pipeline instead: rendered clips, an LRCN over 64x64 frames.")
def cli(work: Path, seed: int, fresh: bool, pixels: bool) -> None:
    """Build a fall detector on synthetic data, convert it to int8 and run the agent on a video
    with falls: by default through the pose stage and a keypoint head, with --pixels on frames."""
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    pipeline = (pixel_pipeline if pixels else pose_pipeline)(work, seed)
    total = len(pipeline.steps) + 1
    started = time.monotonic()
    timings = [_run(step, number, total) for number, step in enumerate(pipeline.steps, 1)]
    agent_started = time.monotonic()
    alerts, agent_summary = run_agent_with_alerts(work, pipeline, total, total)
    timings.append(time.monotonic() - agent_started)
    show_results(work, pipeline, alerts, agent_summary)
    per_step = ", ".join(f"[{n}] {'reused' if t is None else f'{t:.0f} s'}"
                         for n, t in enumerate(timings, 1))
    click.secho(f"\ndemo finished in {time.monotonic() - started:.0f} s ({per_step}); "
                f"outputs in {work}/", bold=True)


main = run_cli(cli, "har-demo")

if __name__ == "__main__":
    main()
