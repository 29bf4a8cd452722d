"""har-convert's optimisation stages as a unit: nothing runs without labelled clips, and the
--data clips are labelled in the model's order (the whole chain runs in test_optimize_cli)."""
from __future__ import annotations

import pytest
from tiny_videos import TINY_CLASSES

from har_convert.optimize import OptimizeSettings, optimize, training_data
from har_device.core.errors import BadInput


def test_without_data_nothing_runs_and_an_explicit_request_is_named(tiny_clip_net):
    quiet = optimize(tiny_clip_net, None, OptimizeSettings())
    assert quiet.final is tiny_clip_net and quiet.float_model is tiny_clip_net
    assert quiet.skipped is None and quiet.details == {}
    asked = optimize(tiny_clip_net, None, OptimizeSettings(prune=0.5, sparsity="2:4"))
    assert asked.final is tiny_clip_net
    assert asked.skipped.startswith("--prune, --sparsity skipped") and "--data" in asked.skipped
    assert "\n" not in asked.skipped


def test_training_data_follows_the_model_label_order(tiny_folder):
    names = list(TINY_CLASSES)
    natural = training_data(tiny_folder, names, 4, 32, None, 0)
    reordered = training_data(tiny_folder, list(reversed(names)), 4, 32, None, 0)
    assert reordered.labels == list(reversed(names))
    assert list(reordered.train.y) == [len(names) - 1 - y for y in natural.train.y]
    with pytest.raises(BadInput, match="not among the model's labels"):
        training_data(tiny_folder, names[:2], 4, 32, None, 0)
