"""har-convert's optimisation stages as a unit: nothing runs without labelled clips, the
--data clips are labelled in the model's order, fine-tuning follows the model's training
record, and a --target-latency the allocation could not reach is said in one line (the whole
chain runs in test_optimize_cli)."""
from __future__ import annotations

import pytest
from tiny_videos import TINY_CLASSES

from har_convert.optimize import Optimized, OptimizeSettings, optimize, training_data
from har_convert.settings import NO_AUGMENTATION, Augmentation
from har_convert.source.facts import as_trained
from har_convert.verify.stages import optimization_notes
from har_device.core.errors import BadInput


def test_without_data_nothing_runs_and_an_explicit_request_is_named(tiny_clip_net):
    quiet = optimize(tiny_clip_net, None, OptimizeSettings())
    assert quiet.final is tiny_clip_net and quiet.float_model is tiny_clip_net
    assert quiet.skipped is None and quiet.details == {}
    asked = optimize(tiny_clip_net, None, OptimizeSettings(prune=0.5, sparsity="2:4"))
    assert asked.final is tiny_clip_net
    assert asked.skipped.startswith("--prune, --sparsity skipped") and "--data" in asked.skipped
    assert "\n" not in asked.skipped


@pytest.mark.parametrize("predicted, said", [(0.646, True), (0.5, False), (0.42, False)])
def test_an_unreachable_latency_target_is_said(tiny_clip_net, predicted, said):
    details = {"prune": {"target_latency": 0.5, "predicted_latency_ratio": predicted}}
    notes = optimization_notes({}, Optimized(tiny_clip_net, tiny_clip_net, tiny_clip_net,
                                             details))
    assert bool(notes) == said
    if said:
        assert notes == ["pruned: --target-latency 0.5 is out of reach on this CPU: narrower "
                         "int8 operators measured no faster past a predicted 0.65 of the "
                         "unpruned time, so pruning stopped there"]


def test_training_data_follows_the_model_label_order(tiny_folder):
    names = list(TINY_CLASSES)
    natural = training_data(tiny_folder, names, 4, 32, None, 0)
    reordered = training_data(tiny_folder, list(reversed(names)), 4, 32, None, 0)
    assert reordered.labels == list(reversed(names))
    assert list(reordered.train.y) == [len(names) - 1 - y for y in natural.train.y]
    with pytest.raises(BadInput, match="not among the model's labels"):
        training_data(tiny_folder, names[:2], 4, 32, None, 0)


PLAIN = {"seed": 7, "learning_rate": 1e-3,
         "augmentation": {"flip": False, "max_rotation_deg": 0.0, "min_crop": 1.0}}


def test_fine_tuning_follows_the_training_record(tmp_path):
    model = tmp_path / "model.keras"
    settings = as_trained(OptimizeSettings(prune=0.5), model, PLAIN)
    assert (settings.seed, settings.finetune_lr, settings.augmentation) == (7, 1e-3,
                                                                            NO_AUGMENTATION)
    assert settings.prune == 0.5
    phased = {**PLAIN, "schedule": {"phases": [{"learning_rate": 1e-3},
                                               {"learning_rate": 1e-5}]}}
    assert as_trained(OptimizeSettings(), model, phased).finetune_lr == 1e-5
    assert as_trained(OptimizeSettings(finetune_lr=2e-4), model, phased).finetune_lr == 2e-4
    unknown = as_trained(OptimizeSettings(), model, {})
    assert (unknown.seed, unknown.finetune_lr, unknown.augmentation) == (0, None, Augmentation())


@pytest.mark.parametrize("field, value, message", [
    ("augmentation", {"flip": True, "zoom": 2},
     "'augmentation': expected an object with flip, max_rotation_deg, min_crop"),
    ("learning_rate", -1, "'learning_rate': expected a positive number"),
    ("learning_rate", "fast", "'learning_rate': expected a positive number")])
def test_a_malformed_training_record_is_named(tmp_path, field, value, message):
    with pytest.raises(BadInput, match=f"model.train.json: field {message}"):
        as_trained(OptimizeSettings(), tmp_path / "model.keras", {**PLAIN, field: value})
