"""Fall detection over many scripted scenes: how often every fall gives exactly one timely event
and nothing else does, in clip and streaming mode — the acceptance test's rule, counted.

    .venv-device/bin/python benchmarks/fall_scenes.py [--bundle tests/fixtures/demo_bundle] [--seeds 11-40]

Each seed is a different person, room, camera and timing of the same script (two falls among walk,
idle, bend, sit and wave). Writes `benchmarks/results/fall_scenes.{json,md}`; runs without
TensorFlow.
"""
from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import click

from har_device.core.bundle import load_bundle
from har_device.synth import parse_script, timeline
from har_device.testing.pose_bundle import with_pose_models
from har_device.testing.scenes import DECISION_DELAY_S, scene_events, score_scene

HERE = Path(__file__).resolve().parent
SCRIPT = "walk:4,fall:3,idle:3,bend:3,sit:4,wave:3,fall:3,idle:2"
PIXEL_MODES = ("clip", "streaming")
# The pose stage needs the person larger than the pixel models' 112 px renders give it.
POSE_SIZE = 256


def segment_at(script: str, at_s: float) -> str:
    return next((s["label"] for s in timeline(parse_script(script))
                 if s["start_s"] <= at_s < s["end_s"]), "after the end")


def run_mode(bundle: Path, mode: str, seeds: list[int], window_s: float,
             size: int) -> dict[str, Any]:
    perfect, caught, falls = 0, 0, 0
    false_during: Counter[str] = Counter()
    failures = []
    for seed in seeds:
        events = scene_events(bundle, SCRIPT, seed, None if mode == "pose" else mode, size=size)
        score = score_scene(events, SCRIPT, "fall", window_s)
        perfect += score.perfect
        caught += score.caught
        falls += score.caught + len(score.missed)
        false_during.update(segment_at(SCRIPT, e["start_s"]) for e in score.false_starts)
        if not score.perfect:
            failures.append({"seed": seed, "missed_s": [s["start_s"] for s in score.missed],
                             "false_start_s": [e["start_s"] for e in score.false_starts]})
    return {"scenes": len(seeds), "perfect_scenes": perfect, "falls": falls, "caught": caught,
            "false_starts": sum(false_during.values()), "false_starts_during": dict(false_during),
            "failures": failures}


def markdown(bundle: Path, seeds: list[int], results: dict[str, dict[str, Any]],
             size: int) -> str:
    lines = [f"# Fall detection on {len(seeds)} scripted scenes", "",
             f"Bundle `{bundle}`; script `{SCRIPT}` (8 fps, {size} px), seeds {seeds[0]}-{seeds[-1]}. "
             f"A fall is caught when exactly one `start` lies between the fall's start and the "
             f"moment the window has seen it plus {DECISION_DELAY_S:g} s. Produced by "
             f"`.venv-device/bin/python benchmarks/fall_scenes.py --bundle {bundle}`.", "",
             "| mode | scenes without a miss or false alarm | falls caught | false alarms | false alarms during |",
             "|---|---|---|---|---|"]
    for mode, r in results.items():
        during = ", ".join(f"{label} {n}" for label, n in sorted(r["false_starts_during"].items()))
        lines.append(f"| {mode} | {r['perfect_scenes']}/{r['scenes']} | {r['caught']}/{r['falls']} | "
                     f"{r['false_starts']} | {during or '-'} |")
    return "\n".join(lines) + "\n"


def parse_seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    try:
        seeds = list(range(int(first), int(last or first) + 1))
    except ValueError:
        raise click.BadParameter("expected FIRST-LAST, e.g. 11-40", param_hint="--seeds") from None
    if not seeds:
        raise click.BadParameter("the range is empty", param_hint="--seeds")
    return seeds


@click.command()
@click.option("--bundle", type=click.Path(path_type=Path, exists=True, file_okay=False),
              default=HERE.parent / "tests" / "fixtures" / "demo_bundle", show_default=True)
@click.option("--seeds", default="11-40", show_default=True, help="FIRST-LAST scene seeds.")
def main(bundle: Path, seeds: str) -> None:
    seed_list = parse_seeds(seeds)
    with tempfile.TemporaryDirectory(prefix="fall-scenes-") as tmp:
        whole = with_pose_models(bundle, Path(tmp))
        meta = load_bundle(whole)
        window_s = meta.frames / meta.sample_fps
        pose = meta.mode == "pose"
        size = POSE_SIZE if pose else 112
        modes = ("pose",) if pose else PIXEL_MODES
        results = {mode: run_mode(whole, mode, seed_list, window_s, size) for mode in modes}
    shown = bundle.resolve()
    shown = shown.relative_to(HERE.parent) if shown.is_relative_to(HERE.parent) else shown
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    name = "fall_scenes_pose" if pose else "fall_scenes"
    (out / f"{name}.json").write_text(json.dumps(
        {"bundle": str(shown), "script": SCRIPT, "seeds": seed_list, "size": size,
         "results": results}, indent=2) + "\n")
    text = markdown(shown, seed_list, results, size)
    (out / f"{name}.md").write_text(text)
    click.echo(text)


if __name__ == "__main__":
    main()
