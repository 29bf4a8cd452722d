"""What one stage of har-convert hands the next (`pipeline` tells the story; `verify` reads them).

`Prepared` is every input read and checked; `Bridged` the tf_keras model to convert and its
streaming split. Keeping them here lets the stages share the types without importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tf_keras

from har_convert.data.eval_set import EvalSet
from har_convert.export.streaming import StreamingSplit
from har_convert.settings import OptimizeSettings
from har_convert.source.facts import Geometry
from har_convert.source.load import KerasSource
from har_device.core.bundle import InputSpec, KeypointInput


@dataclass(frozen=True)
class Prepared:
    """Every input, read and checked; `assumed`: one warning for each fact that had to be
    assumed (labels, frame rate, calibration), reported, and in the bundle's report."""

    loaded: KerasSource
    geometry: Geometry
    labels: list[str]
    labels_source: str
    sample_fps: float | None
    train_info: dict[str, Any]
    input: InputSpec | None  # pixel models
    keypoints: KeypointInput | None  # pose models
    evaluation: EvalSet | None
    calibration: np.ndarray
    calibration_source: str
    out: Path
    assumed: list[str]
    optimize: OptimizeSettings  # the options', completed from the training record


@dataclass(frozen=True)
class Bridged:
    """The tf_keras model to convert, its streaming split, how exactly it reproduces the
    source (None when the source already was a tf_keras model), and the layers the bridge rebuilt
    from builtin operators (name -> what each became; `bridge.video3d`)."""

    model: tf_keras.Model
    split: StreamingSplit | None
    max_abs_diff: float | None
    rewrites: dict[str, str]
