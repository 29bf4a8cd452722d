"""Keras 3 model -> the same graph in tf_keras, weights copied layer by layer, checked number for number.

Why: a Keras 3 `.keras` file does not load in tf_keras, tfmot (pruning, QAT) works only on tf_keras,
and the TFLite converter fuses only tf_keras LSTMs into an int8-capable op (docs/design.md, tool-chain
facts). So the converter rebuilds the model: it walks the Keras 3 functional graph in topological
order and calls, for each node, the equivalent tf_keras layer (`bridge.layers`) on the already
rebuilt inputs. Nested models (a keras.applications backbone inside TimeDistributed) are rebuilt
recursively. Every rebuild is then checked on random inputs, layer by layer (each tf_keras layer
fed its Keras 3 twin's actual inputs), and a difference names the first layer that diverges.

    bridge = Bridge()
    tf_model = bridge.model(keras3_model)
    bridge.check_equivalence(keras3_model, tf_model, input_shape=(16, 96, 96, 3))
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
import tf_keras

from har_convert.bridge.layers import copy_weights, describe, translate_layer
from har_convert.bridge.video3d import Rewrite, rewrite_for
from har_convert.graph.nodes import NodeParts, graph_nodes, graph_of
from har_device.core.errors import WorkFailed

# Every layer is checked on its own: its tf_keras twin, fed the Keras 3 layer's actual inputs, must
# reproduce the Keras 3 output within LAYER_TOLERANCE (relative to the output's magnitude when
# above 1). Checking whole models only is not enough either way: a saturated softmax hides a
# broken head layer, and float rounding, harmless per layer, compounds through a deep network
# (Keras 3's TimeDistributed runs the frame network per step, tf_keras's on a batch of B*T, and
# convolutions round differently per batch size: measured 6e-3 after a MobileNetV2 with realistic
# BatchNorm statistics, while each of its layers matches within 1e-6). A mistranslated layer is
# off by order 1 (measured: 1.3 and 38 for one perturbed kernel). The end-to-end difference is
# returned so that the report shows it against OUTPUT_TOLERANCE.
OUTPUT_TOLERANCE = 1e-5
LAYER_TOLERANCE = 1e-4
TensorMap = dict[int, Any]
# Keras 3 records the `training` a layer was called with (its default) in the node; baked into
# the tf_keras graph it would freeze Dropout and BatchNorm in inference mode even while the
# rebuilt model is fine-tuned (pruning, QAT), so it is left to the call of the whole model.
CALL_TIME_ARGUMENTS = frozenset({"training"})


class Bridge:
    """Rebuilds Keras 3 graphs in tf_keras with one tf_keras layer per Keras 3 layer.

    A tf_keras layer is its own twin, so walking a tf_keras graph re-calls its own layers: that is
    how the streaming head is cut out of a model that was a tf_keras file to begin with.
    Layers are cached, so a layer shared between calls (or between the whole model and the
    streaming head built later from the same bridge) is one tf_keras layer with one set of weights.
    A layer LiteRT cannot run in int8 as such (Conv3D, 3D pooling over time) becomes a `Rewrite`,
    several builtin layers; `rewrites` maps its name to what it became, for the report.
    """

    def __init__(self) -> None:
        self._layers: dict[int, tf_keras.layers.Layer | Rewrite] = {}
        self._copied: set[int] = set()
        self.rewrites: dict[str, str] = {}

    def model(self, source: keras.Model,
               input_shape: tuple[int, ...] | None = None) -> tf_keras.Model:
        """The tf_keras twin of `source`; `input_shape` (no batch axis) fixes dimensions the
        source leaves open, such as T, which unrolled recurrent layers need."""
        graph = graph_of(source)
        inputs = [tf_keras.Input(shape=input_shape or t.shape[1:], dtype=t.dtype,
                                 name=t._keras_history.operation.name) for t in graph.inputs]
        tensors: TensorMap = {id(k): t for k, t in zip(graph.inputs, inputs)}
        self.walk(graph, tensors)
        outputs = [tensors[id(t)] for t in graph.outputs]
        return tf_keras.Model(inputs if len(inputs) > 1 else inputs[0],
                              outputs if len(outputs) > 1 else outputs[0], name=source.name)

    def layer(self, source: Any) -> tf_keras.layers.Layer | Rewrite:
        if isinstance(source, tf_keras.layers.Layer):
            return source
        if id(source) not in self._layers:
            rewrite = rewrite_for(source)
            if rewrite is not None:
                self.rewrites[source.name] = rewrite.summary
            self._layers[id(source)] = rewrite or translate_layer(source, self.model)
        return self._layers[id(source)]

    def walk(self, graph: Any, tensors: TensorMap) -> None:
        """Call the tf_keras twin of every node whose inputs are in `tensors`, in graph order.

        Nodes whose inputs are not (yet) known are skipped, so seeding `tensors` with an inner
        tensor rebuilds only the part of the graph downstream of it (the streaming head).
        """
        for node in graph_nodes(graph):
            known = all(id(t) in tensors for t in node.inputs)
            if known and not all(id(t) in tensors for t in node.outputs):
                self._call(node, tensors)

    def _call(self, node: NodeParts, tensors: TensorMap) -> None:
        target = self.layer(node.layer)

        def swap(value: Any) -> Any:
            return tensors.get(id(value), value)

        args = tf.nest.map_structure(swap, node.args)
        kwargs = {k: v for k, v in tf.nest.map_structure(swap, node.kwargs).items()
                  if v is not None and k not in CALL_TIME_ARGUMENTS}
        outputs = tf.nest.flatten(target(*args, **kwargs))
        if target is not node.layer and id(node.layer) not in self._copied:
            if isinstance(target, Rewrite):
                target.copy_weights()
            else:
                copy_weights(node.layer, target)
            self._copied.add(id(node.layer))
        for symbolic, output in zip(node.outputs, outputs):
            tensors[id(symbolic)] = output

    def check_equivalence(self, source: keras.Model, rebuilt: tf_keras.Model,
                          input_shape: tuple[int, ...], seed: int = 0) -> float:
        """On a random batch of 2, check every layer of `source` against its tf_keras twin
        (inside nested models too) and raise WorkFailed naming the first that diverges.
        Returns the max |difference| of the two models' final outputs."""
        x = np.random.default_rng(seed).random((2, *input_shape), dtype=np.float32)
        graph = graph_of(source)
        values = source_values(graph, [x])
        where = self.divergence(graph, values)
        if where:
            raise WorkFailed(f"the tf_keras rebuild of {source.name!r} does not reproduce the "
                             f"Keras 3 model; first diverging: {where}")
        outputs = tf.nest.flatten(rebuilt(x, training=False))
        return max(_max_diff(values[id(t)], output) for t, output in zip(graph.outputs, outputs))

    def divergence(self, graph: keras.Model, values: dict[int, np.ndarray]) -> str | None:
        """Describe the first node (in graph order) whose tf_keras twin, given the node's Keras 3
        input values, does not reproduce its Keras 3 output; None when every node does.
        Nested models are checked layer by layer inside instead of as one block."""
        for node in graph_nodes(graph):
            nested, folded = _nested_model(node.layer)
            if nested is None:
                where = self._local_divergence(node, values)
            else:
                inner_inputs = [values[id(t)] for t in node.inputs]
                if folded:
                    inner_inputs = [v.reshape((-1, *v.shape[2:])) for v in inner_inputs]
                inner_graph = graph_of(nested)
                inner = self.divergence(inner_graph, source_values(inner_graph, inner_inputs))
                where = f"{inner} inside {describe(node.layer)}" if inner else None
            if where:
                return where
        return None

    def _local_divergence(self, node: NodeParts, values: dict[int, np.ndarray]) -> str | None:
        def value(item: Any) -> Any:
            return values.get(id(item), item)

        args = tf.nest.map_structure(value, node.args)
        kwargs = {k: v for k, v in tf.nest.map_structure(value, node.kwargs).items()
                  if v is not None}
        kwargs.setdefault("training", False)
        outputs = tf.nest.flatten(self.layer(node.layer)(*args, **kwargs))
        for symbolic, output in zip(node.outputs, outputs):
            expected = values[id(symbolic)]
            diff = _max_diff(expected, output)
            if diff > LAYER_TOLERANCE * max(1.0, float(np.max(np.abs(expected), initial=0.0))):
                return f"{describe(node.layer)}, max |diff| {diff:.3g}"
        return None


def source_values(graph: keras.Model, inputs: list[np.ndarray]) -> dict[int, np.ndarray]:
    """The value of every tensor of a Keras 3 graph on `inputs`, by id of its symbolic tensor."""
    symbolic = [t for node in graph_nodes(graph) for t in node.outputs]
    # flattened: a one-tensor list of outputs comes back as the bare tensor
    outputs = tf.nest.flatten(keras.Model(graph.inputs, symbolic)(inputs, training=False))
    values = dict(zip(map(id, graph.inputs), inputs))
    values.update(zip(map(id, symbolic), map(keras.ops.convert_to_numpy, outputs)))
    return values


def _nested_model(layer: Any) -> tuple[keras.Model | None, bool]:
    """(the model `layer` is or wraps in a TimeDistributed, whether time is folded into batch)."""
    if isinstance(layer, keras.Model):
        return layer, False
    inner = getattr(layer, "layer", None)
    if type(layer).__name__ == "TimeDistributed" and isinstance(inner, keras.Model):
        return inner, True
    return None, False


def _max_diff(a: Any, b: Any) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))
