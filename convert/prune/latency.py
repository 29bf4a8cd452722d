"""Measured operator latency mapped back to Keras layers and channel groups.

The converter records the Keras layers an operator comes from in its tensor names
("lrcn/frame_features/lrcn_cnn/quant_block1_conv/Relu;..."; QAT adds "quant_"), so each operator
of a profile (har_device.core.op_timing) is attributed to the deepest layer name its output
tensor carries. A fused operator whose output the converter names itself (an LSTM's
"tfl.unidirectional_sequence_lstm") goes to the model's next layer of that class; anything else
to the layer named in its other tensors (its inputs); what is still left is "(unmapped)" and
counts as time no pruning can remove.

An operator's width is the share of channels kept of every group it reads or writes, multiplied:
a convolution's is the kept fraction of its input times that of its output channels, a BatchNorm's
or pooling's that of its one group (the MAC count's proportions). To first order its time scales
with that share. Measured int8 kernels do not: at 64-96 px, XNNPACK's early convolutions cost per
pixel, not per channel (the LRCN's first convolution takes 1.33 ms with 32 output channels and
1.36 ms with 16), and below 16 channels some get slower. So, as NetAdapt does with its latency
tables, the allocation times uniformly narrower copies of the model (`with_widths`), and each
operator's time at a width is interpolated between its measured widths; narrower than the
narrowest measured, no further saving is assumed. Without such measurements an operator scales
with its width. `predicted_ms` is that model; the report shows the measurement after pruning
beside it.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np
import tf_keras

from har_convert.graph.mapping import nested_model
from har_convert.graph.nodes import graph_nodes
from har_convert.prune.groups import ChannelGraph
from har_device.core.op_timing import OpProfile, OpTime

Layer = tf_keras.layers.Layer
UNMAPPED = "(unmapped)"
# One thread: an operator's own cost, not how well it splits across cores.
PROFILE_THREADS = 1
# Fused TFLite operators whose tensors carry no layer name -> the Keras class they come from.
FUSED_KINDS = {"UNIDIRECTIONAL_SEQUENCE_LSTM": "LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM":
               "Bidirectional", "UNIDIRECTIONAL_SEQUENCE_RNN": "SimpleRNN"}


@dataclass(frozen=True)
class OpCost:
    """One timed operator: the layer it belongs to, the channel groups (root ids) whose width
    scales its time, and (width, ms) measured on narrower copies of the model, narrowest first."""

    op: OpTime
    layer: str
    groups: tuple[int, ...]
    narrower: tuple[tuple[float, float], ...] = ()

    def width(self, kept: Mapping[int, int], sizes: Mapping[int, int]) -> float:
        """The product of the kept shares of the groups this operator touches."""
        return math.prod(kept.get(g, sizes.get(g, 1)) / sizes.get(g, 1) for g in self.groups)

    def ms_at(self, width: float) -> float:
        """Its time at `width` (see the module doc)."""
        if not self.narrower:
            return self.op.ms * width
        widths, times = zip(*self.narrower, (1.0, self.op.ms))
        return float(np.interp(width, widths, times))


def attribute(model: tf_keras.Model, graph: ChannelGraph, profile: OpProfile) -> list[OpCost]:
    """Each operator of `profile` with its layer of `model` and the groups it touches."""
    layers = _layers_with_groups(model, graph)
    by_kind: dict[str, list[str]] = {}
    for name, (layer, _) in layers.items():
        by_kind.setdefault(type(layer).__name__, []).append(name)
    named = [_layer_name(op.names[:1], layers) for op in profile.ops]
    for index, op in enumerate(profile.ops):
        if named[index] is None and op.op in FUSED_KINDS:
            free = [n for n in by_kind.get(FUSED_KINDS[op.op], []) if n not in named]
            named[index] = free[0] if free else None
    named = [name or _layer_name(op.names[1:], layers) for op, name in zip(profile.ops, named)]
    return [OpCost(op, name or UNMAPPED, layers[name][1] if name else ())
            for op, name in zip(profile.ops, named)]


def predicted_ms(costs: list[OpCost], kept: Mapping[int, int], sizes: Mapping[int, int]) -> float:
    """The profile's time with `kept[g]` of the `sizes[g]` channels of each group kept."""
    return sum(cost.ms_at(cost.width(kept, sizes)) for cost in costs)


def with_widths(costs: list[OpCost], narrower: Sequence[tuple[Mapping[int, int], OpProfile]],
                sizes: Mapping[int, int]) -> list[OpCost]:
    """`costs` with the times each operator took in the profiles of narrower copies of the model
    (each with its kept channel counts per group). Pruning keeps the operator graph, so the
    operators pair by position; one that does not pair keeps scaling with its width."""
    measured: list[list[tuple[float, float]]] = [[] for _ in costs]
    for kept, profile in narrower:
        if len(profile.ops) != len(costs):
            continue
        for points, cost, op in zip(measured, costs, profile.ops):
            width = cost.width(kept, sizes)
            if op.op == cost.op.op and width < 1:
                points.append((width, op.ms))
    return [replace(cost, narrower=tuple(sorted(dict(points).items())))
            for cost, points in zip(costs, measured)]


def layer_latency(model: tf_keras.Model, graph: ChannelGraph, profile: OpProfile) -> dict:
    """The profile summed per layer of `model`, for the report."""
    return {"threads": profile.threads, "rounds": profile.rounds,
            "whole_ms": round(profile.whole_ms, 4), "ops_sum_ms": round(profile.sum_ms, 4),
            "layers": layer_table(attribute(model, graph, profile))}


def layer_table(costs: list[OpCost]) -> list[dict]:
    """One row per layer in model order: its operators, summed milliseconds, share of the total
    and the group its output channels belong to."""
    total = sum(cost.op.ms for cost in costs) or 1.0
    rows: dict[str, dict] = {}
    for cost in costs:
        row = rows.setdefault(cost.layer, {"layer": cost.layer, "ops": [], "ms": 0.0,
                                           "groups": list(cost.groups)})
        row["ops"].append(cost.op.op)
        row["ms"] += cost.op.ms
    for row in rows.values():
        row["ms"] = round(row["ms"], 4)
        row["share"] = round(row["ms"] / total, 4)
    return list(rows.values())


def _layer_name(names: tuple[str, ...], layers: Mapping[str, tuple[Layer, tuple[int, ...]]]
                ) -> str | None:
    """The deepest layer name in the first of `names` that holds one."""
    for tensor_name in names:
        parts = [part.removeprefix("quant_") for part in re.split(r"[;/]", tensor_name)]
        found = [part for part in parts if part in layers]
        if found:
            return found[-1]
    return None


def _layers_with_groups(model: tf_keras.Model, graph: ChannelGraph
                        ) -> dict[str, tuple[Layer, tuple[int, ...]]]:
    """Leaf layer name -> (layer, the root groups of its input and, for a producer, output)."""
    found: dict[str, tuple[Layer, tuple[int, ...]]] = {}
    for node in graph_nodes(model):
        inner = nested_model(node.layer)
        if inner is not None:
            found |= _layers_with_groups(inner, graph)
            continue
        layer = node.layer
        wrapped = getattr(layer, "layer", None)
        layout = graph.layouts.get(id(node.inputs[0])) if node.inputs else None
        groups = [graph.find(g) for g in (layout.groups if layout else ())]
        for candidate in (layer, wrapped):
            if candidate is not None and id(candidate) in graph.producer_group:
                groups.append(graph.find(graph.producer_group[id(candidate)]))
        entry = (wrapped if wrapped is not None else layer, tuple(dict.fromkeys(groups)))
        found[layer.name] = entry
        if wrapped is not None:
            found[wrapped.name] = entry
    return found
