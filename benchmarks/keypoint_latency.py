"""The device's side of benchmarks/keypoints.py: per-inference latency of each pose bundle's int8
head and of the keypoint normalisation the agent runs before every decision, timed in the device
environment (no TensorFlow), as the agent runs them. Prints one JSON object.

    .venv-device/bin/python benchmarks/keypoint_latency.py --window SEQ.npz [--runs 5000] BUNDLE...
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import click
import numpy as np

from har_device.bench.model import measure
from har_device.core.bundle import load_bundle
from har_device.core.keypoints import load_sequence, normalise, sample_window


def normalise_p50_ms(window: np.ndarray, fps: float, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        normalise(window, fps)
        times.append((time.perf_counter() - started) * 1000.0)
    return float(np.median(times))


@click.command()
@click.argument("bundles", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--window", required=True, type=click.Path(exists=True, path_type=Path),
              help="A keypoint sequence (.npz): the stage's real output, gaps included, so "
                   "normalise fills them in as it does on the device.")
@click.option("--threads", default="1,2", show_default=True)
@click.option("--runs", default=5000, show_default=True)
def main(bundles: tuple[Path, ...], window: Path, threads: str, runs: int) -> None:
    counts = [int(t) for t in threads.split(",")]
    heads = {str(bundle): {count: measure(bundle / "model_int8.tflite", count, None, runs=runs,
                                          min_secs=0.0).p50_ms
                           for count in counts}
             for bundle in bundles}
    meta = load_bundle(bundles[0], verify=False)
    points, _, fps = load_sequence(window)
    sample = sample_window(points, fps, meta.frames, meta.sample_fps)
    click.echo(json.dumps({"runs": runs, "window_shape": list(sample.shape), "heads_p50_ms": heads,
                           "normalise_p50_ms": normalise_p50_ms(sample, meta.sample_fps, runs)}))


if __name__ == "__main__":
    main()
