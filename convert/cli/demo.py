"""`./run demo`: the whole har-edge job on built-in defaults, as a newcomer first sees it.

Render a synthetic dataset, train the demo model, convert it (pruning, QAT, full int8), then start
a private MQTT broker, subscribe with `har-agent alerts`, and run the agent on a scripted video
with falls. Each step runs the real console script a user would type, so the demo is also a living
example of the commands. A step whose outputs exist is skipped, so a rerun reuses what is built;
`--fresh` starts over.
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
    TRAIN_OPTIONS,
)
from har_device.cli.entry import run_cli
from har_device.core.bundle import load_bundle
from har_device.core.errors import WorkFailed
from har_device.testing.broker import LocalBroker
from har_device.testing.scenes import score_scene

ALERTS_WAIT_S = 30.0


@dataclass(frozen=True)
class Step:
    title: str
    command: list[str]
    done_when: tuple[Path, ...] = ()

    def is_done(self) -> bool:
        return bool(self.done_when) and all(path.exists() for path in self.done_when)


def _tool(name: str) -> str:
    """The console script installed beside this interpreter (the demo's own environment)."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else name


def build_steps(work: Path, seed: int) -> list[Step]:
    data, model, bundle = work / "data", work / "model.keras", work / "bundle"
    video = work / "falls.mp4"
    return [
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
        Step("render a scripted video with falls among other actions",
             [_tool("har-synth"), "video", str(video), "--script", DEMO_SCRIPT, "--fps", "8",
              "--size", "112", "--seed", str(seed + 1)],
             (video, video.with_suffix(".json"))),
    ]


def _run(step: Step, number: int, total: int) -> None:
    header = f"[{number}/{total}] {step.title}"
    if step.is_done():
        click.secho(f"{header}: already built, reusing", fg="cyan")
        return
    click.secho(header, bold=True)
    click.echo("    $ " + " ".join(step.command))
    started = time.monotonic()
    completed = subprocess.run(step.command, check=False)
    if completed.returncode != 0:
        raise WorkFailed(f"step {number} ({step.title}) exited {completed.returncode}")
    click.secho(f"    done in {time.monotonic() - started:.0f} s", fg="green")


def run_agent_with_alerts(work: Path, number: int, total: int) -> tuple[str, str]:
    """Start a private broker, subscribe with `har-agent alerts`, run the agent on the video.

    Returns what the subscriber printed and the agent's exit summary. The agent appends to its
    logs, so a rerun starts them empty: the results are of this run alone.
    """
    click.secho(f"[{number}/{total}] run the agent on the video; alerts arrive over MQTT",
                bold=True)
    video, bundle = work / "falls.mp4", work / "bundle"
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


def show_results(work: Path, alerts: str, agent_summary: str) -> None:
    click.secho("\nAlerts received over MQTT (har-agent alerts)", bold=True)
    click.echo(alerts.strip() or "(none)")
    scene = json.loads((work / "falls.json").read_text())
    truth = ", ".join(f"{s['start_s']:.0f}-{s['end_s']:.0f} s" for s in scene["timeline"]
                      if s["label"] == "fall")
    click.echo(f"ground truth: falls at {truth}")
    events = [json.loads(line) for line in (work / "events.jsonl").read_text().splitlines()]
    meta = load_bundle(work / "bundle")
    score = score_scene(events, scene["script"], "fall", meta.frames / meta.sample_fps)
    false_at = ", ".join(f"{e['start_s']:g} s" for e in score.false_starts) or "none"
    click.echo(f"falls caught: {score.caught} of {score.caught + len(score.missed)}; "
               f"false alarms: {false_at}")
    report = work / "bundle" / "report.md"
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
def cli(work: Path, seed: int, fresh: bool) -> None:
    """Render data, train, convert to int8 and run the agent on a video with falls."""
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    steps = build_steps(work, seed)
    total = len(steps) + 1
    started = time.monotonic()
    for number, step in enumerate(steps, 1):
        _run(step, number, total)
    alerts, agent_summary = run_agent_with_alerts(work, total, total)
    show_results(work, alerts, agent_summary)
    click.secho(f"\ndemo finished in {time.monotonic() - started:.0f} s; outputs in {work}/",
                bold=True)


main = run_cli(cli, "har-demo")

if __name__ == "__main__":
    main()
