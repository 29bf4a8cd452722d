"""Latency-aware allocation on a real channel graph with given operator times: the channels go
where the measured time is, a group never shrinks below its floor, the prediction scales each
operator by the kept share of the groups it touches unless narrower copies were timed, and then
follows their times: channels stay where narrower operators measured no faster."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tf_keras
from tf_keras import layers

from har_convert.prune.allocate import allocate, plan_for_latency
from har_convert.prune.channels import importance, prunable_roots
from har_convert.prune.groups import ChannelGraph, analyse
from har_convert.prune.latency import OpCost, attribute, predicted_ms, with_widths
from har_device.core.errors import BadInput
from har_device.core.op_timing import OpProfile, OpTime


def three_convs() -> tf_keras.Model:
    tf_keras.utils.set_random_seed(0)
    image = tf_keras.Input((16, 16, 3))
    x = layers.Conv2D(32, 3, padding="same", name="first")(image)
    x = layers.Conv2D(32, 3, padding="same", name="middle")(x)
    x = layers.GlobalAveragePooling2D()(layers.Conv2D(32, 1, name="last")(x))
    return tf_keras.Model(image, layers.Dense(3, activation="softmax", name="predictions")(x))


def roots_by_name(model: tf_keras.Model, graph: ChannelGraph) -> dict[str, int]:
    return {name: graph.find(graph.producer_group[id(model.get_layer(name))])
            for name in ("first", "middle", "last")}


def timed_at_half(full: dict[str, float], half: dict[str, float]
                  ) -> tuple[ChannelGraph, dict[str, int], list[OpCost]]:
    """three_convs' graph, its groups by producer name, and the costs of `full` with `half`
    measured on a copy with 16 of each group's 32 channels."""
    model = three_convs()
    graph = analyse(model)
    roots = roots_by_name(model, graph)
    narrower = [({root: 16 for root in roots.values()}, profile(half))]
    return graph, roots, with_widths(attribute(model, graph, profile(full)), narrower,
                                     graph.sizes())


def profile(ms: dict[str, float]) -> OpProfile:
    """Operators named as the converter names them, with the given times."""
    ops = tuple(OpTime(i, "CONV_2D", (f"model/{name}/BiasAdd;model/{name}/Conv2D",), t)
                for i, (name, t) in enumerate(ms.items()))
    return OpProfile(Path("model.tflite"), 1, 1, sum(ms.values()), ops)


def test_operators_map_to_their_layers_and_groups() -> None:
    model = three_convs()
    graph = analyse(model)
    costs = attribute(model, graph, profile({"first": 1.0, "middle": 1.0, "last": 1.0}))
    assert [c.layer for c in costs] == ["first", "middle", "last"]
    first = graph.find(graph.producer_group[id(model.get_layer("first"))])
    assert first in costs[0].groups and first in costs[1].groups
    sizes = graph.sizes()
    assert predicted_ms(costs, {first: 16}, sizes) == pytest.approx(0.5 + 0.5 + 1.0)


def test_the_channels_go_where_the_time_is() -> None:
    """The first conv's output is read by the middle conv: both slow operators shrink with it;
    the cheap last conv keeps its channels."""
    model = three_convs()
    graph = analyse(model)
    costs = attribute(model, graph, profile({"first": 4.0, "middle": 4.0, "last": 0.1}))
    scores = {root: importance(graph.group(root), "l1") for root in prunable_roots(graph)}
    allocation = allocate(graph, costs, scores, target=0.5)
    names = {graph.find(graph.producer_group[id(model.get_layer(n))]): n
             for n in ("first", "middle", "last")}
    kept = {names[root]: count for root, count in allocation.kept.items()}
    assert allocation.predicted_ratio <= 0.5
    assert "last" not in kept and kept["first"] <= 24


def test_floors_stop_the_allocation_short_of_an_unreachable_target() -> None:
    model = three_convs()
    graph = analyse(model)
    costs = attribute(model, graph, profile({"first": 1.0, "middle": 1.0, "last": 1.0}))
    scores = {root: importance(graph.group(root), "l1") for root in prunable_roots(graph)}
    allocation = allocate(graph, costs, scores, target=0.01, min_keep=0.5)
    assert set(allocation.kept.values()) == {16}
    assert allocation.predicted_ratio > 0.01


@pytest.mark.parametrize("target", [0, 1.0, 1.5, True])
def test_a_target_outside_0_1_is_refused(target) -> None:
    with pytest.raises(BadInput, match="--target-latency"):
        plan_for_latency(three_convs(), profile({"first": 1.0}), target)


def test_the_plan_keeps_the_most_important_channels() -> None:
    model = three_convs()
    plan, allocation = plan_for_latency(model, profile({"first": 4.0, "middle": 4.0,
                                                        "last": 0.1}), 0.5)
    root = plan.graph.find(plan.graph.producer_group[id(model.get_layer("first"))])
    scores = importance(plan.graph.group(root), "l1")
    kept = plan.kept(root)
    assert len(kept) == allocation.kept[root]
    assert np.min(scores[kept]) >= np.max(np.delete(scores, kept))


def test_timed_narrower_copies_replace_the_proportional_guess() -> None:
    """"first" (3 -> 32) measured as long at half its channels, as XNNPACK's early int8
    convolutions are: between measured widths the time is interpolated, and narrower than the
    narrowest measured no further saving is assumed."""
    graph, roots, costs = timed_at_half({"first": 4.0, "middle": 4.0, "last": 0.1},
                                        {"first": 4.0, "middle": 1.0, "last": 0.025})
    sizes, half = graph.sizes(), {root: 16 for root in roots.values()}
    assert [c.narrower for c in costs] == [((0.5, 4.0),), ((0.25, 1.0),), ((0.25, 0.025),)]
    assert predicted_ms(costs, half, sizes) == pytest.approx(5.025)
    assert predicted_ms(costs, {roots["first"]: 16}, sizes) == pytest.approx(4.0 + 2.0 + 0.1)
    assert predicted_ms(costs, {root: 8 for root in roots.values()}, sizes) == pytest.approx(5.025)


def test_channels_stay_where_narrower_operators_measured_no_faster() -> None:
    """Only "middle" pays for pruning; "first" costs the same at any width and "last" saves
    less than the timing's noise. Cutting the first group brings "middle" to its narrowest
    measured width; past it nothing is predicted to save, so the other groups keep their
    channels and the allocation stops short of the unreachable target at what it reached."""
    graph, roots, costs = timed_at_half({"first": 4.0, "middle": 1.0, "last": 0.01},
                                        {"first": 4.0, "middle": 0.25, "last": 0.0025})
    sizes = graph.sizes()
    scores = {root: importance(graph.group(root), "l1") for root in prunable_roots(graph)}
    allocation = allocate(graph, costs, scores, target=0.5, round_to=8)
    assert allocation.kept == {roots["first"]: 8}
    assert allocation.predicted_ms == pytest.approx(4.0 + 0.25 + 0.01)
    assert allocation.predicted_ms == pytest.approx(predicted_ms(costs, allocation.kept, sizes))
    assert allocation.predicted_ratio > 0.5


def test_the_allocation_times_the_narrower_copies_it_is_given() -> None:
    """plan_for_latency hands `time_int8` a half and a quarter copy of the model and allocates by
    what it returns (here: "first" and "last" flat, "middle" proportional to its channels)."""
    model = three_convs()
    seen = []

    def time_int8(narrow: tf_keras.Model) -> OpProfile:
        widths = [narrow.get_layer(name).filters for name in ("first", "middle")]
        seen.append(widths)
        return profile({"first": 4.0, "middle": widths[0] * widths[1] / 1024, "last": 0.5})

    plan, allocation = plan_for_latency(model, profile({"first": 4.0, "middle": 1.0,
                                                        "last": 0.5}), 0.5, 8,
                                        time_int8=time_int8)
    assert seen == [[16, 16], [8, 8]]
    assert set(allocation.measured) == {0.5, 0.25}
    assert allocation.predicted_ratio == pytest.approx((4.0 + 8 * 8 / 1024 + 0.5) / 5.5)
    assert {len(plan.kept(root)) for root in plan.keep} == {8}
