"""The TFLite converter, run as a child process by `har_convert.quantize.tflite`.

    python -m har_convert.quantize.worker MODE SAVED_MODEL OUTPUT [CALIBRATION.npy]

MODE: `float` (float32), `int8` (full integer: int8 weights, activations, input and output,
calibrated on the .npy samples, builtin int8 kernels only) or `dynamic` (int8 weights, float
activations: the fallback). Writes OUTPUT on success (exit 0); on a converter error writes the
message to OUTPUT + ".error" and exits 1. It lives in its own process because the converter can
die of SIGSEGV on some graphs (measured: the full-int8 conversion of a GRU or ConvLSTM2D WHILE
loop), which the parent must survive to fall back.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

MODES = ("float", "int8", "dynamic")


def convert(mode: str, saved_model: Path, calibration: Path | None) -> bytes:
    import numpy as np
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if mode in ("int8", "dynamic"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "int8":
        samples = np.load(calibration)

        def representative() -> Iterator[list[np.ndarray]]:
            for sample in samples:
                yield [sample[None].astype(np.float32)]

        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def summarize(error: Exception) -> str:
    """The converter's diagnostics in one line: the distinct `error:` messages without their
    MLIR source locations (a ConverterError repeats one message per op instance)."""
    messages: list[str] = []
    for line in str(error).splitlines():
        if "error: " in line:
            message = line.rsplit("error: ", 1)[1].strip()
            if message and message not in messages and not message.startswith("failed while"):
                messages.append(message)
    if not messages:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        messages = lines[:1] or [type(error).__name__]
    return "; ".join(messages[:3])


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4) or argv[0] not in MODES:
        print(__doc__, file=sys.stderr)
        return 2
    mode, saved_model, output = argv[0], Path(argv[1]), Path(argv[2])
    calibration = Path(argv[3]) if len(argv) == 4 else None
    try:
        flatbuffer = convert(mode, saved_model, calibration)
    except Exception as error:  # noqa: BLE001 - any converter failure goes back to the parent
        output.with_name(output.name + ".error").write_text(summarize(error))
        return 1
    output.write_bytes(flatbuffer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
