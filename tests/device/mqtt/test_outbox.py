"""The SQLite outbox: order, persistence across restarts, bounds by rows and age, corrupt files."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from har_device.core.errors import BadInput
from har_device.mqtt.outbox import Outbox


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_rows_come_back_in_order_and_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "state" / "outbox.sqlite"
    outbox = Outbox(path, max_rows=100, max_age_s=3600)
    ids = [outbox.add("har/cam/events", f'{{"n": {n}}}') for n in range(5)]
    outbox.remove(ids[1])
    outbox.close()
    reopened = Outbox(path, max_rows=100, max_age_s=3600)
    rows = reopened.after(0, 10)
    assert [row.payload for row in rows] == ['{"n": 0}', '{"n": 2}', '{"n": 3}', '{"n": 4}']
    assert [row.id for row in reopened.after(ids[2], 2)] == ids[3:5]
    assert reopened.depth() == 4


def test_ids_are_never_reused_after_the_newest_row_is_deleted(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite", max_rows=100, max_age_s=3600)
    first = outbox.add("t", "a")
    outbox.remove(first)
    assert outbox.add("t", "b") > first


def test_the_oldest_rows_beyond_the_bound_are_dropped_and_counted(tmp_path: Path, caplog) -> None:
    outbox = Outbox(tmp_path / "o.sqlite", max_rows=3, max_age_s=3600)
    with caplog.at_level(logging.WARNING, logger="har_device.mqtt.outbox"):
        for n in range(5):
            outbox.add("t", str(n))
    assert [row.payload for row in outbox.after(0, 10)] == ["2", "3", "4"]
    assert outbox.dropped == 2
    assert "dropped 1 undelivered event message(s)" in caplog.text
    assert "2 dropped since start" in caplog.text


def test_rows_older_than_the_age_bound_are_dropped(tmp_path: Path) -> None:
    clock = Clock()
    outbox = Outbox(tmp_path / "o.sqlite", max_rows=100, max_age_s=60, clock=clock)
    outbox.add("t", "old")
    clock.now += 30
    outbox.add("t", "recent")
    clock.now += 45
    outbox.add("t", "new")
    assert [row.payload for row in outbox.after(0, 10)] == ["recent", "new"]
    assert outbox.dropped == 1


def test_expired_rows_are_dropped_when_the_agent_starts(tmp_path: Path) -> None:
    clock = Clock()
    Outbox(tmp_path / "o.sqlite", max_rows=100, max_age_s=60, clock=clock).add("t", "stale")
    clock.now += 61
    assert Outbox(tmp_path / "o.sqlite", max_rows=100, max_age_s=60, clock=clock).depth() == 0


def test_a_corrupt_file_is_moved_aside_and_a_fresh_outbox_starts(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    path.write_bytes(b"this is not a database at all, just some bytes" * 4)
    outbox = Outbox(path, max_rows=10, max_age_s=60)
    outbox.add("t", "fresh")
    assert outbox.depth() == 1
    assert len(list(tmp_path.glob("o.sqlite.corrupt-*"))) == 1


def test_an_impossible_state_directory_is_bad_input(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BadInput, match="cannot create the MQTT state directory"):
        Outbox(blocker / "sub" / "o.sqlite", max_rows=10, max_age_s=60)
