"""The per-frame latency CSV (columns, rotation) and the rolling percentiles."""
from __future__ import annotations

import csv
from pathlib import Path

from har_device.agent.latency import COLUMNS, FrameTiming, LatencyLog, RollingLatency


def timing(index: int, total: float = 10.0) -> FrameTiming:
    return FrameTiming(index, 1700000000.0 + index, 0.5, 8.0, 0.2, total, "walk", 0.9, 0)


def test_rows_have_the_documented_columns(tmp_path: Path) -> None:
    log = LatencyLog(tmp_path / "latency.csv")
    for index in range(3):
        log.write(timing(index))
    log.close()
    rows = list(csv.DictReader((tmp_path / "latency.csv").open()))
    assert list(rows[0]) == COLUMNS == ["frame", "capture_time", "preprocess_ms", "inference_ms",
                                        "postprocess_ms", "total_ms", "label", "score", "dropped",
                                        "pose_ms", "detector_ms", "landmark_ms", "person"]
    assert [row["frame"] for row in rows] == ["0", "1", "2"]


def test_log_rotates_by_size_and_keeps_a_header_in_each_file(tmp_path: Path) -> None:
    path = tmp_path / "latency.csv"
    log = LatencyLog(path, max_bytes=400, backups=2)
    for index in range(60):
        log.write(timing(index))
    log.close()
    assert path.with_name("latency.csv.1").exists() and path.with_name("latency.csv.2").exists()
    assert not path.with_name("latency.csv.3").exists()
    for name in ("latency.csv", "latency.csv.1"):
        assert (tmp_path / name).read_text().startswith("frame,capture_time")


def test_percentiles_over_a_bounded_window() -> None:
    rolling = RollingLatency(window=100)
    for index in range(1000):
        rolling.add(timing(index, total=float(index)))
    assert rolling.frames == 1000
    summary = rolling.percentiles("total_ms")
    assert 948 <= summary["p50"] <= 951 and summary["p99"] >= 998
