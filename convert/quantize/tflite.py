"""tf_keras model -> float32 and full-int8 `.tflite`, batch 1 and fixed T, converted in a subprocess.

Why this shape (docs/design.md, "Tool-chain facts"): the converter is fed a SavedModel whose one
signature has a fixed input (1, T, S, S, 3), so no dynamic dimension reaches it; it runs in a child
process (`quantize.worker`) because it can crash outright on some graphs; a full-int8 failure of
any kind (crash, converter error, an op outside the builtin int8 set, a model ai-edge-litert cannot
run) falls back to dynamic-range quantization (int8 weights, float activations), and the reason is
kept for the report. Flex ops are never emitted: only builtin op sets are allowed, and the op
inventory of every result is checked anyway.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras

from har_convert.quantize.checks import (
    XnnpackCoverage,
    non_builtin_ops,
    op_inventory,
    run_once,
    xnnpack_coverage,
)
from har_device.core.errors import WorkFailed
from har_device.core.litert import TFLiteModel

FLOAT32 = "float32"
FULL_INT8 = "full-int8"
FALLBACK = "dynamic-range fallback"
WORKER_TIMEOUT_S = 3600


class ConversionFailed(Exception):
    """One converter run did not give a usable model; the message is the reason, one line."""


@dataclass(frozen=True)
class Converted:
    """A written `.tflite`: how it was quantized (FLOAT32, FULL_INT8 or "dynamic-range
    fallback: <reason>"), its operators and its XNNPACK coverage."""

    path: Path
    quantization: str
    ops: dict[str, int] = field(default_factory=dict)
    xnnpack: XnnpackCoverage | None = None


def export_saved_model(model: tf_keras.Model, input_shape: tuple[int, ...],
                       directory: Path) -> Path:
    """Save `model` as a SavedModel with one serving signature of fixed shape (1, *input_shape)."""
    serve = tf.function(lambda x: model(x, training=False),
                        input_signature=[tf.TensorSpec((1, *input_shape), tf.float32, name="x")])
    holder = tf.Module()
    holder.weights = list(model.variables)
    holder.serve = serve
    tf.saved_model.save(holder, str(directory), signatures=serve.get_concrete_function())
    return directory


def convert_float(saved_model: Path, output: Path) -> Converted:
    """The float32 model; failing here means the graph cannot be converted at all."""
    try:
        return _convert_checked("float", saved_model, output, None)
    except ConversionFailed as error:
        raise WorkFailed(f"float32 TFLite conversion failed: {error}") from None


def convert_int8(saved_model: Path, output: Path, calibration: np.ndarray) -> Converted:
    """Full int8 calibrated on `calibration` (N, *input_shape); on any failure, the
    dynamic-range fallback with the reason in its `quantization`."""
    samples = output.with_name(output.stem + ".calibration.npy")
    np.save(samples, calibration.astype(np.float32))
    try:
        converted = _convert_checked("int8", saved_model, output, samples)
        _require_integer_io(converted)
        return converted
    except ConversionFailed as error:
        reason = str(error)
    finally:
        samples.unlink(missing_ok=True)
    try:
        fallback = _convert_checked("dynamic", saved_model, output, None)
    except ConversionFailed as error:
        raise WorkFailed(f"int8 conversion failed ({reason}) and so did the dynamic-range "
                         f"fallback: {error}") from None
    return Converted(fallback.path, f"{FALLBACK}: {reason}", fallback.ops, fallback.xnnpack)


def _convert_checked(mode: str, saved_model: Path, output: Path,
                     calibration: Path | None) -> Converted:
    run_worker(mode, saved_model, output, calibration)
    ops = op_inventory(output)
    forbidden = non_builtin_ops(ops)
    if forbidden:
        raise ConversionFailed(f"the model needs ops ai-edge-litert cannot run: "
                               f"{', '.join(forbidden)}")
    try:
        run_once(output)
    except Exception as error:  # noqa: BLE001 - any failure to run is a failed conversion
        raise ConversionFailed(f"ai-edge-litert cannot run the result ({error})") from None
    quantization = {"float": FLOAT32, "int8": FULL_INT8, "dynamic": FALLBACK}[mode]
    return Converted(output, quantization, ops, xnnpack_coverage(output))


def _require_integer_io(converted: Converted) -> None:
    model = TFLiteModel(converted.path)
    dtypes = {str(model.input.dtype), str(model.output.dtype)}
    if dtypes != {"int8"}:
        raise ConversionFailed(f"the converter left input/output as {sorted(dtypes)}, not int8")


def run_worker(mode: str, saved_model: Path, output: Path, calibration: Path | None) -> None:
    """Run the converter in a child process; its crash or error becomes ConversionFailed."""
    error_file = output.with_name(output.name + ".error")
    command = [sys.executable, "-m", "har_convert.quantize.worker", mode, str(saved_model),
               str(output), *([str(calibration)] if calibration else [])]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=WORKER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ConversionFailed(f"the converter did not finish within {WORKER_TIMEOUT_S} s") from None
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        raise ConversionFailed(f"the converter process crashed ({name})")
    if done.returncode != 0:
        message = error_file.read_text() if error_file.exists() else _last_line(done.stderr)
        error_file.unlink(missing_ok=True)
        raise ConversionFailed(f"converter error: {message}")
    if not output.is_file():
        raise ConversionFailed("the converter exited without writing a model")


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
