"""Heads over body keypoints: T frames of the pose stage's 33 landmarks, normalised by
har_device.core.keypoints (hips-centred, torso-scaled, with velocities) into (T, FEATURES).

Sized for the device's budget: the pose stage takes ~20 ms a frame, and the head must cost a few
per cent of that in int8, so both are a few tens of thousands of parameters. Only layers the
tf_keras bridge rebuilds and the int8 converter handles (Conv1D, BatchNorm, Dense, an unrolled GRU).
"""
from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from har_convert.train.zoo.heads import classifier, tcn_head
from har_device.core.keypoints import FEATURES

KEYPOINT_INPUT = "keypoints"


def _window(frames: int, features: int) -> keras.KerasTensor:
    return keras.Input(shape=(frames, features), name=KEYPOINT_INPUT)


def build_kp_tcn(*, num_classes: int, frames: int, features: int = FEATURES, filters: int = 48,
                 dilations: Sequence[int] = (1, 2, 4), dropout: float = 0.1) -> keras.Model:
    """The zoo's temporal convolution head (causal dilated residual blocks, kernel 3: each step
    sees 29 steps back, more than T=16) straight on the keypoint features."""
    window = _window(frames, features)
    head = tcn_head(filters=filters, kernel_size=3, dilations=dilations, dropout=dropout)
    return keras.Model(window, head(window, num_classes), name="kp_tcn")


def build_kp_gru(*, num_classes: int, frames: int, features: int = FEATURES, embed: int = 64,
                 units: int = 48, dropout: float = 0.2) -> keras.Model:
    """A per-frame projection of the pose (Dense + ReLU), a GRU over the T frames, softmax. The
    bridge unrolls the GRU over the fixed T, which the int8 converter turns into plain ops."""
    window = _window(frames, features)
    x = layers.Dense(embed, activation="relu", name="kp_embed")(window)
    x = layers.GRU(units, name="kp_gru")(x)
    return keras.Model(window, classifier(x, num_classes, dropout), name="kp_gru")
