"""The event engine on scripted score sequences: when events start, end, latch, escalate, repeat."""
from __future__ import annotations

import numpy as np
import pytest

from har_device.agent.events import EventEngine
from har_device.core.bundle import EventDefaults, default_event_settings
from har_device.sources import Frame

LABELS = ["fall", "walk", "idle"]
FPS = 8.0


def frame(index: int) -> Frame:
    return Frame(index, np.zeros((1, 1, 3), np.uint8), index / FPS, 0.0, 1_700_000_000 + index / FPS)


def scores(top: str, value: float = 0.9) -> np.ndarray:
    rest = (1.0 - value) / (len(LABELS) - 1)
    return np.array([value if label == top else rest for label in LABELS])


def run(engine: EventEngine, timeline: list[tuple[str, int]]) -> list[dict]:
    messages, index = [], 0
    for label, count in timeline:
        for _ in range(count):
            messages += engine.update(scores(label), frame(index))
            index += 1
    return messages


def engine_with(**fall: object) -> EventEngine:
    base = {"alert": True, "smoothing": 1, "min_duration_s": 0.25, "cooldown_s": 2.0}
    settings = {"fall": EventDefaults(**{**base, **fall})}
    return EventEngine(LABELS, settings, "dev1", "ab" * 32)


def test_event_starts_after_min_duration_and_ends_below_exit() -> None:
    messages = run(engine_with(), [("walk", 5), ("fall", 6), ("walk", 5)])
    assert [m["type"] for m in messages] == ["start", "end"]
    start, end = messages
    assert start["start_frame"] == 7  # frames 5, 6, 7: 0.25 s above `enter` at 8 fps
    assert end["end_frame"] == 11 and end["reason"] == "score below exit threshold"
    assert start["event_id"] == end["event_id"]
    assert start["device_id"] == "dev1" and start["model_sha256"] == "ab" * 32


def test_one_noisy_window_is_not_an_event() -> None:
    assert run(engine_with(), [("walk", 5), ("fall", 2), ("walk", 5)]) == []


def test_hysteresis_keeps_the_event_between_exit_and_enter() -> None:
    engine = engine_with(enter=0.6, exit=0.3)
    messages = []
    values = [0.9] * 4 + [0.5] * 6 + [0.2]
    for index, value in enumerate(values):
        messages += engine.update(scores("fall", value), frame(index))
    assert [m["type"] for m in messages] == ["start", "end"]
    assert messages[1]["end_frame"] == len(values) - 1
    assert messages[1]["peak_score"] == pytest.approx(0.9)


def test_cooldown_suppresses_a_second_event_right_after_the_first() -> None:
    messages = run(engine_with(), [("fall", 4), ("walk", 2), ("fall", 4), ("walk", 20), ("fall", 4)])
    starts = [m for m in messages if m["type"] == "start"]
    assert len(starts) == 2 and starts[1]["start_frame"] >= 26
    assert len({m["event_id"] for m in starts}) == 2


def test_latched_fall_stays_down_until_another_action_is_seen() -> None:
    engine = engine_with(latch=True)
    messages = run(engine, [("fall", 4), ("idle", 1), ("fall", 2)])
    assert [m["type"] for m in messages] == ["start"] and engine.person_down
    messages = run(engine, [("walk", 4)])
    assert [m["type"] for m in messages] == ["end"]
    assert messages[0]["reason"] == "another action seen" and not messages[0]["down"]
    assert not engine.person_down


def test_latched_fall_ends_when_an_unsure_standing_action_leads() -> None:
    engine = engine_with(latch=True)
    assert [m["type"] for m in run(engine, [("fall", 4)])] == ["start"]
    messages = []
    for index in range(4, 12):
        messages += engine.update(np.array([0.1, 0.45, 0.45]) if index % 2 else
                                  np.array([0.1, 0.5, 0.4]), frame(index))
    assert [m["type"] for m in messages] == ["end"] and not engine.person_down


def test_latched_fall_holds_while_its_score_stays_above_exit() -> None:
    engine = engine_with(latch=True)
    run(engine, [("fall", 4)])
    messages = [m for index in range(4, 20)
                for m in engine.update(np.array([0.42, 0.48, 0.1]), frame(index))]
    assert messages == [] and engine.person_down


def test_a_new_fall_soon_after_the_person_got_up_is_alerted_again() -> None:
    engine = EventEngine(LABELS, default_event_settings(LABELS), "dev1", "ab" * 32)
    messages = run(engine, [("fall", 8), ("walk", 24), ("fall", 10)])
    assert [m["type"] for m in messages] == ["start", "end", "start"]


def test_a_fall_to_be_confirmed_waits_until_the_person_is_seen_down() -> None:
    engine = engine_with(latch=True, confirm_down=True)
    upright = [m for index in range(8) for m in engine.update(scores("fall"), frame(index), False)]
    assert upright == []
    messages = engine.update(scores("fall"), frame(8), True)
    assert [m["type"] for m in messages] == ["start"] and messages[0]["start_frame"] == 8


def test_without_a_pose_stage_there_is_nothing_to_confirm_a_fall_with() -> None:
    messages = run(engine_with(latch=True, confirm_down=True), [("fall", 4)])
    assert [m["type"] for m in messages] == ["start"]


def test_escalation_sends_one_update_while_down() -> None:
    engine = engine_with(latch=True, escalate_after_s=1.0)
    messages = run(engine, [("fall", 30)])
    assert [m["type"] for m in messages] == ["start", "update"]
    assert messages[1]["down"] and messages[1]["duration_s"] >= 1.0


def test_close_ends_open_events_so_none_is_left_without_an_end() -> None:
    engine = engine_with(latch=True)
    assert run(engine, [("fall", 4)])[0]["type"] == "start"
    ended = engine.close(frame(10), "shutdown")
    assert [(m["type"], m["reason"]) for m in ended] == [("end", "shutdown")]


def test_smoothing_averages_recent_outputs() -> None:
    engine = engine_with(smoothing=4, min_duration_s=0.0)
    flicker = [scores("fall"), scores("walk")] * 3
    messages = [m for index, s in enumerate(flicker) for m in engine.update(s, frame(index))]
    assert messages == []


def test_event_id_is_stable_for_the_same_start() -> None:
    first = run(engine_with(), [("fall", 4)])[0]["event_id"]
    second = run(engine_with(), [("fall", 4)])[0]["event_id"]
    assert first == second
