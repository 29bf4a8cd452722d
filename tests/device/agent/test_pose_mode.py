"""The agent in mode `pose`: camera frame -> BlazePose stage -> T keypoint frames -> int8 head ->
events, on the committed pose bundle (a kp-gru head) with the real BlazePose files beside it."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from console_scripts import console_script

from har_device.agent.loop import Agent, AgentStatus
from har_device.agent.pose_runner import GRACE_S, PoseRunner
from har_device.config.schema import load_config
from har_device.core.bundle import load_bundle
from har_device.core.litert import TFLiteModel
from har_device.core.pose_models import MIN_PERSON_HEIGHT, MODELS
from har_device.core.video import probe, write_video
from har_device.mqtt.telemetry import state_payload
from har_device.pose.tracker import PoseStage
from har_device.synth.script import plan_script
from har_device.testing.pose_bundle import with_pose_models

POSE_BUNDLE = Path(__file__).resolve().parents[2] / "fixtures" / "pose_bundle"
SCENE = "synthetic:walk:3,fall:3,idle:3;fps=8;size=256"


@pytest.fixture(scope="session")
def pose_bundle(pose_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed bundle with the pinned BlazePose files it carries (kept out of git)."""
    return with_pose_models(POSE_BUNDLE, tmp_path_factory.mktemp("pose"))


def agent(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([console_script("har-agent"), *args], capture_output=True, text=True,
                          timeout=300)


class Statuses:
    def __init__(self) -> None:
        self.seen: list[AgentStatus] = []

    def frame_done(self, status: AgentStatus) -> None:
        self.seen.append(status)

    def close(self, status: AgentStatus) -> None:
        """Nothing to release."""


def test_a_fall_seen_through_the_pose_stage_raises_one_event(pose_bundle: Path,
                                                            tmp_path: Path) -> None:
    latency = tmp_path / "latency.csv"
    done = agent("run", "--bundle", str(pose_bundle), "--source", SCENE, "--events-log",
                 str(tmp_path / "events.jsonl"), "--latency-log", str(latency), "--print-events",
                 "--preview", str(tmp_path / "preview.mp4"))
    assert done.returncode == 0, done.stderr
    starts = [line for line in done.stdout.splitlines() if "START" in line]
    assert len(starts) == 1 and "fall" in starts[0], done.stdout
    assert 3.0 <= float(starts[0].split()[0].rstrip("s")) <= 6.5
    rows = list(csv.DictReader(latency.open()))
    assert len(rows) == 72 and all(row["person"] == "1" for row in rows)
    assert all(float(row["pose_ms"]) > 0 and float(row["landmark_ms"]) > 0 for row in rows)
    assert probe(tmp_path / "preview.mp4").frame_count == 72


def test_no_person_in_view_runs_no_head_and_says_no_person(pose_bundle: Path,
                                                           tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    write_video(empty, (np.full((240, 320, 3), 90, np.uint8) for _ in range(24)), 8.0)
    statuses = Statuses()
    config = load_config(None, {"bundle": pose_bundle, "source": str(empty)})
    summary = Agent(config, observers=[statuses]).run(threading.Event())
    assert summary.frames_processed == 24 and summary.decisions == 0
    assert all(status.person is False for status in statuses.seen)
    assert state_payload(statuses.seen[-1], 0.0)["top_label"] == "no_person"


def test_a_tampered_pose_model_is_refused_in_one_line(pose_bundle: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(pose_bundle, bundle)
    with (bundle / MODELS[1].name).open("r+b") as model:
        model.seek(4096)
        model.write(b"\x00\x01\x02\x03")
    done = agent("run", "--bundle", str(bundle), "--source", SCENE)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert MODELS[1].name in done.stderr and "sha256" in done.stderr


def test_har_bench_times_the_pose_stage_inside_the_pipeline(pose_bundle: Path,
                                                             tmp_path: Path) -> None:
    done = subprocess.run([console_script("har-bench"), str(pose_bundle), "--pipeline", SCENE,
                           "--frames", "24", "--runs", "5", "--json", str(tmp_path / "b.json")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "b.json").read_text())
    stages = report["pipeline"]["modes"]["pose"]["stages_ms"]
    assert stages["pose_ms"]["mean"] > 10 * stages["inference_ms"]["mean"] > 0
    assert {model["role"] for model in report["models"]} == {"clip", "clip_float"}


def test_the_head_keeps_judging_for_a_grace_after_the_person_is_lost(pose_bundle: Path) -> None:
    """A person in view for 3 s, then an empty frame for 1 s: the head runs on every frame once its
    window is full, and for GRACE_S of the empty frames (the stage loses people most often as they
    fall), then stops."""
    fps = 8.0
    scene, _ = plan_script("walk:3", fps, 256, seed=0)
    frames = [*scene.iter_frames(), *(np.full((256, 256, 3), 90, np.uint8) for _ in range(8))]
    meta = load_bundle(pose_bundle)
    head = TFLiteModel(pose_bundle / "model_int8.tflite", 2)
    runner = PoseRunner(PoseStage.load(pose_bundle, 2), head, meta.frames, fps)
    pushed = [runner.push(frame) for frame in frames]
    person = [scores.pose.person for scores in pushed]
    decided = [scores.probabilities is not None for scores in pushed]
    assert all(person[:24]) and not any(person[24:])
    grace = round(GRACE_S * fps)
    waiting, judged = meta.frames - 1, 24 - meta.frames + 1 + grace
    assert decided == [False] * waiting + [True] * judged + [False] * (8 - grace)


def test_a_person_smaller_than_min_person_height_is_not_judged(pose_bundle: Path) -> None:
    """The same walk, framed so the figure is far smaller than the frame: the stage still finds
    them, and the runner neither reports a person nor runs the head; at the default height the
    full-size figure is judged."""
    fps = 8.0
    scene, _ = plan_script("walk:3", fps, 256, seed=0)
    frames = list(scene.iter_frames())
    meta = load_bundle(pose_bundle)

    def pushed(min_person_height: float) -> list:
        runner = PoseRunner(PoseStage.load(pose_bundle, 2),
                            TFLiteModel(pose_bundle / "model_int8.tflite", 2), meta.frames, fps,
                            min_person_height=min_person_height)
        return [runner.push(frame) for frame in frames]

    small = pushed(0.95)
    assert all(scores.pose.region is not None for scores in small)
    assert not any(scores.pose.person or scores.probabilities is not None for scores in small)
    assert all(scores.pose.person for scores in pushed(MIN_PERSON_HEIGHT))
