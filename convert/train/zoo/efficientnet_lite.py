"""EfficientNet-Lite0 per frame with the TCN head.

Design: the lightweight-HAR paper (Bankar et al.) names EfficientNet-Lite as its alternative
backbone. EfficientNet-Lite0 is EfficientNet-B0 (Tan & Le 2019, Table 1) as the TensorFlow
EfficientNet-Lite release defines it for integer accelerators: squeeze-and-excite removed, swish
replaced by ReLU6, and stem (32) and head (1280) kept fixed. Written here rather than taken from
keras.applications.EfficientNetB0, which embeds Rescaling + Normalization layers (QAT rejects
them) and has squeeze-excite and swish.
"""
from __future__ import annotations

import keras
from keras import layers

from har_convert.train.zoo.heads import clip_classifier, tcn_head

# EfficientNet-B0 Table 1 (stages 2-8): expansion, kernel, first stride, output channels, repeats.
LITE0_BLOCKS = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
STEM_FILTERS = 32
HEAD_FILTERS = 1280
# keras.applications.EfficientNet's: a depthwise kernel's fan-out is its k*k taps, so its weights
# start at std sqrt(2 / k^2) whatever the channel count. A config, not an instance, so that every
# layer gets its own seed (an unseeded instance draws its seed once and repeats its values).
KERNEL_INITIALIZER = {"class_name": "VarianceScaling", "config": {
    "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}


def efficientnet_lite0_backbone(size: int) -> keras.Model:
    """EfficientNet-Lite0 without classifier, globally average-pooled to 1280-d.

    Deviation: no stochastic depth (drop-connect) on the residual branches, which would need a
    per-sample dropout layer the converter would have to special-case; the dropout before the
    classifier (0.2 in Lite0) is kept, in the head.
    """
    image = keras.Input(shape=(size, size, 3), name="image")
    x = _conv_bn_relu6(image, STEM_FILTERS, 3, 2, "stem")
    for stage, (expansion, kernel, stride, filters, repeats) in enumerate(LITE0_BLOCKS, start=1):
        for block in range(repeats):
            x = _mbconv(x, expansion, kernel, stride if block == 0 else 1, filters,
                        f"block{stage}{chr(ord('a') + block)}")
    x = _conv_bn_relu6(x, HEAD_FILTERS, 1, 1, "top")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(image, x, name=f"efficientnet_lite0_{size}")


def _conv_bn_relu6(x: keras.KerasTensor, filters: int, kernel: int, stride: int,
                   name: str) -> keras.KerasTensor:
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                      kernel_initializer=KERNEL_INITIALIZER, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(6.0, name=f"{name}_relu6")(x)


def _mbconv(x: keras.KerasTensor, expansion: int, kernel: int, stride: int, filters: int,
            name: str) -> keras.KerasTensor:
    """Inverted residual: 1x1 expand (none at expansion 1), depthwise, 1x1 linear projection."""
    inputs = x
    if expansion != 1:
        x = _conv_bn_relu6(x, inputs.shape[-1] * expansion, 1, 1, f"{name}_expand")
    x = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                               depthwise_initializer=KERNEL_INITIALIZER, name=f"{name}_dwconv")(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_dw_relu6")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, kernel_initializer=KERNEL_INITIALIZER,
                      name=f"{name}_project_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_project_bn")(x)
    if stride == 1 and inputs.shape[-1] == filters:
        x = layers.Add(name=f"{name}_add")([inputs, x])
    return x


def build_effnetlite_tcn(*, num_classes: int, frames: int, size: int, tcn_filters: int = 64,
                         dropout: float = 0.2) -> keras.Model:
    """EfficientNet-Lite0 per frame + the causal dilated TCN head (see `heads.tcn_head`).

    Deviations: built untrained (keras.applications has no EfficientNet-Lite weights; `har-train
    --weights PATH` loads a file); no drop-connect (see the backbone).
    """
    return clip_classifier(efficientnet_lite0_backbone(size), frames=frames, size=size,
                           head=tcn_head(filters=tcn_filters, dropout=dropout),
                           num_classes=num_classes, name="effnetlite_tcn")
