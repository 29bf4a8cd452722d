"""Freezing and unfreezing a backbone by blocks, for the transfer-learning schedule (settings.Transfer).

A backbone's blocks are read from its layer names, as the backbones name them: MobileNetV2
`expanded_conv_*` and `block_N_*`, EfficientNet-Lite `blockNx_*`, ResNet `convS_blockN_*`. The
layers before the first block are the stem, those after the last block (the final 1x1
convolution, pooling) the top, each one more block. BatchNorms stay frozen in every phase (Keras'
transfer-learning guide): with trainable False a Keras 3 BatchNorm runs in inference mode, so its
ImageNet statistics are neither updated by nor normalised with the small batches of fine-tuning.
"""
from __future__ import annotations

import re

import keras

from har_device.core.errors import BadInput

BLOCK_NAME = re.compile(r"^(expanded_conv|block_\d+|block\d+[a-z]|conv\d+_block\d+)_")


def blocks(backbone: keras.Model) -> list[tuple[str, list[keras.layers.Layer]]]:
    """(name, layers) of each block, input to output; the InputLayer belongs to none. A layer
    between two blocks without a block name (a padding, say) goes with the block before it."""
    layers = [layer for layer in backbone.layers
              if not isinstance(layer, keras.layers.InputLayer)]
    keys = [match[1] if (match := BLOCK_NAME.match(layer.name)) else None for layer in layers]
    named = [i for i, key in enumerate(keys) if key]
    groups: list[tuple[str, list[keras.layers.Layer]]] = []
    for i, (layer, key) in enumerate(zip(layers, keys)):
        if key is None:
            key = ("stem" if not named or i < named[0] else "top" if i > named[-1]
                   else groups[-1][0])
        if groups and groups[-1][0] == key:
            groups[-1][1].append(layer)
        else:
            groups.append((key, [layer]))
    return groups


def freeze(backbone: keras.Model) -> None:
    """Phase one: nothing of the backbone trains, its BatchNorms run in inference mode."""
    backbone.trainable = False


def unfreeze_top(backbone: keras.Model, count: int) -> list[str]:
    """Phase two: the top `count` blocks train, BatchNorms excepted; returns their names."""
    groups = blocks(backbone)
    if count > len(groups):
        raise BadInput(f"--unfreeze-top {count}: {backbone.name} has {len(groups)} blocks")
    top = groups[len(groups) - count:]
    backbone.trainable = True
    chosen = {id(layer) for _, members in top for layer in members}
    for layer in backbone.layers:
        layer.trainable = id(layer) in chosen and not isinstance(
            layer, keras.layers.BatchNormalization)
    return [name for name, _ in top]
