"""Structured pruning: a smaller, dense tf_keras model with whole filters and units removed.

Zeroing weights (tfmot's prune_low_magnitude) leaves the .tflite as large and as slow as before
(docs/design.md, "Tool-chain facts"); on a Raspberry Pi only fewer channels help. So whole channels go: `prune.groups`
finds the groups of channels that must be removed together (a convolution's filters with its
BatchNorm, the depthwise convolution after it, the next layer's input rows and every branch of a
residual Add), each group keeps its most important channels, and the model is rebuilt with
smaller layer configs and sliced weights. The result converts like any other model.

Importance of a channel: the L1 or L2 norm of the filter/unit that makes it, summed over the
group's producers after scaling each producer's norms to mean 1 (so the branches of an Add
count equally), or "bn": the BatchNorm scale |gamma| of the group (L1 where a group has none).
Kept counts are rounded up to a multiple of `round_to` (8 by default: what SIMD int8 kernels
consume at once), never below it.

    result = prune_channels(model, 0.5)     # result.model, result.removed["Conv_1"] == (1280, 640)
"""
from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import tf_keras

from har_convert.graph.mapping import map_layers
from har_convert.prune.groups import (
    CHANNELWISE,
    PRODUCERS,
    RECURRENT,
    ChannelGraph,
    ChannelGroup,
    Layout,
    analyse,
    recurrent_width,
)
from har_convert.settings import CRITERIA
from har_device.core.errors import BadInput

Layer = tf_keras.layers.Layer
EXCLUDE_NAMES_SHOWN = 12


@dataclass(frozen=True)
class PrunePlan:
    """Which channels each pruned group keeps (sorted indices, keyed by the group's root id)."""

    graph: ChannelGraph
    keep: dict[int, np.ndarray]

    def kept(self, gid: int) -> np.ndarray:
        root = self.graph.find(gid)
        return self.keep.get(root, np.arange(self.graph.group(root).size))

    def indices(self, layout: Layout) -> np.ndarray:
        """Positions kept on a last axis that holds `layout`."""
        offsets = np.cumsum([0] + [self.graph.group(g).size for g in layout.groups])
        one_copy = np.concatenate([self.kept(g) + offset
                                   for g, offset in zip(layout.groups, offsets)])
        return np.concatenate([one_copy + r * offsets[-1] for r in range(layout.repeat)])

    def pruned_groups(self) -> list[tuple[ChannelGroup, np.ndarray]]:
        return [(self.graph.group(root), keep) for root, keep in self.keep.items()]


@dataclass(frozen=True)
class PruneResult:
    """model: the pruned model (new layers, the input model is untouched); removed: producer
    layer name -> (channels before, after) for every layer that lost channels."""

    model: tf_keras.Model
    removed: dict[str, tuple[int, int]]
    plan: PrunePlan


def prune_channels(model: tf_keras.Model, ratio: float, round_to: int = 8,
                   criterion: str = "l1", exclude: Sequence[str] = ()) -> PruneResult:
    """Remove about `ratio` of the channels of every prunable group of `model` (see module doc)."""
    return pruned(model, plan_pruning(model, ratio, round_to, criterion, exclude))


def pruned(model: tf_keras.Model, plan: PrunePlan) -> PruneResult:
    """`model` with only the channels `plan` keeps."""
    removed = {layer.name: (plan.graph.group(gid).size, len(plan.kept(gid)))
               for layer in plan.graph.producers
               for gid in [plan.graph.producer_group[id(layer)]]
               if len(plan.kept(gid)) < plan.graph.group(gid).size}
    return PruneResult(apply_plan(model, plan), removed, plan)


def plan_pruning(model: tf_keras.Model, ratio: float, round_to: int = 8, criterion: str = "l1",
                 exclude: Sequence[str] = ()) -> PrunePlan:
    """Choose the channels to keep, without changing the model."""
    _check_options(ratio, round_to, criterion)
    graph = channel_graph(model, exclude)
    return plan_counts(graph, {root: kept_count(graph.group(root).size, ratio, round_to)
                               for root in prunable_roots(graph)}, criterion)


def channel_graph(model: tf_keras.Model, exclude: Sequence[str] = ()) -> ChannelGraph:
    graph = analyse(model, exclude)
    _check_exclude(graph, exclude)
    return graph


def prunable_roots(graph: ChannelGraph) -> list[int]:
    return [root for root in graph.roots() if graph.group(root).prunable]


def plan_counts(graph: ChannelGraph, counts: dict[int, int], criterion: str) -> PrunePlan:
    """Each group of `counts` (root -> channels to keep) keeps its most important channels."""
    keep = {}
    for root, count in counts.items():
        if count < graph.group(root).size:
            scores = importance(graph.group(root), criterion)
            keep[root] = np.sort(np.argsort(-scores, kind="stable")[:count])
    return PrunePlan(graph, keep)


def kept_count(size: int, ratio: float, round_to: int) -> int:
    """size * (1 - ratio) rounded up to a multiple of round_to, at least round_to, at most size."""
    return min(size, max(round_to, round_to * math.ceil(size * (1 - ratio) / round_to)))


def importance(group: ChannelGroup, criterion: str) -> np.ndarray:
    """One score per channel of `group` (higher: keep), see the module doc."""
    scales = [np.abs(layer.get_weights()[0]) for layer in group.members
              if type(layer).__name__ == "BatchNormalization" and layer.scale]
    if criterion != "bn" or not scales:
        order = 2 if criterion == "l2" else 1
        scales = [filter_norms(layer, order) for layer in group.producers]
    return sum(s / max(float(np.mean(s)), 1e-12) for s in scales)


def filter_norms(layer: Layer, order: int) -> np.ndarray:
    """The L-`order` norm of each output channel's weights (all gates of a recurrent unit)."""
    name = type(layer).__name__
    weights = layer.get_weights()
    if name in RECURRENT:
        gates, width = RECURRENT[name][1], recurrent_width(layer)
        arrays = [w.reshape(*w.shape[:-1], gates, width) for w in weights[:2]]
    else:
        arrays = [weights[1] if name.startswith("SeparableConv") else weights[0]]
    total = sum(np.sum(np.abs(a) ** order, axis=tuple(range(a.ndim - 1))) for a in arrays)
    return total ** (1.0 / order)


def apply_plan(model: tf_keras.Model, plan: PrunePlan) -> tf_keras.Model:
    """The model rebuilt with the plan's channels only: new layers, sliced weights."""
    return map_layers(model, _Slicer(plan))


class _Slicer:
    """The pruned copy of one layer: its config with the new width, its weights sliced."""

    def __init__(self, plan: PrunePlan) -> None:
        self.plan = plan

    def __call__(self, layer: Layer, prefix: str = "") -> tuple[Layer, list[np.ndarray]]:
        """`prefix`: the one Bidirectional adds to the names of the layers it wraps (and would
        add again to a copy's)."""
        name = type(layer).__name__
        if name == "TimeDistributed":
            inner, weights = self(layer.layer)
            return tf_keras.layers.TimeDistributed(inner, name=layer.name), weights
        if name == "Bidirectional":
            forward, f_weights = self(layer.forward_layer, "forward_")
            backward, b_weights = self(layer.backward_layer, "backward_")
            return tf_keras.layers.Bidirectional(forward, merge_mode=layer.merge_mode,
                                                 backward_layer=backward,
                                                 name=layer.name), f_weights + b_weights
        config, weights = layer.get_config(), layer.get_weights()
        config["name"] = layer.name.removeprefix(prefix)
        graph = self.plan.graph
        if id(layer) in graph.producer_group:
            keep_in = self.plan.indices(graph.inputs_of[id(layer)])
            keep_out = self.plan.kept(graph.producer_group[id(layer)])
            key = PRODUCERS.get(name) or RECURRENT[name][0]
            config[key] = len(keep_out)
            weights = (_slice_recurrent(weights, keep_in, keep_out, RECURRENT[name][1])
                       if name in RECURRENT else _slice_producer(name, weights, keep_in, keep_out))
        elif name in CHANNELWISE and id(layer) in graph.inputs_of:
            keep = self.plan.indices(graph.inputs_of[id(layer)])
            weights = [w[keep] if w.ndim == 1 else w[..., keep, :] for w in weights]
        return type(layer).from_config(config), weights


def _slice_producer(name: str, weights: list[np.ndarray], keep_in: np.ndarray,
                    keep_out: np.ndarray) -> list[np.ndarray]:
    """Conv/Dense: kernel (..., in, out) and bias (out); SeparableConv: depthwise (..., in, 1),
    pointwise (..., in, out), bias (out)."""
    if name.startswith("SeparableConv"):
        depthwise, pointwise, *bias = weights
        return [depthwise[..., keep_in, :], pointwise[..., keep_in, :][..., keep_out],
                *(b[keep_out] for b in bias)]
    kernel, *bias = weights
    return [kernel[..., keep_in, :][..., keep_out], *(b[keep_out] for b in bias)]


def _slice_recurrent(weights: list[np.ndarray], keep_in: np.ndarray, keep_out: np.ndarray,
                     gates: int) -> list[np.ndarray]:
    """kernel (..., in, gates*units), recurrent kernel (..., units, gates*units), bias
    (..., gates*units): the same units kept in every gate."""
    kernel, recurrent, *bias = weights
    units = recurrent.shape[-2]
    columns = np.concatenate([keep_out + g * units for g in range(gates)])
    return [kernel[..., keep_in, :][..., columns], recurrent[..., keep_out, :][..., columns],
            *(b[..., columns] for b in bias)]


def _check_options(ratio: float, round_to: int, criterion: str) -> None:
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio < 1:
        raise BadInput(f"--prune: expected a ratio of channels to remove in [0, 1), got {ratio!r}")
    if isinstance(round_to, bool) or not isinstance(round_to, int) or round_to < 1:
        raise BadInput(f"--round-to: expected an integer >= 1, got {round_to!r}")
    if criterion not in CRITERIA:
        raise BadInput(f"--importance: expected one of {', '.join(CRITERIA)}, got {criterion!r}")


def _check_exclude(graph: ChannelGraph, exclude: Sequence[str]) -> None:
    names = [layer.name for layer in graph.producers]
    shown = ", ".join(names[:EXCLUDE_NAMES_SHOWN])
    shown += ", ..." if len(names) > EXCLUDE_NAMES_SHOWN else ""
    for pattern in exclude:
        if not fnmatch.filter(names, pattern):
            raise BadInput(f"--exclude: {pattern!r} matches no prunable layer (convolution, "
                           f"dense or recurrent); the model's are: {shown}")
