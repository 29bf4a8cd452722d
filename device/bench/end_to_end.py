"""The whole camera-to-event pipeline under load: per-stage percentiles, sustained fps, drops,
and the bundle's streaming mode against its clip mode on the same frames.

It runs the real `Agent`, so what it measures is what `har-agent run` does; decoding is timed
apart first, because the agent's own timings start once a frame has been captured.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from har_device.agent.loop import Agent
from har_device.config.schema import load_config
from har_device.core.bundle import load_bundle
from har_device.sources import open_source


def decode_ms(source: str, frames: int) -> dict[str, float]:
    reader = open_source(source, loop=True)
    times, stream = [], reader.frames(threading.Event())
    try:
        for _ in range(frames):
            started = time.perf_counter()
            next(stream)
            times.append((time.perf_counter() - started) * 1000.0)
    finally:
        reader.close()
    return {"mean": float(np.mean(times)), "p50": float(np.percentile(times, 50)),
            "p95": float(np.percentile(times, 95))}


def run_mode(bundle: Path, source: str, mode: str, frames: int, threads: int | None
             ) -> dict[str, Any]:
    config = load_config(None, {"bundle": bundle, "source": source, "loop": True,
                                "mode": None if mode == "pose" else mode,
                                "max_frames": frames, "threads": threads})
    agent = Agent(config)
    summary = agent.run(threading.Event())
    stages = summary.latency
    inference = stages["inference_ms"]["mean"] + stages.get("pose_ms", {}).get("mean", 0.0)
    overhead = stages["total_ms"]["mean"] - inference
    return {"mode": mode, "frames": summary.frames_processed, "decisions": summary.decisions,
            "fps": round(summary.fps, 2), "dropped": summary.dropped, "stages_ms": stages,
            "overhead_ms": round(overhead, 4),
            "overhead_vs_inference": round(overhead / inference, 4) if inference else None}


def pipeline_bench(bundle: Path, source: str, frames: int = 200, threads: int | None = None
                   ) -> dict[str, Any]:
    """Clip and (when the bundle has it) streaming mode on the same source at stride 1; a pose
    bundle in its one mode, the pose stage timed inside the pipeline."""
    meta = load_bundle(bundle)
    roles = {entry.role for entry in meta.files.values()}
    modes = (["pose"] if meta.mode == "pose"
             else ["clip"] + (["streaming"] if {"frame", "head"} <= roles else []))
    results = {mode: run_mode(bundle, source, mode, frames, threads) for mode in modes}
    report: dict[str, Any] = {"source": source, "frames": frames, "T": meta.frames,
                              "decode_ms": decode_ms(source, min(frames, 100)), "modes": results}
    if "streaming" in results:
        clip_ms = results["clip"]["stages_ms"]["inference_ms"]["mean"]
        stream_ms = results["streaming"]["stages_ms"]["inference_ms"]["mean"]
        report["streaming_vs_clip"] = {
            "compute_ratio": round(stream_ms / clip_ms, 4) if clip_ms else None,
            "target": round(1.5 / meta.frames, 4)}
    return report

