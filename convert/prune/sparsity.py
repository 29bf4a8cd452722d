"""Weight sparsity with tfmot's prune_low_magnitude: 2:4 (M-by-N) or a target ratio of zeros.

A second, optional kind of structure next to channel pruning. Zeros do not make the .tflite
smaller or faster on XNNPACK (docs/design.md, "Tool-chain facts"), but they compress: the bundle's gzip size shows it, and
2:4 is the pattern sparse int8 kernels of some accelerators consume. The wrappers go on every
layer with a kernel tfmot can mask, inside nested models and TimeDistributed too (which tfmot's
own `prune_low_magnitude(model)` and `UpdatePruningStep` do not reach), the model is fine-tuned
with them (masks recomputed along the way, ConstantSparsity), and they are stripped again, so the
result is a plain tf_keras model whose kernels hold the zeros.

- "2:4": two zeros in every four consecutive input-channel weights (tfmot `sparsity_m_by_n`);
  only Conv2D and Dense kernels with a multiple of 4 input channels take this pattern;
- "0.5": half of the weights of each Conv/Dense kernel, smallest magnitudes first.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tf_keras
from tensorflow_model_optimization.python.core.sparsity.keras import (
    prune,
    pruning_schedule,
    pruning_wrapper,
)

from har_convert.data import Dataset
from har_convert.graph.mapping import copy_model, map_layers
from har_convert.settings import SparsitySpec
from har_convert.train.finetune import FinetuneConfig, FinetuneResult, finetune
from har_device.core.errors import BadInput

Layer = tf_keras.layers.Layer
M_BY_N_LAYERS = frozenset({"Conv2D", "Dense"})
# tfmot masks these layers' kernels (SeparableConv: the pointwise one); it leaves depthwise alone.
RATIO_LAYERS = frozenset({"Conv1D", "Conv2D", "Conv3D", "Dense", "SeparableConv1D",
                          "SeparableConv2D"})


@dataclass(frozen=True)
class SparsityResult:
    """model: the stripped model; layers: names of the sparsified layers; sparsity: the fraction
    of zeros over their kernels; training: the fine-tuning run."""

    model: tf_keras.Model
    layers: list[str]
    sparsity: float
    training: FinetuneResult


def apply_sparsity(model: tf_keras.Model, spec: SparsitySpec, data: Dataset, epochs: int,
                   teacher: tf_keras.Model | None = None,
                   config: FinetuneConfig = FinetuneConfig(),
                   progress: bool = True) -> SparsityResult:
    """A sparse copy of `model`, fine-tuned for `epochs` on `data` (see the module doc)."""
    frequency = max(1, len(data.train) // (2 * config.batch))
    schedule = pruning_schedule.ConstantSparsity(spec.ratio or 0.5, begin_step=0,
                                                 frequency=frequency)
    chosen: list[str] = []

    def wrap(layer: Layer) -> tuple[Layer, None]:
        if not takes_sparsity(layer, spec):
            return layer, None
        chosen.append(layer.name)
        return prune.prune_low_magnitude(layer, pruning_schedule=schedule,
                                         sparsity_m_by_n=spec.m_by_n), None

    wrapped = map_layers(copy_model(model), wrap)
    if not chosen:
        raise BadInput(f"--sparsity {spec}: the model has no layer that takes this pattern "
                       "(2:4 needs Conv2D/Dense kernels with a multiple of 4 input channels)")
    wrappers = pruning_wrappers(wrapped)
    for wrapper in wrappers:
        wrapper.pruning_step.assign(0)
    training = finetune(wrapped, data, epochs, teacher=teacher, config=config, progress=progress,
                        description=f"sparsity {spec}")
    for wrapper in wrappers:
        wrapper.pruning_obj.weight_mask_op()
    stripped = map_layers(wrapped, _strip)
    return SparsityResult(stripped, chosen, kernel_sparsity([w.layer for w in wrappers]), training)


def takes_sparsity(layer: Layer, spec: SparsitySpec) -> bool:
    name = type(layer).__name__
    if spec.m_by_n:
        return name in M_BY_N_LAYERS and layer.kernel.shape[-2] % spec.m_by_n[1] == 0
    return name in RATIO_LAYERS


def pruning_wrappers(model: tf_keras.Model) -> list[pruning_wrapper.PruneLowMagnitude]:
    """Every pruning wrapper of `model`, inside nested models and TimeDistributed too."""
    return [m for m in model.submodules if isinstance(m, pruning_wrapper.PruneLowMagnitude)]


def kernel_sparsity(layers: list[Layer]) -> float:
    """The fraction of zeros over the layers' kernels."""
    kernels = [w.numpy() for layer in layers for w in layer.weights if "kernel" in w.name]
    return float(sum(np.sum(k == 0) for k in kernels) / max(1, sum(k.size for k in kernels)))


def _strip(layer: Layer) -> tuple[Layer, None]:
    if isinstance(layer, pruning_wrapper.PruneLowMagnitude):
        return layer.layer, None
    return layer, None
