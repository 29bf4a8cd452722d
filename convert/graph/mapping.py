"""Rebuild a tf_keras functional model with some of its layers replaced, nested models included.

Pruning (smaller layers with sliced weights), sparsity (tfmot pruning wrappers and their removal)
and QAT (quantization annotations) all need the same thing: the model's graph called again, node
by node, with a replacement for each layer. tf_keras's `clone_model` does not go inside a nested
model that sits in a TimeDistributed (the zoo's `frame_features`), and it re-creates layers from
their configs with the old input shapes, so a layer whose input lost channels could not be
rebuilt. This walk does both: each nested model is rebuilt at its first call, from the shapes of
its new inputs, and each leaf layer goes through the caller's `layer_fn`.

    new_model = map_layers(model, lambda layer: (layer, None))   # same layers, same weights
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf
import tf_keras

from har_convert.graph.nodes import NodeParts, graph_nodes

Layer = tf_keras.layers.Layer
# A leaf layer -> (its replacement, the weights to load into the replacement once the first call
# has built it; None keeps the replacement's own, e.g. when it is the same layer object).
LayerFn = Callable[[Layer], tuple[Layer, Optional[list[np.ndarray]]]]
# A nested model without nested models of its own -> its replacement (used by QAT, which can
# only transform flat models), or None to rebuild it layer by layer like the rest.
FlatModelFn = Callable[[tf_keras.Model], Optional[tf_keras.Model]]


def is_functional(layer: Any) -> bool:
    return isinstance(layer, tf_keras.Model) and getattr(layer, "_is_graph_network", False)


def nested_model(layer: Any) -> tf_keras.Model | None:
    """The functional model `layer` is or wraps in a TimeDistributed, else None."""
    if is_functional(layer):
        return layer
    if isinstance(layer, tf_keras.layers.TimeDistributed) and is_functional(layer.layer):
        return layer.layer
    return None


def is_flat(model: tf_keras.Model) -> bool:
    return not any(nested_model(layer) for layer in model.layers)


def leaf_layers(model: tf_keras.Model) -> list[Layer]:
    """The layers called in `model`'s graph, nested models entered (a TimeDistributed or
    Bidirectional around a plain layer is one leaf), each once."""
    leaves: dict[int, Layer] = {}
    for node in graph_nodes(model):
        inner = nested_model(node.layer)
        for layer in leaf_layers(inner) if inner is not None else [node.layer]:
            leaves.setdefault(id(layer), layer)
    return list(leaves.values())


def copy_layer(layer: Layer) -> tuple[Layer, list[np.ndarray]]:
    """A LayerFn: a new layer from the same config, with the same weights once built."""
    return type(layer).from_config(layer.get_config()), layer.get_weights()


def copy_model(model: tf_keras.Model) -> tf_keras.Model:
    """An independent copy (new layer objects, equal weights): training it leaves `model` as is."""
    return map_layers(model, copy_layer)


def map_layers(model: tf_keras.Model, layer_fn: LayerFn,
               flat_model_fn: FlatModelFn | None = None) -> tf_keras.Model:
    """`model` rebuilt with every leaf layer replaced by `layer_fn` (see the module doc)."""
    return _Mapper(layer_fn, flat_model_fn).model(model, [t.shape for t in model.inputs])


class _Mapper:
    def __init__(self, layer_fn: LayerFn, flat_model_fn: FlatModelFn | None) -> None:
        self.layer_fn, self.flat_model_fn = layer_fn, flat_model_fn
        self._replacements: dict[int, Layer] = {}
        self._pending_weights: dict[int, list[np.ndarray]] = {}

    def model(self, source: tf_keras.Model, input_shapes: list[tf.TensorShape]) -> tf_keras.Model:
        inputs = [tf_keras.Input(shape=tuple(shape)[1:], dtype=t.dtype, name=name)
                  for t, shape, name in zip(source.inputs, input_shapes, source.input_names)]
        tensors = dict(zip(map(id, source.inputs), inputs))
        for node in graph_nodes(source):
            self._call(node, tensors)
        outputs = [tensors[id(t)] for t in source.outputs]
        return tf_keras.Model(inputs if len(inputs) > 1 else inputs[0],
                              outputs if len(outputs) > 1 else outputs[0], name=source.name)

    def _call(self, node: NodeParts, tensors: dict[int, Any]) -> None:
        """Call the replacement of `node.layer` on the rebuilt inputs. The `training` argument a
        node recorded is dropped: a rebuilt layer follows the mode the whole model is run in
        (the Keras 3 bridge records training=False on Dropout, which would disable it in
        fine-tuning)."""

        def swap(value: Any) -> Any:
            return tensors.get(id(value), value)

        layer = self._replacement(node.layer, [swap(t) for t in node.inputs])
        args = tf.nest.map_structure(swap, node.args)
        kwargs = {key: value for key, value in tf.nest.map_structure(swap, node.kwargs).items()
                  if key != "training" and value is not None}
        outputs = tf.nest.flatten(layer(*args, **kwargs))
        weights = self._pending_weights.pop(id(layer), None)
        if weights is not None:
            layer.set_weights(weights)
        for symbolic, output in zip(node.outputs, outputs):
            tensors[id(symbolic)] = output

    def _replacement(self, layer: Layer, inputs: list[Any]) -> Layer:
        if id(layer) not in self._replacements:
            self._replacements[id(layer)] = self._replace(layer, [t.shape for t in inputs])
        return self._replacements[id(layer)]

    def _replace(self, layer: Layer, input_shapes: list[tf.TensorShape]) -> Layer:
        inner = nested_model(layer)
        if inner is None:
            replacement, weights = self.layer_fn(layer)
            if weights is not None:
                self._pending_weights[id(replacement)] = weights
            return replacement
        timed = inner is not layer
        if timed:
            input_shapes = [tf.TensorShape([s[0], *s[2:]]) for s in input_shapes]
        rebuilt = self.flat_model_fn(inner) if self.flat_model_fn and is_flat(inner) else None
        if rebuilt is None:
            rebuilt = self.model(inner, input_shapes)
        return tf_keras.layers.TimeDistributed(rebuilt, name=layer.name) if timed else rebuilt
