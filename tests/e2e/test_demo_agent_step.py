"""`./run demo`'s last step (broker, `har-agent alerts`, `har-agent run`, the results screen) on
the shipped demo bundle, run twice as a rerun of the demo does."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from har_convert.cli.demo import (
    DEMO_SEED,
    build_steps,
    run_agent_with_alerts,
    show_results,
)

REPO = Path(__file__).parents[2]
DEMO_BUNDLE = REPO / "tests" / "fixtures" / "demo_bundle"


def test_a_rerun_shows_the_events_of_its_own_run_only(tmp_path: Path, capsys) -> None:
    shutil.copytree(DEMO_BUNDLE, tmp_path / "bundle")
    render_video = build_steps(tmp_path, DEMO_SEED)[-1]
    subprocess.run(render_video.command, check=True, capture_output=True)
    runs, logged = [], []
    for _ in range(2):
        runs.append(run_agent_with_alerts(tmp_path, 5, 5))
        logged.append([(tmp_path / name).read_text().splitlines()
                       for name in ("events.jsonl", "latency.csv")])
    (events, latency), (rerun_events, rerun_latency) = logged
    alerts = [alerts.strip().splitlines() for alerts, _ in runs]
    assert events and len(rerun_events) == len(events) == len(alerts[0]) == len(alerts[1])
    assert len(rerun_latency) == len(latency) > 1
    capsys.readouterr()
    show_results(tmp_path, *runs[1])
    assert "falls caught: 2 of 2" in capsys.readouterr().out

