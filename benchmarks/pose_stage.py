"""The pose stage measured in one run: what its own work adds to the models, how rarely the detector
runs while it tracks one person, whether memory grows, how fast it is, and how it compares with
MediaPipe's own solution (the recorded fixture) and keeps a person who lies down.

    .venv-device/bin/python benchmarks/pose_stage.py [--frames 10000] [--threads 2]

Needs the cached models (`har-pose fetch`). Writes `benchmarks/results/pose_stage.{json,md}`.
The scenes are har-synth renders (deterministic by seed); the continuous one-person scene is
640×480 at 15 fps (40 s: a person walking, standing and waving, no bending: the landmark model does
not recognise the synthetic figure bent double), written to an mp4 and read back through the file
source, as a camera file would be.
"""
from __future__ import annotations

import json
import platform
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import click
import numpy as np

from har_device.core.video import read_all, write_video
from har_device.pose.tracker import PoseStage
from har_device.sources import open_source
from har_device.synth.camera import View
from har_device.synth.script import plan_script

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "tests" / "fixtures" / "pose_reference"
CONTINUOUS = "walk:8,idle:6,wave:6,walk:8,idle:6,wave:6"
FALL = "walk:3,fall:3,idle:3"
VIEWS = {"straight on": None, "low 0.8 m, 5°": View(0.8, 5.0), "eye 1.7 m, 20°": View(1.7, 20.0),
         "high 2.6 m, 40°": View(2.6, 40.0)}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def continuous_file(directory: Path, fps: float) -> Path:
    scene, _ = plan_script(CONTINUOUS, fps, (480, 640), seed=5)
    path = directory / "continuous_640x480.mp4"
    write_video(path, scene.iter_frames(), fps)
    return path


def stage_run(stage: PoseStage, frames: Iterator[tuple[np.ndarray, float]],
              every: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
    rows = []
    for index, (image, t) in enumerate(frames):
        result = stage.process(image, t)
        rows.append((result.total_ms, result.detector_ms, result.landmark_ms, result.detector_runs,
                     result.person))
        if every is not None:
            every(index)
    total, detector, landmark, runs, person = (np.array(column) for column in zip(*rows))
    return {"total": total, "detector": detector, "landmark": landmark, "runs": runs, "person": person}


def looped(frames: np.ndarray, fps: float, count: int) -> Iterator[tuple[np.ndarray, float]]:
    for index in range(count):
        yield frames[index % len(frames)], index / fps


def overhead_and_share(stage: PoseStage, frames: np.ndarray, fps: float) -> dict[str, Any]:
    run = stage_run(stage, looped(frames, fps, len(frames)))
    invoke = run["detector"] + run["landmark"]
    own = run["total"] - invoke
    tracked = run["runs"] == 0
    first = int(np.argmax(run["person"]))
    return {"frames": len(frames), "person_frames": int(run["person"].sum()),
            "first_found_frame": first,
            "detector_share_after_first_found": float((run["runs"][first + 1:] > 0).mean()),
            "own_work_over_invoke": float(own.sum() / invoke.sum()),
            "detector_frames": int((run["runs"] > 0).sum()),
            "detector_share": float((run["runs"] > 0).mean()),
            "p50_ms_tracked": float(np.median(run["total"][tracked])),
            "p50_ms_landmark_invoke": float(np.median(run["landmark"][tracked]))}


def with_detector_every_frame(stage: PoseStage, frames: np.ndarray, fps: float) -> dict[str, Any]:
    """MediaPipe's static-image path per frame: one detector run, one landmark run."""
    stage.keep_lying = False
    totals = []
    for image, t in looped(frames, fps, min(len(frames), 120)):
        stage.reset()
        totals.append(stage.process(image, t).total_ms)
    return {"p50_ms_with_detector": float(np.median(totals))}


def whole_stage_fps(stage: PoseStage, path: Path) -> dict[str, Any]:
    source = open_source(str(path))
    start = time.perf_counter()
    count = 0
    for frame in source.frames(threading.Event()):
        stage.process(frame.image, frame.stream_s)
        count += 1
    seconds = time.perf_counter() - start
    return {"file": "640x480 mp4, decode included", "frames": count, "fps": count / seconds}


def rss_growth(stage: PoseStage, frames: np.ndarray, fps: float, count: int) -> dict[str, Any]:
    marks: dict[int, float] = {}
    warm = min(500, count // 10)

    def mark(index: int) -> None:
        if index in (0, warm, count - 1):
            marks[index] = rss_mb()

    stage_run(stage, looped(frames, fps, count), mark)
    return {"frames": count, "rss_mb_first_frame": marks[0], "rss_mb_after_warmup": marks[warm],
            "warmup_frames": warm, "rss_mb_last_frame": marks[count - 1],
            "growth_mb_after_warmup": marks[count - 1] - marks[warm]}


def relative_distance(points: np.ndarray, reference: np.ndarray) -> float:
    size = np.max(np.nanmax(reference[:, :2], axis=0) - np.nanmin(reference[:, :2], axis=0))
    return float(np.median(np.hypot(*(points[:, :2] - reference[:, :2]).T)) / size)


def agreement(threads: int, har_synth: str) -> dict[str, Any]:
    """The stage against MediaPipe 0.10.14's own solution, as the tests compare them."""
    import cv2

    meta = json.loads((REFERENCE / "reference.json").read_text())
    arrays = np.load(REFERENCE / "reference.npz")
    out: dict[str, Any] = {"photos": {}, "scenes": {}}
    for name, photo in meta["photos"].items():
        result = PoseStage.load(threads=threads).process(cv2.imread(str(REFERENCE / photo["file"])), 0.0)
        out["photos"][name] = {"person": result.person, "median_distance_of_height":
                               relative_distance(result.points, arrays[f"photo/{name}"]) if result.person else None}
    with tempfile.TemporaryDirectory() as tmp:
        for name, scene in meta["scenes"].items():
            video = Path(tmp) / f"{name}.mp4"
            subprocess.run([har_synth, "video", str(video), *scene["har_synth_video"]], check=True,
                           capture_output=True)
            reference = arrays[f"scene/{name}"]
            stage = PoseStage.load(threads=threads)
            results = [stage.process(frame, i / 30) for i, frame in enumerate(read_all(video))]
            theirs = np.isfinite(reference[:, 0, 0])
            ours = np.array([r.person for r in results])
            both = ours & theirs
            out["scenes"][name] = {
                "frames": len(results), "mediapipe_person_frames": int(theirs.sum()),
                "stage_person_frames": int(ours.sum()), "found_where_mediapipe_found": float(both.sum() / theirs.sum()),
                "median_distance_of_height": float(np.median([relative_distance(r.points, reference[i])
                                                              for i, r in enumerate(results) if both[i]]))}
    return out


def lying(threads: int, seeds: range) -> dict[str, Any]:
    """Share of lying frames (figure box ≥ 2× as wide as tall) with a person, per camera view."""
    out = {}
    for name, view in VIEWS.items():
        kept = total = 0
        for seed in seeds:
            scene, _ = plan_script(FALL, 8.0, 256, seed, view)
            boxes = scene.boxes()
            down = (boxes[:, 2] - boxes[:, 0]) >= 2 * (boxes[:, 3] - boxes[:, 1])
            stage = PoseStage.load(threads=threads)
            found = np.array([stage.process(f, i / 8.0).person for i, f in enumerate(scene.iter_frames())])
            kept += int((found & down).sum())
            total += int(down.sum())
        out[name] = {"lying_frames": total, "kept": kept, "share": kept / total}
    return out


def markdown(r: dict[str, Any]) -> str:
    o, d, g = r["tracking"], r["with_detector"], r["rss"]
    lines = [
        "# Pose stage (BlazePose full in LiteRT, tracked and smoothed)", "",
        f"One run of `.venv-device/bin/python benchmarks/pose_stage.py --frames {g['frames']} "
        f"--threads {r['threads']}` on {r['machine']}. Continuous scene: har-synth `{CONTINUOUS}`, "
        "640×480, 15 fps, seed 5 (the detector count includes finding the person at the start).", "",
        "| measure | value | target |", "|---|---|---|",
        f"| stage's own work / models' invoke time (letterbox, warp, decode, smoothing) | "
        f"{100 * o['own_work_over_invoke']:.1f} % | ≤ 15 % |",
        f"| frames where the detector ran, continuous one-person scene | {o['detector_frames']}/"
        f"{o['frames']} = {100 * o['detector_share']:.1f} %; after the person is first found "
        f"(frame {o['first_found_frame']}): {100 * o['detector_share_after_first_found']:.1f} % | ≤ 5 % |",
        f"| RSS growth over {g['frames']} frames (after {g['warmup_frames']} warm-up frames) | "
        f"{g['growth_mb_after_warmup']:+.2f} MB ({g['rss_mb_after_warmup']:.1f} → "
        f"{g['rss_mb_last_frame']:.1f} MB) | < 5 MB |",
        f"| p50 per frame, tracked (landmark model only) | {o['p50_ms_tracked']:.1f} ms | reference |",
        f"| p50 per frame, detector + landmarks (every frame detected anew) | {d['p50_ms_with_detector']:.1f} ms "
        "| reference (MediaPipe's own solution: about 23 ms) |",
        f"| whole stage on a 640×480 file, decode included, {r['threads']} threads | "
        f"{r['fps']['fps']:.1f} fps | reference |", "",
        "## Agreement with MediaPipe 0.10.14's own solution (tests/fixtures/pose_reference)", "",
        "Median landmark distance over the person's size (long side of MediaPipe's skeleton box); "
        "scenes in video mode at MediaPipe's 30 fps clock.", "",
        "| input | person found | median distance | target |", "|---|---|---|---|"]
    for name, p in r["agreement"]["photos"].items():
        distance = f"{100 * p['median_distance_of_height']:.2f} %" if p["person"] else "—"
        lines.append(f"| photo {name} | {'yes' if p['person'] else 'no'} | {distance} | ≤ 2 % |")
    for name, s in r["agreement"]["scenes"].items():
        lines.append(f"| scene {name} | in {100 * s['found_where_mediapipe_found']:.0f} % of MediaPipe's "
                     f"{s['mediapipe_person_frames']} frames (stage: {s['stage_person_frames']}/{s['frames']}) "
                     f"| {100 * s['median_distance_of_height']:.2f} % | ≥ 95 %, ≤ 2 % |")
    lines += ["", f"## A person lying down (har-synth `{FALL}`, 256 px, 8 fps, seeds "
              f"{r['lying_seeds']})", "", "| camera | lying frames with a person | target |", "|---|---|---|"]
    for name, v in r["lying"].items():
        lines.append(f"| {name} | {v['kept']}/{v['lying_frames']} = {100 * v['share']:.0f} % | ≥ 90 % |")
    return "\n".join(lines) + "\n"


@click.command()
@click.option("--frames", type=int, default=10_000, show_default=True, help="Frames for the RSS loop.")
@click.option("--threads", type=int, default=2, show_default=True)
@click.option("--seeds", type=int, default=4, show_default=True, help="Fall scenes per camera view.")
def main(frames: int, threads: int, seeds: int) -> None:
    har_synth = str(Path(__import__("sys").executable).with_name("har-synth"))
    fps = 15.0
    with tempfile.TemporaryDirectory() as tmp:
        path = continuous_file(Path(tmp), fps)
        images = read_all(path)
        results: dict[str, Any] = {
            "threads": threads, "machine": f"{platform.machine()}, {platform.python_version()}",
            "tracking": overhead_and_share(PoseStage.load(threads=threads), images, fps),
            "with_detector": with_detector_every_frame(PoseStage.load(threads=threads), images, fps),
            "fps": whole_stage_fps(PoseStage.load(threads=threads), path),
        }
        clip = images[:60].copy()
        del images
        results["rss"] = rss_growth(PoseStage.load(threads=threads), clip, fps, frames)
    results["agreement"] = agreement(threads, har_synth)
    results["lying_seeds"] = f"0-{seeds - 1}"
    results["lying"] = lying(threads, range(seeds))
    out = HERE / "results"
    (out / "pose_stage.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "pose_stage.md").write_text(markdown(results))
    click.echo(markdown(results))


if __name__ == "__main__":
    main()
