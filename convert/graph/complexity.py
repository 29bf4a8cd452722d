"""Parameters and multiply-accumulates (MACs) per clip of a tf_keras model.

Counted per layer from the static shapes of the graph, nested models and wrappers included: a
layer inside TimeDistributed runs once per time step, so the per-frame network of a clip model
counts T times. MACs are those of convolutions (all kinds), dense and recurrent layers: the
BatchNorms fold into the convolutions at conversion, and activations, pooling and additions are
one operation per element, negligible next to them (and conventionally left out of MAC counts).
tfmot wrappers (QAT, sparsity) count as the layer they wrap, and their bookkeeping variables
(quantizer ranges, masks) are not parameters of the network.

    c = complexity(model, frames_per_clip=16)   # frame models: the frames one clip is scored on
    c.params, c.macs
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import tensorflow as tf
import tf_keras

from har_convert.graph.mapping import is_functional
from har_convert.graph.nodes import graph_nodes

Layer = tf_keras.layers.Layer
SPATIAL_CONVOLUTIONS = frozenset({"Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D",
                                  "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"})
TRANSPOSED_CONVOLUTIONS = frozenset({"Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"})
RECURRENT = frozenset({"LSTM", "GRU", "SimpleRNN"})
CONV_RECURRENT = frozenset({"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})


@dataclass(frozen=True)
class Complexity:
    params: int
    macs: int


def complexity(model: tf_keras.Model, frames_per_clip: int = 1) -> Complexity:
    """Parameters of `model`, and MACs of one call on one sample times `frames_per_clip`
    (leave it 1 for clip models, whose input already is a whole clip)."""
    counter = _Counter()
    counter.walk(model, 1)
    return Complexity(counter.params, counter.macs * frames_per_clip)


def unwrap(layer: Layer) -> Layer:
    """The layer a tfmot wrapper (QuantizeWrapper, PruneLowMagnitude) stands for."""
    while type(layer).__name__ in ("QuantizeWrapper", "QuantizeWrapperV2", "PruneLowMagnitude",
                                   "QuantizeAnnotate"):
        layer = layer.layer
    return layer


class _Counter:
    def __init__(self) -> None:
        self.params = 0
        self.macs = 0
        self._counted: set[int] = set()

    def walk(self, model: tf_keras.Model, repeat: int) -> None:
        for node in graph_nodes(model):
            self.layer(node.layer, [t.shape for t in node.inputs],
                       [t.shape for t in node.outputs], repeat)

    def layer(self, layer: Layer, in_shapes: list[tf.TensorShape],
              out_shapes: list[tf.TensorShape], repeat: int) -> None:
        weights = network_weights(layer)
        layer = unwrap(layer)
        name = type(layer).__name__
        if is_functional(layer):
            self.walk(layer, repeat)
            return
        if name == "TimeDistributed":
            steps = int(in_shapes[0][1])
            self.layer(layer.layer, [_drop_time(s) for s in in_shapes],
                       [_drop_time(s) for s in out_shapes], repeat * steps)
            return
        if name == "Bidirectional":
            for rnn in (layer.forward_layer, layer.backward_layer):
                self.layer(rnn, in_shapes, out_shapes[:1], repeat)
            return
        if id(layer) not in self._counted:
            self._counted.add(id(layer))
            self.params += sum(_size(w) for w in weights)
        self.macs += repeat * layer_macs(layer, weights, in_shapes[0], out_shapes[0])


def network_weights(layer: Layer) -> list[Any]:
    """The weights of the network a (wrapped) layer holds. A tfmot wrapper keeps the wrapped
    layer's weights under their own names and its bookkeeping under its own name; the
    QuantizeLayer in front of a QAT model holds nothing but an input range."""
    if type(layer).__name__ == "QuantizeLayer":
        return []
    return [w for w in layer.weights if layer is unwrap(layer)
            or not w.name.startswith(f"{layer.name}/")]


def layer_macs(layer: Layer, weights: list[Any], in_shape: tf.TensorShape,
               out_shape: tf.TensorShape) -> int:
    """MACs of one call of a leaf layer on one sample (see the module doc for what counts)."""
    name = type(layer).__name__
    kernels = [_size(w) for w in weights if "kernel" in w.name]
    if name in SPATIAL_CONVOLUTIONS or name == "Dense":
        # Every output position applies the whole kernel once (Dense: every leading position).
        positions = math.prod(out_shape[1:-1])
        if name.startswith("Separable"):
            depthwise, pointwise = kernels
            return positions * (depthwise + pointwise)
        return positions * sum(kernels)
    if name in TRANSPOSED_CONVOLUTIONS:
        return math.prod(in_shape[1:-1]) * sum(kernels)
    if name in RECURRENT:
        return int(in_shape[1]) * sum(kernels)
    if name in CONV_RECURRENT:
        positions = math.prod(out_shape[-1 - len(layer.kernel_size):-1])
        return int(in_shape[1]) * positions * sum(kernels)
    return 0


def _drop_time(shape: tf.TensorShape) -> tf.TensorShape:
    return tf.TensorShape([shape[0], *shape[2:]])


def _size(weight: Any) -> int:
    return math.prod(weight.shape)
