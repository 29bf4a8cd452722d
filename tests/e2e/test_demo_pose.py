"""`./run demo` as a newcomer runs it (the default: the pose pipeline, the real recipe, about a
minute on 2 cores after the environment), then again: the rerun reuses every built step."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from har_convert.recipes import KEYPOINT_TRAIN_OPTIONS


def demo(work: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "har_convert.cli.demo", "--work", str(work)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_the_default_demo_builds_a_pose_bundle_and_runs_it(tmp_path: Path) -> None:
    shown = demo(tmp_path)
    alerts = shown.split("Alerts received over MQTT (har-agent alerts)\n")[1].split("ground truth")[0]
    events = (tmp_path / "events.jsonl").read_text().splitlines()
    assert events and len(alerts.strip().splitlines()) == len(events)
    # Nine heads trained by the recipe all caught both falls of this scene without a false alarm
    # once a fall had to end on the floor (pose.posture), so one retrained here must too.
    assert "falls caught: 2 of 2; false alarms: none" in shown and "mode **pose**" in shown
    assert "\npose " in shown and " ".join(KEYPOINT_TRAIN_OPTIONS) in shown
    rerun = demo(tmp_path)
    assert rerun.count("already built, reusing") == 4
    assert "[2] reused, [3] reused, [4] reused, [5] reused" in rerun
