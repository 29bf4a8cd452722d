"""The persistent outbox: an event is on disk before it is published and leaves only when acked.

An alert lost because Wi-Fi dropped for a minute, or because the agent restarted, is the worst
failure this product can have. Every event message is written to SQLite in WAL mode with an fsync
per insert (it survives `kill -9` and a power cut) and deleted only when the broker's PUBACK for it
arrives; rows carry an increasing id, so the backlog goes out in the order it was decided. Deletes
skip the fsync: one lost in a power cut only means that message is sent again (at-least-once,
`event_id` lets subscribers drop it), and they stay off the sender's critical path. The file is
bounded by rows and by age (an agent offline for months must not fill the SD card), and what
the bound drops, oldest first, is counted and logged.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from har_device.core.errors import BadInput

log = logging.getLogger(__name__)

_SCHEMA = """CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL)"""


@dataclass(frozen=True)
class Row:
    id: int
    topic: str
    payload: str


class Outbox:
    """A FIFO of (topic, payload) rows in one SQLite file, shared by the agent and sender threads.

    AUTOINCREMENT matters: ids are never reused after deletes, so "rows after the last one handed
    to the client" is always exactly the rows not yet sent.
    """

    def __init__(self, path: Path, max_rows: int, max_age_s: float,
                 clock: Callable[[], float] = time.time):
        self.path, self.max_rows, self.max_age_s, self.clock = path, max_rows, max_age_s, clock
        self.dropped = 0
        self._lock = threading.Lock()
        self._db = _open(path)
        self._lazy = _connect(path, durable=False)
        with self._lock:
            self._prune()

    def add(self, topic: str, payload: str) -> int:
        """Store one message durably; returns its row id."""
        with self._lock:
            row_id = self._db.execute(
                "INSERT INTO outbox (created, topic, payload) VALUES (?, ?, ?)",
                (self.clock(), topic, payload)).lastrowid
            self._prune()
        assert row_id is not None
        return row_id

    def after(self, row_id: int, limit: int) -> list[Row]:
        """The oldest `limit` rows with an id above `row_id`, in order."""
        with self._lock:
            found = self._lazy.execute("SELECT id, topic, payload FROM outbox WHERE id > ? "
                                     "ORDER BY id LIMIT ?", (row_id, limit)).fetchall()
        return [Row(*values) for values in found]

    def remove(self, row_id: int) -> None:
        with self._lock:
            self._lazy.execute("DELETE FROM outbox WHERE id = ?", (row_id,))

    def depth(self) -> int:
        with self._lock:
            return self._lazy.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._lazy.close()
            self._db.close()

    def _prune(self) -> None:
        expired = self._db.execute("DELETE FROM outbox WHERE created < ?",
                                   (self.clock() - self.max_age_s,)).rowcount
        overflow = self._db.execute(
            "DELETE FROM outbox WHERE id <= (SELECT id FROM outbox ORDER BY id DESC LIMIT 1 "
            "OFFSET ?)", (self.max_rows,)).rowcount
        if expired + overflow:
            self.dropped += expired + overflow
            log.warning("MQTT outbox %s: dropped %d undelivered event message(s) (%d older than "
                        "%.0f h, %d over %d rows); %d dropped since start", self.path,
                        expired + overflow, expired, self.max_age_s / 3600, overflow,
                        self.max_rows, self.dropped)


def _open(path: Path) -> sqlite3.Connection:
    """Open (or create) the file; an unreadable one is moved aside so alerts keep flowing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInput(f"{path.parent}: cannot create the MQTT state directory "
                       f"({error.strerror}); set --state-dir") from None
    try:
        return _connect(path)
    except sqlite3.OperationalError as error:
        raise BadInput(f"{path}: cannot open the MQTT outbox ({error})") from None
    except sqlite3.DatabaseError as error:
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        path.rename(aside)
        log.warning("MQTT outbox %s was unreadable (%s); moved it to %s and started empty",
                    path, error, aside)
        return _connect(path)


def _connect(path: Path, durable: bool = True) -> sqlite3.Connection:
    """`durable`: every commit is fsynced; otherwise commits reach the disk at WAL checkpoints."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    db.execute("PRAGMA busy_timeout=5000")
    db.execute(_SCHEMA)
    return db
