"""3D-convolution clip models: a C3D and an R(2+1)D sized for a Raspberry Pi.

Both see the whole clip at once (space and time mixed from the first layer), so there is no
per-frame network to stream: they run in `clip` mode. The converter rebuilds their Conv3D and 3D
pooling layers from builtin int8 operators (`har_convert.bridge.video3d`). C3D has no
BatchNormalization, as in the paper. R(2+1)D has it after every convolution, as in the paper:
without it the residual network did not learn at all on the demo data (measured: chance accuracy
after the demo recipe). After a temporal convolution the BatchNorm follows the sum of the rebuild's
Conv2Ds, where the converter cannot fold it: it stays an int8 MUL and ADD.
"""
from __future__ import annotations

import keras
from keras import layers

from har_convert.train.zoo.heads import classifier

C3D_FILTERS = (8, 16, 32, 64)
R2PLUS1D_STAGES = ((16, 1), (32, 2), (64, 2))


def build_c3d_lite(*, num_classes: int, frames: int, size: int,
                   dropout: float = 0.25) -> keras.Model:
    """C3D (Tran et al. 2015, Fig. 3): 3x3x3 convolutions (stride 1, 'same', ReLU) each followed
    by a max pooling, 1x2x2 after the first so that time is not merged too early, 2x2x2 after
    the others. Lite: four convolutions of 8-16-32-64 filters instead of eight of 64-512, and
    global average pooling instead of the two 4096-unit fully connected layers; 'same' pooling,
    so any number of frames works."""
    clip = keras.Input(shape=(frames, size, size, 3), name="clip")
    x = clip
    for i, filters in enumerate(C3D_FILTERS, start=1):
        x = layers.Conv3D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        pool = (1, 2, 2) if i == 1 else (2, 2, 2)
        x = layers.MaxPooling3D(pool, padding="same", name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling3D(name="global_pool")(x)
    return keras.Model(clip, classifier(x, num_classes, dropout), name="c3d_lite")


def build_r2plus1d_lite(*, num_classes: int, frames: int, size: int,
                        dropout: float = 0.25) -> keras.Model:
    """R(2+1)D (Tran et al. 2018, section 3.5): every 3x3x3 convolution factorised into a 1x3x3
    spatial one, BatchNorm and ReLU, and a 3x1x1 temporal one, in residual blocks. Lite: a (2+1)D stem with
    stride 2 in space, then one residual block per stage of 16-32-64 filters (the later two
    halving time and space, with a 1x1x1 projection on the shortcut), the intermediate width
    equal to the block's (the paper matches the 3D parameter count instead), global average
    pooling, softmax."""
    clip = keras.Input(shape=(frames, size, size, 3), name="clip")
    x = _conv2plus1d(clip, 16, 2, 1, "stem")
    for i, (filters, stride) in enumerate(R2PLUS1D_STAGES, start=1):
        x = _residual_block(x, filters, stride, f"block{i}")
    x = layers.GlobalAveragePooling3D(name="global_pool")(x)
    return keras.Model(clip, classifier(x, num_classes, dropout), name="r2plus1d_lite")


def _conv2plus1d(x: keras.KerasTensor, filters: int, spatial_stride: int, temporal_stride: int,
                 name: str, last_relu: bool = True) -> keras.KerasTensor:
    x = layers.Conv3D(filters, (1, 3, 3), strides=(1, spatial_stride, spatial_stride),
                      padding="same", use_bias=False, name=f"{name}_spatial")(x)
    x = layers.ReLU(name=f"{name}_spatial_relu")(
        layers.BatchNormalization(name=f"{name}_spatial_bn")(x))
    x = layers.Conv3D(filters, (3, 1, 1), strides=(temporal_stride, 1, 1), padding="same",
                      use_bias=False, name=f"{name}_temporal")(x)
    x = layers.BatchNormalization(name=f"{name}_temporal_bn")(x)
    return layers.ReLU(name=f"{name}_temporal_relu")(x) if last_relu else x


def _residual_block(x: keras.KerasTensor, filters: int, stride: int, name: str
                    ) -> keras.KerasTensor:
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv3D(filters, 1, strides=stride, use_bias=False,
                                 name=f"{name}_project")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_project_bn")(shortcut)
    y = _conv2plus1d(x, filters, stride, stride, f"{name}_a")
    y = _conv2plus1d(y, filters, 1, 1, f"{name}_b", last_relu=False)
    return layers.ReLU(name=f"{name}_relu")(layers.Add(name=f"{name}_add")([shortcut, y]))
