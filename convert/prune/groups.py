"""Which channels of a tf_keras model have to be removed together: the channel groups.

Removing output channel c of a convolution is only sound if every tensor that carries channel c
loses it in the same place: the BatchNorm after the convolution, the depthwise convolution that
follows (it keeps one filter per channel), the input rows of the next layer, and, through a
residual Add, every other branch of the Add and everything they feed (in MobileNetV2 the
projections of one stage form one group; in a TCN head the whole residual stream is one). So the
model is walked once, nested models and TimeDistributed/Bidirectional wrappers included, and the
last axis of every tensor gets a `Layout`: which groups' channels it holds, in which order.

- a producer (Conv1D/2D/3D, Dense, SeparableConv, LSTM/GRU/SimpleRNN/ConvLSTM) starts a group of
  its own output channels (filters, units);
- channel-wise layers (BatchNormalization, DepthwiseConv with multiplier 1) and pass-through
  layers (activations, dropout, pooling, padding, reshapes that keep the last axis) keep the
  layout; merges (Add, Multiply, ...) unite their inputs' groups; Concatenate on the last axis
  lays its inputs' groups side by side; Flatten repeats the layout once per spatial position;
  Bidirectional lays (or unites, for sum/ave/mul) its forward and backward units;
- anything else (Permute of the channel axis, Dot, attention, LayerNormalization, softmax over
  channels, custom layers) is opaque: the groups it touches are frozen, never pruned. Frozen too:
  the model's inputs and outputs, and the groups of excluded layers.
"""
from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import tensorflow as tf
import tf_keras

from har_convert.graph.mapping import is_functional
from har_convert.graph.nodes import graph_nodes

Layer = tf_keras.layers.Layer

# Producer class -> the config key holding its output width.
PRODUCERS = {"Conv1D": "filters", "Conv2D": "filters", "Conv3D": "filters", "Dense": "units",
             "SeparableConv1D": "filters", "SeparableConv2D": "filters"}
# Recurrent producer class -> (config key of its width, number of gates stacked in its kernels).
RECURRENT = {"LSTM": ("units", 4), "GRU": ("units", 3), "SimpleRNN": ("units", 1),
             "ConvLSTM1D": ("filters", 4), "ConvLSTM2D": ("filters", 4),
             "ConvLSTM3D": ("filters", 4)}
CHANNELWISE = frozenset({"BatchNormalization", "DepthwiseConv1D", "DepthwiseConv2D"})
PASS_THROUGH = frozenset({
    "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU",
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "RepeatVector", "Reshape", "Permute",
    "TimeSlice",  # the bridge's frame selection in a rebuilt Conv3D (bridge.video3d)
})
ELEMENTWISE_MERGES = frozenset({"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})
# Activations that mix channels: removing one changes all the others.
CHANNEL_MIXING_ACTIVATIONS = frozenset({"softmax", "log_softmax"})


@dataclass
class ChannelGroup:
    """Channels that are removed together. producers: layers whose filters/units make them;
    members: layers holding per-channel parameters of them (BatchNorm, depthwise);
    frozen: why the group cannot shrink (empty: it can)."""

    size: int
    producers: list[Layer] = field(default_factory=list)
    members: list[Layer] = field(default_factory=list)
    frozen: list[str] = field(default_factory=list)

    @property
    def prunable(self) -> bool:
        return bool(self.producers) and not self.frozen


@dataclass(frozen=True)
class Layout:
    """The last axis of a tensor: `repeat` consecutive copies of the channels of `groups`
    concatenated (repeat > 1 after a Flatten: position-major, channel-minor)."""

    groups: tuple[int, ...]
    repeat: int = 1


class ChannelGraph:
    """The groups of one model (union-find over group ids) and what each tensor and layer holds.

    layouts: tensor id -> Layout; inputs_of: layer id -> the Layout of its (first) input;
    producer_group: producer layer id -> group id of its outputs; producers: in graph order.
    """

    def __init__(self) -> None:
        self._parent: list[int] = []
        self._groups: list[ChannelGroup] = []
        self.layouts: dict[int, Layout] = {}
        self.inputs_of: dict[int, Layout] = {}
        self.producer_group: dict[int, int] = {}
        self.producers: list[Layer] = []

    def new_group(self, size: int, frozen: str | None = None) -> int:
        self._parent.append(len(self._parent))
        self._groups.append(ChannelGroup(size, frozen=[frozen] if frozen else []))
        return len(self._parent) - 1

    def find(self, gid: int) -> int:
        while self._parent[gid] != gid:
            self._parent[gid] = self._parent[self._parent[gid]]
            gid = self._parent[gid]
        return gid

    def group(self, gid: int) -> ChannelGroup:
        return self._groups[self.find(gid)]

    def roots(self) -> list[int]:
        return [gid for gid in range(len(self._parent)) if self.find(gid) == gid]

    def sizes(self) -> dict[int, int]:
        """Root id -> its group's channel count: what kept counts are shares of."""
        return {root: self.group(root).size for root in self.roots()}

    def union(self, a: int, b: int) -> int:
        a, b = self.find(a), self.find(b)
        if a == b:
            return a
        first, second = self._groups[a], self._groups[b]
        self._parent[b] = a
        first.producers += second.producers
        first.members += second.members
        first.frozen += second.frozen
        if first.size != second.size:
            first.frozen.append(f"channel counts {first.size} and {second.size} meet")
        return a

    def unify(self, a: Layout, b: Layout) -> Layout:
        """The layouts of two tensors that must hold the same channels in the same order."""
        if a.repeat == b.repeat and len(a.groups) == len(b.groups) and all(
                self.group(x).size == self.group(y).size for x, y in zip(a.groups, b.groups)):
            return Layout(tuple(self.union(x, y) for x, y in zip(a.groups, b.groups)), a.repeat)
        self.freeze(a, "channel layouts that do not line up meet")
        self.freeze(b, "channel layouts that do not line up meet")
        return a

    def freeze(self, layout: Layout, reason: str) -> None:
        for gid in layout.groups:
            self.group(gid).frozen.append(reason)

    def size(self, layout: Layout) -> int:
        return layout.repeat * sum(self.group(gid).size for gid in layout.groups)


def analyse(model: tf_keras.Model, exclude: Sequence[str] = ()) -> ChannelGraph:
    """The channel groups of `model`. `exclude`: layer names or shell patterns (any depth) whose
    output groups stay whole; the last producer (the classifier) always does. The first
    producer's output channels are prunable (its input stays RGB): on the demo LRCN its block is
    most of the frame network's time (benchmarks/results/layer_latency.md)."""
    graph = ChannelGraph()
    walker = _Walker(graph)
    inputs = [Layout((graph.new_group(_width(t.shape), "model input"),)) for t in model.inputs]
    for layout in walker.walk(model, inputs):
        graph.freeze(layout, "model output")
    for layer in graph.producers:
        if any(fnmatch.fnmatchcase(layer.name, pattern) for pattern in exclude):
            graph.group(graph.producer_group[id(layer)]).frozen.append(f"excluded ({layer.name})")
    for producer in graph.producers[-1:]:
        graph.group(graph.producer_group[id(producer)]).frozen.append("classifier")
    return graph


def _width(shape: tf.TensorShape) -> int:
    return int(shape[-1]) if shape.rank and shape[-1] is not None else 0


Rule = Callable[[Layer, list[Layout], list[tf.TensorShape], list[tf.TensorShape]], list[Layout]]


class _Walker:
    """Assigns a Layout to every tensor of a model, nested models included (see module doc)."""

    def __init__(self, graph: ChannelGraph) -> None:
        self.graph = graph

    def walk(self, model: tf_keras.Model, inputs: list[Layout]) -> list[Layout]:
        for tensor, layout in zip(model.inputs, inputs):
            self._assign(tensor, layout)
        for node in graph_nodes(model):
            layouts = [self.graph.layouts[id(t)] for t in node.inputs]
            outputs = self.apply(node.layer, layouts, [t.shape for t in node.inputs],
                                 [t.shape for t in node.outputs])
            for tensor, layout in zip(node.outputs, outputs):
                self._assign(tensor, layout)
        return [self.graph.layouts[id(t)] for t in model.outputs]

    def _assign(self, tensor: Any, layout: Layout) -> None:
        known = self.graph.layouts.get(id(tensor))
        self.graph.layouts[id(tensor)] = layout if known is None else self.graph.unify(known,
                                                                                      layout)

    def apply(self, layer: Layer, ins: list[Layout], in_shapes: list[tf.TensorShape],
              out_shapes: list[tf.TensorShape]) -> list[Layout]:
        return self._rule(layer)(layer, ins, in_shapes, out_shapes)

    def _rule(self, layer: Layer) -> Rule:
        name = type(layer).__name__
        if is_functional(layer):
            return lambda layer, ins, *_: self.walk(layer, ins)
        rules: dict[str, Rule] = {"TimeDistributed": self._time_distributed,
                                  "Bidirectional": self._bidirectional,
                                  "Concatenate": self._concatenate, "Flatten": self._flatten}
        if name in rules:
            return rules[name]
        if name in PRODUCERS or name in RECURRENT:
            return self._producer
        if name in CHANNELWISE:
            return self._channelwise
        if name in PASS_THROUGH:
            return self._pass_through
        if name in ELEMENTWISE_MERGES:
            return self._merge
        return self._opaque

    def _consume(self, layer: Layer, layout: Layout) -> None:
        """Record the input layout of a layer with weights; a shared layer must see one layout."""
        known = self.graph.inputs_of.get(id(layer))
        self.graph.inputs_of[id(layer)] = layout if known is None else self.graph.unify(known,
                                                                                       layout)

    def _produce(self, layer: Layer, width: int) -> int:
        if id(layer) not in self.graph.producer_group:
            gid = self.graph.new_group(width)
            self.graph.group(gid).producers.append(layer)
            self.graph.producer_group[id(layer)] = gid
            self.graph.producers.append(layer)
            if getattr(layer, "activation", None) is not None and \
                    layer.activation.__name__ in CHANNEL_MIXING_ACTIVATIONS:
                self.graph.group(gid).frozen.append(f"{layer.name} applies a softmax")
        return self.graph.producer_group[id(layer)]

    def _producer(self, layer: Layer, ins: list[Layout], in_shapes: list, out_shapes: list
                  ) -> list[Layout]:
        if len(ins) != 1 or len(out_shapes) != 1 or not _plain_producer(layer):
            return self._opaque(layer, ins, in_shapes, out_shapes)
        self._consume(layer, ins[0])
        return [Layout((self._produce(layer, _width(out_shapes[0])),))]

    def _channelwise(self, layer: Layer, ins: list[Layout], in_shapes: list, out_shapes: list
                     ) -> list[Layout]:
        last_axis = in_shapes[0].rank - 1
        axis = getattr(layer, "axis", [-1])
        axes = [a % (last_axis + 1) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
        if axes != [last_axis] or getattr(layer, "depth_multiplier", 1) != 1 or len(ins) != 1:
            return self._opaque(layer, ins, in_shapes, out_shapes)
        self._consume(layer, ins[0])
        for gid in ins[0].groups:
            self.graph.group(gid).members.append(layer)
        return [ins[0]]

    def _pass_through(self, layer: Layer, ins: list[Layout], in_shapes: list, out_shapes: list
                      ) -> list[Layout]:
        keeps_last_axis = (len(ins) == 1 and len(out_shapes) == 1
                           and _width(in_shapes[0]) == _width(out_shapes[0])
                           and _keeps_channels(layer, in_shapes[0].rank))
        if not keeps_last_axis:
            return self._opaque(layer, ins, in_shapes, out_shapes)
        return [ins[0]]

    def _merge(self, layer: Layer, ins: list[Layout], in_shapes: list, out_shapes: list
               ) -> list[Layout]:
        if len({_width(s) for s in in_shapes}) != 1:
            return self._opaque(layer, ins, in_shapes, out_shapes)
        merged = ins[0]
        for other in ins[1:]:
            merged = self.graph.unify(merged, other)
        return [merged]

    def _concatenate(self, layer: Layer, ins: list[Layout], in_shapes: list, out_shapes: list
                     ) -> list[Layout]:
        if layer.axis % in_shapes[0].rank != in_shapes[0].rank - 1:
            return self._merge(layer, ins, in_shapes, out_shapes)
        if any(layout.repeat != 1 for layout in ins):
            return self._opaque(layer, ins, in_shapes, out_shapes)
        return [Layout(tuple(gid for layout in ins for gid in layout.groups))]

    def _flatten(self, layer: Layer, ins: list[Layout], in_shapes: list, out_shapes: list
                 ) -> list[Layout]:
        positions = in_shapes[0][1:-1]
        if layer.data_format != "channels_last" or any(p is None for p in positions):
            return self._opaque(layer, ins, in_shapes, out_shapes)
        return [Layout(ins[0].groups, ins[0].repeat * math.prod(positions))]

    def _time_distributed(self, layer: Layer, ins: list[Layout], in_shapes: list,
                          out_shapes: list) -> list[Layout]:
        def per_step(shape: tf.TensorShape) -> tf.TensorShape:
            return tf.TensorShape([shape[0], *shape[2:]])

        return self.apply(layer.layer, ins, [per_step(s) for s in in_shapes],
                          [per_step(s) for s in out_shapes])

    def _bidirectional(self, layer: Layer, ins: list[Layout], in_shapes: list, out_shapes: list
                       ) -> list[Layout]:
        forward, backward = layer.forward_layer, layer.backward_layer
        mergeable = layer.merge_mode in ("concat", "sum", "ave", "mul")
        if len(ins) != 1 or len(out_shapes) != 1 or not mergeable or not all(
                _plain_producer(rnn) for rnn in (forward, backward)):
            return self._opaque(layer, ins, in_shapes, out_shapes)
        for rnn in (forward, backward):
            self._consume(rnn, ins[0])
        groups = tuple(self._produce(rnn, recurrent_width(rnn)) for rnn in (forward, backward))
        if layer.merge_mode == "concat":
            return [Layout(groups)]
        return [Layout((self.graph.union(*groups),))]

    def _opaque(self, layer: Layer, ins: list[Layout], in_shapes: list, out_shapes: list
                ) -> list[Layout]:
        reason = f"passes through {layer.name} ({type(layer).__name__})"
        for layout in ins:
            self.graph.freeze(layout, reason)
        return [Layout((self.graph.new_group(_width(s), reason),)) for s in out_shapes]


def _plain_producer(layer: Layer) -> bool:
    """A producer whose channels the slicing rules understand (no groups, no multiplier,
    no returned states)."""
    return (type(layer).__name__ in PRODUCERS or type(layer).__name__ in RECURRENT) and \
        getattr(layer, "groups", 1) == 1 and getattr(layer, "depth_multiplier", 1) == 1 and \
        not getattr(layer, "return_state", False) and \
        getattr(layer, "data_format", "channels_last") == "channels_last"


def recurrent_width(layer: Layer) -> int:
    return int(getattr(layer, RECURRENT[type(layer).__name__][0]))


def _keeps_channels(layer: Layer, rank: int) -> bool:
    """Whether a pass-through layer leaves channel c at index c of the last axis."""
    name = type(layer).__name__
    if name == "Permute":
        return tuple(layer.dims)[-1] == rank - 1
    if name == "Softmax":
        return tuple(layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]) \
            not in ((-1,), (rank - 1,))
    if name == "Activation":
        return layer.activation.__name__ not in CHANNEL_MIXING_ACTIVATIONS
    return getattr(layer, "data_format", "channels_last") == "channels_last"
