"""`har-pose track`: the stage alone over a video or camera, one CSV row per frame, so a user can
see from where a camera sees them well before any model reads the keypoints."""
from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Iterator

import numpy as np

from har_device.core.atomic import atomic_path
from har_device.core.video import write_video
from har_device.pose.draw import draw_pose
from har_device.pose.landmarks import BODY
from har_device.pose.tracker import PoseResult, PoseStage
from har_device.sources import Source

FIELDS = ("x", "y", "z", "visibility", "presence")
PREVIEW_FPS = 15.0


def header() -> list[str]:
    landmarks = [f"{field}{index}" for index in range(BODY) for field in FIELDS]
    return ["frame", "t_s", "person", *landmarks, "pose_ms", "detector_ms", "landmark_ms", "detector_runs"]


def row(index: int, t: float, result: PoseResult) -> list[str]:
    values = result.points.reshape(-1) if result.person else np.full(BODY * len(FIELDS), np.nan)
    cells = ["" if np.isnan(value) else f"{value:.4g}" for value in values]
    return [str(index), f"{t:.3f}", str(int(result.person)), *cells, f"{result.total_ms:.2f}",
            f"{result.detector_ms:.2f}", f"{result.landmark_ms:.2f}", str(result.detector_runs)]


def _results(stage: PoseStage, source: Source, writer: csv.writer, counts: list[int],
             limit: int | None) -> Iterator[tuple[np.ndarray, PoseResult]]:
    """Run the stage on each frame and write its row; ^C ends a camera's stream like its end."""
    try:
        for frame in source.frames(threading.Event()):
            if limit is not None and frame.index >= limit:
                return
            result = stage.process(frame.image, frame.stream_s)
            writer.writerow(row(frame.index, frame.stream_s, result))
            counts[0] += 1
            counts[1] += int(result.person)
            yield frame.image, result
    except KeyboardInterrupt:
        return


def track(stage: PoseStage, source: Source, out: Path, preview: Path | None = None,
          limit: int | None = None) -> tuple[int, int]:
    """Write OUT (and the PREVIEW mp4 at the source's rate) and close the source; returns (frames,
    frames with a person)."""
    counts = [0, 0]
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(out) as tmp, tmp.open("w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header())
            results = _results(stage, source, writer, counts, limit)
            if preview is None:
                for _ in results:
                    pass
            else:
                drawn = (draw_pose(image, result.points, result.region) for image, result in results)
                write_video(preview, drawn, getattr(source, "fps", None) or PREVIEW_FPS)
    finally:
        source.close()
    return counts[0], counts[1]
