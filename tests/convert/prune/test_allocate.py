"""Latency-aware allocation on a real channel graph with given operator times: the channels go
where the measured time is, a group never shrinks below its floor, and the prediction scales each
operator by the kept share of the groups it touches."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tf_keras
from tf_keras import layers

from har_convert.prune.allocate import allocate, plan_for_latency
from har_convert.prune.channels import importance, prunable_roots
from har_convert.prune.groups import analyse
from har_convert.prune.latency import attribute, predicted_ms
from har_device.core.errors import BadInput
from har_device.core.op_timing import OpProfile, OpTime


def three_convs() -> tf_keras.Model:
    tf_keras.utils.set_random_seed(0)
    image = tf_keras.Input((16, 16, 3))
    x = layers.Conv2D(32, 3, padding="same", name="first")(image)
    x = layers.Conv2D(32, 3, padding="same", name="middle")(x)
    x = layers.GlobalAveragePooling2D()(layers.Conv2D(32, 1, name="last")(x))
    return tf_keras.Model(image, layers.Dense(3, activation="softmax", name="predictions")(x))


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
    sizes = {root: graph.group(root).size for root in graph.roots()}
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
