"""Latency-aware allocation: how many channels each group keeps, so that the measured int8
latency falls to a target share of the unpruned model's.

A uniform ratio removes as many channels where they cost nothing as where the time goes. Here the
ratios follow the measurement, as in NetAdapt (Yang et al., 2018: shrink, step by step, whichever
layer buys the most latency for the least accuracy) and HALP (Shen et al., 2022: choose channels
by importance against a latency cost per channel, under a latency budget). Each step removes
`round_to` channels from one group: the one whose removal saves the most predicted milliseconds
(har_convert.prune.latency: each operator's time measured on the unpruned model and on uniformly
narrower copies of it, at half and at a quarter of the channels, interpolated between) per share
of its importance lost (the removed channels' importance over the group's total), until the
predicted time reaches the target. A step must save at least MIN_STEP_SAVING of the unpruned
time: where the measurement shows that narrower operators take as long, channels stay, since
removing them costs accuracy for nothing, and the allocation stops short of a target the CPU's
kernels put out of reach (the report says so). A group keeps at least `min_keep` of its channels
and at least `round_to`; the accuracy that costs is recovered by fine-tuning and checked on
held-out clips against the converter's drop budget (a warning over 2 points, `--max-drop` to
fail).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np
import tf_keras

from har_convert.prune.channels import (
    PrunePlan,
    channel_graph,
    importance,
    kept_count,
    plan_counts,
    pruned,
    prunable_roots,
)
from har_convert.prune.groups import ChannelGraph
from har_convert.prune.latency import OpCost, attribute, predicted_ms, with_widths
from har_device.core.errors import BadInput
from har_device.core.op_timing import OpProfile

MIN_KEEP = 0.25
# The widths the allocation times narrower copies at (shares of each group's channels kept).
PROBE_KEEPS = (0.5, MIN_KEEP)
# Below this share of the unpruned time saved, a step is within the timing's noise.
MIN_STEP_SAVING = 0.001
TimeInt8 = Callable[[tf_keras.Model], OpProfile]


@dataclass(frozen=True)
class Allocation:
    """kept: root group id -> channels kept (only the groups that lose some); predicted and
    unpruned: the latency model's milliseconds after and before; measured: the keep share of
    each narrower copy timed -> the sum of its operators' milliseconds."""

    kept: dict[int, int]
    predicted_ms: float
    unpruned_ms: float
    measured: dict[float, float] = field(default_factory=dict)

    @property
    def predicted_ratio(self) -> float:
        return self.predicted_ms / self.unpruned_ms if self.unpruned_ms else 1.0


def allocate(graph: ChannelGraph, costs: list[OpCost], scores: dict[int, np.ndarray],
             target: float, round_to: int = 8, min_keep: float = MIN_KEEP) -> Allocation:
    """Channels to keep per prunable group (`scores`: root -> importance per channel) for a
    predicted latency of `target` times the unpruned (see the module doc)."""
    sizes = graph.sizes()
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
            if saved < MIN_STEP_SAVING * unpruned:
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
                     criterion: str = "l1", exclude: Sequence[str] = (),
                     time_int8: TimeInt8 | None = None) -> tuple[PrunePlan, Allocation]:
    """The pruning plan that meets `target` (a share of the profiled unpruned int8 latency).
    `time_int8` profiles a model's int8 conversion: given, the narrower copies are timed with it
    (else each operator's time is assumed to scale with its width)."""
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < 1:
        raise BadInput(f"--target-latency: expected a share of the unpruned int8 latency in "
                       f"(0, 1), got {target!r}")
    graph = channel_graph(model, exclude)
    roots = prunable_roots(graph)
    scores = {root: importance(graph.group(root), criterion) for root in roots}
    sizes = graph.sizes()
    costs = attribute(model, graph, profile)
    narrower = []
    for keep in PROBE_KEEPS if time_int8 is not None else ():
        counts = {root: kept_count(sizes[root], 1 - keep, round_to) for root in roots}
        narrower.append((counts, time_int8(pruned(model, plan_counts(graph, counts,
                                                                     criterion)).model)))
    allocation = allocate(graph, with_widths(costs, narrower, sizes), scores, target, round_to)
    measured = {keep: round(timed.sum_ms, 4) for keep, (_, timed) in zip(PROBE_KEEPS, narrower)}
    return plan_counts(graph, allocation.kept, criterion), replace(allocation, measured=measured)
