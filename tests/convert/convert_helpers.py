"""Helpers for the har-convert tests: realistic weights without training, har-train's side files,
and the console-script entry point run in-process.

An untrained Keras MobileNetV2 computes features around 1e-11 (its BatchNorm statistics are the
initial 0/1, so activations shrink layer after layer), which would make any bridge comparison pass
trivially. `settle_batchnorm` gives every BatchNorm the statistics of a real batch, so that
signals keep their scale through the network as in a trained model.
"""
from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Iterator
from unittest import mock

import keras
import numpy as np

from har_convert.train.zoo import ARCHITECTURES, build


def batchnorm_layers(model: keras.Model) -> Iterator[keras.layers.BatchNormalization]:
    for layer in model.layers:
        inner = getattr(layer, "layer", None)
        if isinstance(layer, keras.Model):
            yield from batchnorm_layers(layer)
        elif isinstance(inner, keras.Model):
            yield from batchnorm_layers(inner)
        elif isinstance(layer, keras.layers.BatchNormalization):
            yield layer


def settle_batchnorm(model: keras.Model, seed: int = 0) -> list[keras.layers.BatchNormalization]:
    """Set each BatchNorm's moving statistics to those of one random batch (momentum 0);
    returns the BatchNorm layers."""
    x = np.random.default_rng(seed).random((4, *model.input_shape[1:]), dtype=np.float32)
    layers = list(batchnorm_layers(model))
    for layer in layers:
        layer.momentum = 0.0
    model(x, training=True)
    for layer in layers:
        layer.momentum = 0.99
    return layers


def write_sidecars(model_path: Path, labels: list[str], frames: int, size: int,
                   sample_fps: float, arch: str) -> None:
    """The `<stem>.labels.txt` and `<stem>.train.json` har-train writes beside a model."""
    model_path.with_name(f"{model_path.stem}.labels.txt").write_text("\n".join(labels) + "\n")
    info = {"arch": arch, "frames": frames, "size": size, "sample_fps": sample_fps,
            "labels": labels, "seed": 0,
            "input": {"height": size, "width": size, "channels": 3, "colour": "RGB",
                      "scale": 1 / 255, "offset": 0.0}}
    model_path.with_name(f"{model_path.stem}.train.json").write_text(json.dumps(info))


def har_convert(*args: object) -> tuple[int, str, str]:
    """Run the `har-convert` console-script entry point in this process: (exit code, stdout,
    stderr). In-process keeps TensorFlow imported once for the whole session."""
    from har_convert.cli.convert import main

    out, err = io.StringIO(), io.StringIO()
    with (mock.patch.object(sys, "argv", ["har-convert", *map(str, args)]),
          contextlib.redirect_stdout(out), contextlib.redirect_stderr(err)):
        try:
            main()
        except SystemExit as done:
            return int(done.code or 0), out.getvalue(), err.getvalue()
    raise AssertionError("har-convert returned without exiting")


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("har-convert: error:")]


def zoo_model(name: str, classes: int, frames: int, size: int) -> keras.Model:
    """A small zoo model: alpha 0.35 where the architecture has one, no size for keypoint heads."""
    spec = ARCHITECTURES[name]
    options = {"alpha": 0.35} if spec.default_alpha is not None else {}
    return build(name, num_classes=classes, frames=frames,
                 size=None if spec.kind == "keypoints" else size, **options)
