"""The transfer-learning schedule: phase one leaves the frozen backbone (BatchNorm statistics too)
as it was and trains the head; phase two changes the top N blocks and nothing below them; the
training report says which phases ran."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from har_convert.data import load_dataset
from har_convert.settings import NO_AUGMENTATION, TrainConfig, Transfer
from har_convert.train.fit import build_model, train
from har_convert.train.pretrained import backbone_of
from har_convert.train.transfer import blocks, unfreeze_top
from har_device.core.errors import BadInput

FRAMES, SIZE = 2, 32


def weights_by_block(model) -> dict[str, list[np.ndarray]]:
    return {name: [w.numpy().copy() for layer in layers for w in layer.weights]
            for name, layers in blocks(backbone_of(model))}


def changed(before: list[np.ndarray], after: list[np.ndarray]) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


def run(tiny_ucf: Path, transfer: Transfer):
    config = TrainConfig(arch="mnv2-tcn", frames=FRAMES, size=SIZE, alpha=0.35, epochs=1,
                         batch=4, learning_rate=1e-2, augmentation=NO_AUGMENTATION,
                         transfer=transfer)
    model = build_model(config, 3)
    before = weights_by_block(model)
    head_before = model.get_layer("predictions").kernel.numpy().copy()
    data = load_dataset(tiny_ucf, FRAMES, SIZE, progress=False)
    result = train(model, config, data, progress=False)
    head_changed = not np.array_equal(head_before, model.get_layer("predictions").kernel.numpy())
    return before, weights_by_block(model), head_changed, result


def test_phase_one_trains_the_head_on_a_frozen_backbone(tiny_ucf: Path) -> None:
    before, after, head_changed, result = run(tiny_ucf, Transfer(freeze_backbone=True))
    assert head_changed
    assert not [name for name in before if changed(before[name], after[name])]
    assert [phase["trains"] for phase in result.schedule["phases"]] == [
        "head (backbone frozen, BatchNorm in inference mode)"]


def test_phase_two_changes_the_top_blocks_only(tiny_ucf: Path) -> None:
    before, after, _, result = run(tiny_ucf, Transfer(freeze_backbone=True, unfreeze_top=2,
                                                      finetune_lr=1e-2, finetune_epochs=1))
    names = list(before)
    assert [name for name in names if changed(before[name], after[name])] == names[-2:]
    assert names[-2:] == ["block_16", "top"]
    assert result.schedule["phases"][1]["blocks"] == ["block_16", "top"]
    assert result.schedule["phases"][1]["learning_rate"] == 1e-2
    assert len(result.history["loss"]) == 2


def test_unfreezing_more_blocks_than_there_are_is_bad_input() -> None:
    config = TrainConfig(arch="mnv2-tcn", frames=FRAMES, size=SIZE, alpha=0.35)
    backbone = backbone_of(build_model(config, 3))
    with pytest.raises(BadInput, match=r"--unfreeze-top 99: mobilenetv2_0.35_32 has 19 blocks"):
        unfreeze_top(backbone, 99)
