"""Cut a clip model into a per-frame network and a temporal head, for the agent's streaming mode.

Why: a clip model runs its frame network on all T frames of every window, although consecutive
windows share T-1 frames. When the model starts with per-frame layers (TimeDistributed, in the zoo
one TimeDistributed(nested Model) named `frame_features`), the device can run the frame part once
per camera frame, keep the features in a ring buffer and run only the head over the last T of them:
the same answer for a fraction of the work. The split is taken from the graph itself: the chain of
TimeDistributed layers the input flows through before anything mixes time; the head is everything
downstream of the last one, rebuilt on a new (T, features) input with the same layers and weights,
except that the first head layer's per-step input projection moves into the frame network
(`export.hoist`), where it runs once per frame instead of T times per output.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import tf_keras

from har_convert.bridge.rebuild import Bridge
from har_convert.export.hoist import hoist
from har_convert.graph.nodes import NodeParts, graph_nodes, graph_of

WRAPPER = "TimeDistributed"


@dataclass(frozen=True)
class StreamingSplit:
    """frame: (S, S, 3) -> feature vector; head: (T, *feature shape) -> scores; cut: the name
    of the last per-frame layer of the source model."""

    frame: tf_keras.Model
    head: tf_keras.Model
    cut: str


def split_for_streaming(source: Any, bridge: Bridge, frames: int) -> StreamingSplit | None:
    """The split of `source` (Keras 3 or tf_keras) with its layers' tf_keras twins from `bridge`;
    None when the model does not start with per-frame layers that the rest depends on alone."""
    graph = graph_of(source)
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        return None
    chain = leading_per_frame_nodes(graph)
    if not chain:
        return None
    frame_input = tf_keras.Input(shape=graph.inputs[0].shape[2:], name="frame")
    x = frame_input
    for node in chain:
        x = bridge.layer(node.layer).layer(x)
    features = chain[-1].outputs[0]
    head_input = tf_keras.Input(shape=(frames, *features.shape[2:]), name="features")
    tensors = {id(features): head_input}
    bridge.walk(graph, tensors)
    if id(graph.outputs[0]) not in tensors:
        return None
    hoisted = _hoisted(graph, features, bridge, frames, x)
    if hoisted is not None:
        x, head_input, tensors = hoisted
    return StreamingSplit(tf_keras.Model(frame_input, x, name="frame"),
                          tf_keras.Model(head_input, tensors[id(graph.outputs[0])], name="head"),
                          chain[-1].layer.name)


def _hoisted(graph: Any, features: Any, bridge: Bridge, frames: int,
             frame_output: Any) -> tuple[Any, Any, dict[int, Any]] | None:
    """(frame output, head input, head tensors) with the first head layer's per-step projection
    moved into the frame network (`export.hoist`); None when that layer has none to move.
    Called after the plain head was walked, so the bridge's twins hold their weights."""
    consumers = [node for node in graph_nodes(graph) if any(t is features for t in node.inputs)]
    if len(consumers) != 1 or len(consumers[0].inputs) != 1 or len(consumers[0].outputs) != 1 \
            or len(features.shape) != 3:
        return None
    moved = hoist(bridge.layer(consumers[0].layer), features.shape[-1])
    if moved is None:
        return None
    projected = moved.projection(frame_output)
    head_input = tf_keras.Input(shape=(frames, projected.shape[-1]), name="features")
    head_output = head_input if moved.head_layer is None else moved.head_layer(head_input)
    tensors = {id(features): head_input, id(consumers[0].outputs[0]): head_output}
    bridge.walk(graph, tensors)
    return projected, head_input, tensors


def leading_per_frame_nodes(graph: Any) -> list[NodeParts]:
    """The TimeDistributed calls the input flows through one after the other, each the only
    consumer of the previous tensor, before any other layer touches it."""
    nodes = graph_nodes(graph)
    current, chain = graph.inputs[0], []
    while not any(current is output for output in graph.outputs):
        consumers = [node for node in nodes if any(t is current for t in node.inputs)]
        if len(consumers) != 1 or type(consumers[0].layer).__name__ != WRAPPER:
            break
        if len(consumers[0].outputs) != 1:
            break
        chain.append(consumers[0])
        current = consumers[0].outputs[0]
    return chain


def run_split(split: StreamingSplit, clips: np.ndarray) -> np.ndarray:
    """Float scores of the split on clips (N, T, S, S, 3): each frame through `frame`, the stacked
    features through `head`. Used to check the cut reproduces the whole model."""
    n, t = clips.shape[:2]
    features = split.frame.predict(clips.reshape((n * t, *clips.shape[2:])), verbose=0)
    return split.head.predict(features.reshape((n, t, *features.shape[1:])), verbose=0)
