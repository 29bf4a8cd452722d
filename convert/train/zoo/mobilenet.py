"""MobileNetV2 per frame with a Bi-LSTM or TCN head.

Design: "Lightweight Deep Learning Model for Human Action Recognition in Videos" (Bankar et al.),
section "Proposed methodology": a lightweight CNN backbone (MobileNetV2, width multiplier alpha)
extracts one feature vector per frame (224x224 in the paper), a Bi-LSTM or a temporal
convolutional network models the sequence, fully connected + softmax classify.
"""
from __future__ import annotations

import keras

from har_convert.train.zoo.heads import bilstm_head, clip_classifier, tcn_head

BATCHNORM_MOMENTUM = 0.9


def mobilenet_v2_backbone(size: int, alpha: float) -> keras.Model:
    """keras.applications MobileNetV2 without top, globally average-pooled (1280-d for alpha<=1).

    It has no Rescaling layer inside (it expects already-scaled input), so it takes the project's
    x = pixel/255 directly; the BatchNorm after the stem absorbs the offset from [-1, 1].
    Built with weights=None (`har-train --weights imagenet` copies the ImageNet weights in
    afterwards: train.pretrained). keras.applications sets BatchNorm momentum 0.999,
    made for ImageNet-length schedules: after the few hundred steps a from-scratch run here gets,
    the moving statistics would still be mostly their initial values and inference would see
    other activations than training did, so the backbone's BatchNorms use momentum 0.9.
    """
    backbone = keras.applications.MobileNetV2(input_shape=(size, size, 3), alpha=alpha,
                                              include_top=False, weights=None, pooling="avg",
                                              name=f"mobilenetv2_{alpha:g}_{size}")
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = BATCHNORM_MOMENTUM
    return backbone


def build_mnv2_bilstm(*, num_classes: int, frames: int, size: int, alpha: float,
                      lstm_units: int = 64, dropout: float = 0.5) -> keras.Model:
    """MobileNetV2 (alpha) per frame + Bi-LSTM head (paper: CNN + Bi-LSTM variant).

    Deviations: built untrained (ImageNet weights: `har-train --weights imagenet`); the paper's
    "flattened, fully connected layers" after the Bi-LSTM are reduced to dropout + one softmax
    Dense, since the Bi-LSTM output is already a flat vector.
    """
    return clip_classifier(mobilenet_v2_backbone(size, alpha), frames=frames, size=size,
                           head=bilstm_head(units=lstm_units, dropout=dropout),
                           num_classes=num_classes, name="mnv2_bilstm")


def build_mnv2_tcn(*, num_classes: int, frames: int, size: int, alpha: float,
                   tcn_filters: int = 64, dropout: float = 0.2) -> keras.Model:
    """MobileNetV2 (alpha) per frame + causal dilated TCN head (paper: CNN + TCN variant).

    Deviations: built untrained (as above); the paper does not specify the TCN, so it follows Bai
    et al. 2018 (see `heads.tcn_head`). Trained from scratch on har-synth data it learns slowly:
    0.39 held-out after 6 epochs at 64 px (6 minutes of fitting here), where LRCN reaches 0.69
    (benchmarks/results/zoo.md), so the demo trains LRCN; it wants pre-trained weights.
    """
    return clip_classifier(mobilenet_v2_backbone(size, alpha), frames=frames, size=size,
                           head=tcn_head(filters=tcn_filters, dropout=dropout),
                           num_classes=num_classes, name="mnv2_tcn")
