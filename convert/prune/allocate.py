"""Latency-aware allocation: how many channels each group keeps, so that the measured int8
latency falls to a target share of the unpruned model's.

A uniform ratio removes as many channels where they cost nothing as where the time goes. Here the
ratios follow the measurement, as in NetAdapt (Yang et al., 2018: shrink, step by step, whichever
layer buys the most latency for the least accuracy) and HALP (Shen et al., 2022: choose channels
by importance against a latency cost per channel, under a latency budget). Each step removes
`round_to` channels from one group: the one whose removal saves the most predicted milliseconds
(har_convert.prune.latency: measured per-operator time scaled by the kept channels) per share of
its importance lost (the removed channels' importance over the group's total), until the
predicted time reaches the target. A group keeps at least `min_keep` of its channels and at
least `round_to`; the accuracy that costs is recovered by fine-tuning and checked on held-out
clips against the converter's drop budget (a warning over 2 points, `--max-drop` to fail).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from typing import Sequence

import numpy as np
import tf_keras

from har_convert.prune.channels import (
    PrunePlan,
    channel_graph,
    importance,
    plan_counts,
    prunable_roots,
)
from har_convert.prune.groups import ChannelGraph
from har_convert.prune.latency import OpCost, attribute, predicted_ms
from har_device.core.errors import BadInput
from har_device.core.op_timing import OpProfile

MIN_KEEP = 0.25


@dataclass(frozen=True)
class Allocation:
    """kept: root group id -> channels kept (only the groups that lose some); predicted and
    unpruned: the latency model's milliseconds after and before."""

    kept: dict[int, int]
    predicted_ms: float
    unpruned_ms: float

    @property
    def predicted_ratio(self) -> float:
        return self.predicted_ms / self.unpruned_ms if self.unpruned_ms else 1.0


def allocate(graph: ChannelGraph, costs: list[OpCost], scores: dict[int, np.ndarray],
             target: float, round_to: int = 8, min_keep: float = MIN_KEEP) -> Allocation:
    """Channels to keep per prunable group (`scores`: root -> importance per channel) for a
    predicted latency of `target` times the unpruned (see the module doc)."""
    sizes = {root: graph.group(root).size for root in graph.roots()}
    kept = {root: sizes[root] for root in scores}
    losses = {root: np.cumsum(np.sort(s)) / max(float(np.sum(s)), 1e-12)
              for root, s in scores.items()}
    floors = {root: max(round_to, math.ceil(sizes[root] * min_keep)) for root in scores}
    unpruned = predicted_ms(costs, {}, sizes)
    current = unpruned
    while current > target * unpruned:
        best, best_value, best_ms = None, math.inf, current
        for root in scores:
            smaller = _step_down(kept[root], round_to)
            if smaller < floors[root]:
                continue
            trial_ms = predicted_ms(costs, {**kept, root: smaller}, sizes)
            saved = current - trial_ms
            if saved <= 0:
                continue
            lost = _loss(losses[root], sizes[root] - smaller) - _loss(losses[root],
                                                                     sizes[root] - kept[root])
            if lost / saved < best_value:
                best, best_value, best_ms = root, lost / saved, trial_ms
        if best is None:
            break
        kept[best], current = _step_down(kept[best], round_to), best_ms
    return Allocation({root: k for root, k in kept.items() if k < sizes[root]}, current, unpruned)


def _step_down(count: int, round_to: int) -> int:
    """The next multiple of round_to below count."""
    return (count - 1) // round_to * round_to


def _loss(cumulative: np.ndarray, removed: int) -> float:
    return float(cumulative[removed - 1]) if removed > 0 else 0.0


def plan_for_latency(model: tf_keras.Model, profile: OpProfile, target: float, round_to: int = 8,
                     criterion: str = "l1", exclude: Sequence[str] = ()
                     ) -> tuple[PrunePlan, Allocation]:
    """The pruning plan that meets `target` (a share of the profiled unpruned int8 latency)."""
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < 1:
        raise BadInput(f"--target-latency: expected a share of the unpruned int8 latency in "
                       f"(0, 1), got {target!r}")
    graph = channel_graph(model, exclude)
    scores = {root: importance(graph.group(root), criterion) for root in prunable_roots(graph)}
    allocation = allocate(graph, attribute(model, graph, profile), scores, target, round_to)
    return plan_counts(graph, allocation.kept, criterion), allocation
