"""`./run demo`'s last step (broker, `har-agent alerts`, `har-agent run`, the results screen) on
the shipped bundles: the pixel pipeline's twice, as a rerun of the demo does, and the pose
pipeline's (the committed pose bundle with the cached BlazePose files) on the video the pose demo
renders."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from har_convert.cli.demo import (
    DEMO_SEED,
    Pipeline,
    pixel_pipeline,
    pose_pipeline,
    run_agent_with_alerts,
    show_results,
)
from har_device.testing.pose_bundle import with_pose_models

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _with_shipped_bundle(pipeline: Pipeline, shipped: Path) -> None:
    """Put the shipped bundle where the pipeline builds its own, and render the demo's video."""
    shutil.copytree(with_pose_models(shipped, pipeline.bundle.parent / "shipped"), pipeline.bundle)
    render_video = pipeline.steps[-1]
    subprocess.run(render_video.command, check=True, capture_output=True)


def test_a_rerun_shows_the_events_of_its_own_run_only(tmp_path: Path, capsys) -> None:
    pipeline = pixel_pipeline(tmp_path, DEMO_SEED)
    _with_shipped_bundle(pipeline, FIXTURES / "demo_bundle")
    runs, logged = [], []
    for _ in range(2):
        runs.append(run_agent_with_alerts(tmp_path, pipeline, 5, 5))
        logged.append([(tmp_path / name).read_text().splitlines()
                       for name in ("events.jsonl", "latency.csv")])
    (events, latency), (rerun_events, rerun_latency) = logged
    alerts = [alerts.strip().splitlines() for alerts, _ in runs]
    assert events and len(rerun_events) == len(events) == len(alerts[0]) == len(alerts[1])
    assert len(rerun_latency) == len(latency) > 1
    capsys.readouterr()
    show_results(tmp_path, pipeline, *runs[1])
    assert "falls caught: 2 of 2" in capsys.readouterr().out


def test_the_pose_demo_runs_the_video_through_the_pose_stage(tmp_path: Path, capsys) -> None:
    pipeline = pose_pipeline(tmp_path, DEMO_SEED)
    _with_shipped_bundle(pipeline, FIXTURES / "pose_bundle")
    alerts, summary = run_agent_with_alerts(tmp_path, pipeline, 6, 6)
    events = (tmp_path / "events.jsonl").read_text().splitlines()
    assert events and len(alerts.strip().splitlines()) == len(events)
    rows = (tmp_path / "latency.csv").read_text().splitlines()
    assert len(rows) == 1 + 25 * 8 and sum(row.endswith(",1") for row in rows) > 0.8 * 200
    capsys.readouterr()
    show_results(tmp_path, pipeline, alerts, summary)
    shown = capsys.readouterr().out
    assert "mode **pose**" in shown and "\npose " in shown and "falls caught: " in shown
