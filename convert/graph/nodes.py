"""The layer calls of a functional graph in topological order, the same for Keras 3 and tf_keras.

The bridge rebuilds a graph node by node, pruning follows channels through it, the streaming split
finds its per-frame prefix, and the complexity count visits every layer: all of them walk graphs
through these few functions, which hide the two libraries' different node classes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

from har_device.core.errors import BadInput


def graph_of(model: keras.Model) -> keras.Model:
    """The functional graph behind `model` (a Sequential keeps one inside)."""
    graph = getattr(model, "_functional", None) if isinstance(model, keras.Sequential) else model
    if graph is None or not hasattr(graph, "_nodes_by_depth"):
        raise BadInput(f"model {model.name!r}: not a functional or built Sequential model "
                       "(subclassed models have no layer graph to rebuild)")
    return graph


def graph_nodes(graph: Any) -> list[NodeParts]:
    """The layer calls of a Keras 3 or tf_keras functional graph in topological order, input
    placeholders left out."""
    nodes = [node_parts(node) for depth in sorted(graph._nodes_by_depth, reverse=True)
             for node in graph._nodes_by_depth[depth]]
    return [node for node in nodes if type(node.layer).__name__ != "InputLayer"]


@dataclass(frozen=True)
class NodeParts:
    """One call of a layer in a graph, the same for both libraries' node classes."""

    layer: Any
    args: tuple
    kwargs: dict
    inputs: list
    outputs: list


def node_parts(node: Any) -> NodeParts:
    if hasattr(node, "arguments"):
        return NodeParts(node.operation, node.arguments.args, node.arguments.kwargs,
                         list(node.arguments.keras_tensors), list(node.output_tensors))
    return NodeParts(node.layer, tuple(node.call_args), dict(node.call_kwargs),
                     tf.nest.flatten(node.keras_inputs), tf.nest.flatten(node.outputs))
