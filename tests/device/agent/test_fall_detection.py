"""The agent's promise on the trained demo bundle, without TensorFlow: on scripted har-synth scenes
every fall gives exactly one event, soon after the window has seen it, and nothing else does — in
clip and in streaming mode. (`benchmarks/fall_scenes.py` counts the same over 30 scenes.)

`tests/fixtures/demo_bundle` is the bundle `./run demo` builds (see tests/fixtures/README.md).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from har_device.core.bundle import load_bundle
from har_device.testing.scenes import SceneScore, scene_events, score_scene

DEMO = Path(__file__).parents[2] / "fixtures" / "demo_bundle"
SCRIPT = "walk:4,fall:3,idle:3,bend:3,sit:4,wave:3,fall:3,idle:2"


@pytest.mark.parametrize("mode", ["clip", "streaming"])
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_every_fall_gives_exactly_one_timely_event(mode: str, seed: int) -> None:
    meta = load_bundle(DEMO)
    events = scene_events(DEMO, SCRIPT, seed, mode)
    score = score_scene(events, SCRIPT, "fall", meta.frames / meta.sample_fps)
    assert score.perfect, (score, [e for e in events if e["label"] == "fall"])


def test_the_score_counts_late_missing_and_extra_starts() -> None:
    def start(at: float) -> dict:
        return {"label": "fall", "type": "start", "start_s": at}

    script = "walk:4,fall:3,sit:4,fall:1"
    on_time = [start(5.5), start(12.5)]
    assert score_scene(on_time, script, "fall", 2.0) == SceneScore(2)
    late = score_scene([start(7.5), start(12.5)], script, "fall", 2.0)
    assert (late.caught, len(late.missed), len(late.false_starts)) == (1, 1, 1)
    twice = score_scene([start(4.5), start(5.5), start(12.5), start(9.0)], script, "fall", 2.0)
    assert (twice.caught, len(twice.missed), len(twice.false_starts)) == (1, 1, 3)
