"""Which channel counts XNNPACK's int8 kernels run fastest: what `--round-to` should be.

    .venv/bin/python benchmarks/channel_multiples.py [--threads 1]

One int8 model holds one branch per channel count C, each shaped like the demo LRCN's first two
blocks at 64x64 (3x3 conv RGB -> C with ReLU, BatchNorm, 2x2 max-pool, 3x3 conv C -> C), so that
`har_device.core.op_timing` times every branch's operators alone, in one process, in round-robin.
Writes `benchmarks/results/channel_multiples.{json,md}`: milliseconds per operator and per
channel for each C, and the counts that cost as much as a larger one (padding waste).
"""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import click
import numpy as np
from tabulate import tabulate

from provenance import provenance, provenance_line

HERE = Path(__file__).resolve().parent
COUNTS = (4, 8, 12, 16, 20, 24, 28, 32, 40, 48, 64)
SIZE = 64


def branches_model():
    import tf_keras
    from tf_keras import layers

    tf_keras.utils.set_random_seed(0)
    image = tf_keras.Input((SIZE, SIZE, 3))
    pooled = []
    for count in COUNTS:
        x = layers.Conv2D(count, 3, padding="same", activation="relu", name=f"first_c{count}")(image)
        x = layers.MaxPooling2D(name=f"pool_c{count}")(
            layers.BatchNormalization(name=f"bn_c{count}")(x))
        x = layers.Conv2D(count, 3, padding="same", activation="relu", name=f"second_c{count}")(x)
        pooled.append(layers.GlobalAveragePooling2D(name=f"gap_c{count}")(x))
    x = layers.Concatenate()(pooled)
    return tf_keras.Model(image, layers.Dense(3, activation="softmax", name="predictions")(x))


def measure(threads: int, rounds: int) -> dict[str, dict[int, float]]:
    from har_convert.quantize.tflite import convert_int8, export_saved_model
    from har_device.core.op_timing import time_operators

    model = branches_model()
    calibration = np.random.default_rng(0).random((8, SIZE, SIZE, 3), dtype=np.float32)
    with tempfile.TemporaryDirectory() as work:
        saved = export_saved_model(model, (SIZE, SIZE, 3), Path(work) / "saved")
        converted = convert_int8(saved, Path(work) / "branches.tflite", calibration)
        profile = time_operators(converted.path, threads, rounds)
    table: dict[str, dict[int, float]] = {}
    for op in profile.ops:
        match = re.search(r"(first|bn|pool|second)_c(\d+)", op.names[0])
        if match:
            key = f"{match[1]} ({op.op})"
            table.setdefault(key, {})[int(match[2])] = round(op.ms, 4)
    return table


def wasteful(times: dict[int, float]) -> list[int]:
    """Counts that take at least as long as some larger count: their channels are padded."""
    return [c for c in times if any(times[c] >= times[d] for d in times if d > c)]


@click.command()
@click.option("--threads", default=1, show_default=True)
@click.option("--rounds", default=200, show_default=True)
def main(threads: int, rounds: int) -> None:
    table = measure(threads, rounds)
    result = {"provenance": provenance("channel-count branches built in the script (not the "
                                       "demo model)"),
              "threads": threads, "rounds": rounds, "counts": list(COUNTS), "ms": table,
              "wasteful": {key: wasteful(times) for key, times in table.items()}}
    (HERE / "results" / "channel_multiples.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = [[key, *[f"{times.get(c, float('nan')):.3f}" for c in COUNTS]]
            for key, times in table.items()]
    per_channel = [[key, *[f"{1000 * times[c] / c:.2f}" for c in COUNTS]]
                   for key, times in table.items()]
    text = "\n".join([
        "# int8 operator time against channel count (XNNPACK)", "",
        provenance_line(result["provenance"]), "",
        f"{threads} thread, median of {rounds} round-robin rounds, each operator alone "
        f"(har_device.core.op_timing); input {SIZE}x{SIZE}x3; the second conv runs at "
        f"{SIZE // 2}x{SIZE // 2} with C inputs and C outputs.", "",
        "## ms per operator", "", tabulate(rows, headers=["operator", *map(str, COUNTS)],
                                           tablefmt="github", disable_numparse=True), "",
        "## µs per output channel", "",
        tabulate(per_channel, headers=["operator", *map(str, COUNTS)], tablefmt="github",
                 disable_numparse=True), "",
        "## Counts no faster than a larger count", "",
        *[f"- {key}: {', '.join(map(str, counts)) or 'none'}"
          for key, counts in result["wasteful"].items()], "",
        "Regenerate: `.venv/bin/python benchmarks/channel_multiples.py`.", ""])
    (HERE / "results" / "channel_multiples.md").write_text(text)
    click.echo(text)


if __name__ == "__main__":
    main()
