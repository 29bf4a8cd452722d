"""tfmot sparsity: 2:4 and ratio masks reach the per-frame network inside TimeDistributed, the
model is fine-tuned with them and comes back stripped (plain layers holding the zeros)."""
from __future__ import annotations

import numpy as np
import pytest
from tensorflow_model_optimization.python.core.sparsity.keras.pruning_utils import (
    is_pruned_m_by_n,
)

from har_convert.graph.mapping import leaf_layers
from har_convert.prune.sparsity import apply_sparsity, kernel_sparsity, pruning_wrappers
from har_convert.settings import SparsitySpec, parse_sparsity
from har_device.core.errors import BadInput


@pytest.fixture(scope="session")
def sparse_net(tiny_clip_net, tiny_clips):
    return apply_sparsity(tiny_clip_net, parse_sparsity("2:4"), tiny_clips, epochs=1,
                          progress=False)


def by_name(model):
    return {layer.name: layer for layer in leaf_layers(model)}


def test_2_4_pattern_in_every_eligible_kernel_and_wrappers_stripped(sparse_net, tiny_clip_net):
    # The stem reads 3 input channels: no block of 4 to take the pattern; Conv1D and depthwise
    # kernels cannot take it either.
    assert sparse_net.layers == ["project", "predictions"]
    layers = by_name(sparse_net.model)
    for name in sparse_net.layers:
        assert is_pruned_m_by_n(layers[name].kernel, (2, 4))
    assert sparse_net.sparsity == pytest.approx(0.5)
    assert not pruning_wrappers(sparse_net.model)
    assert type(layers["project"]).__name__ == "Conv2D"
    assert kernel_sparsity([by_name(tiny_clip_net)["project"]]) == 0.0


def test_sparse_model_keeps_its_interface(sparse_net, tiny_clip_net, tiny_clips):
    model = tiny_clip_net
    assert sparse_net.model.input_shape == model.input_shape
    assert sparse_net.model.count_params() == model.count_params()
    scores = sparse_net.model(tiny_clips.test.inputs()[:2]).numpy()
    assert scores.shape == (2, 3) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-5)
    assert len(sparse_net.training.val_accuracy) == 1


def test_ratio_sparsity_zeroes_that_share_of_each_kernel(tiny_clip_net, tiny_clips):
    result = apply_sparsity(tiny_clip_net, parse_sparsity("0.75"), tiny_clips, epochs=1,
                            progress=False)
    assert result.layers == ["stem", "project", "temporal", "predictions"]
    layers = by_name(result.model)
    for name in result.layers:
        assert kernel_sparsity([layers[name]]) == pytest.approx(0.75, abs=0.02)


@pytest.mark.parametrize("text, spec", [("2:4", SparsitySpec(m_by_n=(2, 4))),
                                        (" 1:8 ", SparsitySpec(m_by_n=(1, 8))),
                                        ("0.5", SparsitySpec(ratio=0.5))])
def test_parse_sparsity(text, spec):
    assert parse_sparsity(text) == spec


@pytest.mark.parametrize("text", ["4:4", "0:4", "1", "0", "half", "2:4:8", ""])
def test_bad_sparsity_names_the_option(text):
    with pytest.raises(BadInput, match="--sparsity"):
        parse_sparsity(text)
