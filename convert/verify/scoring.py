"""Run every stage of the conversion on held-out clips, and time the TFLite files on this host.

The TFLite files run through `har_device.core.litert.TFLiteModel`, the class the agent uses, so the
accuracy measured here is the device's. The streaming stage runs exactly as the agent does: every
frame through the int8 frame model, features dequantized at the seam, the last T of them quantized
again into the int8 head. A frame model (input one frame) scores a clip by the mean of its frames'
scores, as in training.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from har_convert.train.zoo import clip_scores
from har_device.core.litert import TFLiteModel

LATENCY_RUNS = 50
LATENCY_WARMUP = 3
LATENCY_BUDGET_S = 10.0


def keras_scores(model: Any, clips: np.ndarray, frame_model: bool) -> np.ndarray:
    """(N, C) scores of a Keras 3 or tf_keras model on clips (N, T, S, S, 3)."""
    if frame_model:
        return clip_scores(model, clips)
    return model.predict(clips, batch_size=8, verbose=0)


def tflite_scores(path: Path, clips: np.ndarray, frame_model: bool,
                  threads: int | None = None) -> np.ndarray:
    model = TFLiteModel(path, threads)
    scores = []
    for clip in _progress(clips, f"evaluating {path.name}"):
        if frame_model:
            scores.append(np.mean([model.predict(frame[None]) for frame in clip], axis=0)[0])
        else:
            scores.append(model.predict(clip[None])[0])
    return np.asarray(scores)


def streaming_scores(frame_path: Path, head_path: Path, clips: np.ndarray,
                     threads: int | None = None) -> np.ndarray:
    frame, head = TFLiteModel(frame_path, threads), TFLiteModel(head_path, threads)
    scores = []
    for clip in _progress(clips, "evaluating streaming"):
        features = np.concatenate([frame.predict(f[None]) for f in clip])
        scores.append(head.predict(features[None])[0])
    return np.asarray(scores)


def _progress(clips: np.ndarray, description: str) -> tqdm:
    """A per-clip bar on a terminal, nothing in logs (disable=None: only when stderr is a TTY)."""
    return tqdm(clips, desc=description, unit="clip", leave=False, disable=None)


def tflite_latency_ms(path: Path, threads: int | None) -> float:
    """Median milliseconds of one invoke on a random input (after a warm-up), over LATENCY_RUNS
    runs or LATENCY_BUDGET_S seconds, whichever ends first."""
    model = TFLiteModel(path, threads)
    real = np.random.default_rng(0).random(model.input.shape, dtype=np.float32)
    tensor = model.input.quantize(real) if model.input.quantized else real
    return _median_ms(lambda: model.invoke(tensor))


def keras_latency_ms(model: Any, input_shape: tuple[int, ...]) -> float:
    """Median milliseconds of one batch-1 prediction of the Keras model through its compiled
    predict function (TensorFlow's own threads): the reference the TFLite files are compared to."""
    x = np.random.default_rng(0).random((1, *input_shape), dtype=np.float32)
    return _median_ms(lambda: model.predict_on_batch(x))


def _median_ms(run: Any) -> float:
    for _ in range(LATENCY_WARMUP):
        run()
    times: list[float] = []
    deadline = time.perf_counter() + LATENCY_BUDGET_S
    while len(times) < LATENCY_RUNS and (len(times) < 5 or time.perf_counter() < deadline):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000.0)
    return float(np.median(times))


def agreement(scores: np.ndarray, reference: np.ndarray) -> float:
    """Fraction of clips whose top-1 class is the reference's."""
    return float(np.mean(np.argmax(scores, axis=1) == np.argmax(reference, axis=1)))
