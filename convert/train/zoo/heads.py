"""Temporal heads over a (T, D) feature sequence, and the clip-model assembly they plug into.

Every clip model in the zoo is `Input(T, S, S, 3) -> TimeDistributed(frame network) -> head`.
The TimeDistributed layer is always named `frame_features` because the converter splits a model
at that layer into a per-frame network and a head for streaming: on the device each frame goes
through the frame network once, the features wait in a ring buffer, and the head runs over the
last T of them. So a head must take exactly T steps and must not look at anything but the features.
Only standard Keras layers are used, so the tf_keras bridge can rebuild every head layer by layer.
"""
from __future__ import annotations

from typing import Callable, Sequence

import keras
from keras import layers

FRAME_FEATURES = "frame_features"

Head = Callable[[keras.KerasTensor, int], keras.KerasTensor]


def clip_classifier(frame_network: keras.Model, *, frames: int, size: int, head: Head,
                    num_classes: int, name: str) -> keras.Model:
    """Wrap a per-frame network and a temporal head into one clip model (input x = pixel/255)."""
    clip = keras.Input(shape=(frames, size, size, 3), name="clip")
    features = layers.TimeDistributed(frame_network, name=FRAME_FEATURES)(clip)
    return keras.Model(clip, head(features, num_classes), name=name)


def classifier(x: keras.KerasTensor, num_classes: int, dropout: float) -> keras.KerasTensor:
    """Dropout then the softmax layer every zoo model ends with (named `predictions`)."""
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    return layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def tcn_head(*, filters: int = 64, kernel_size: int = 3, dilations: Sequence[int] = (1, 2, 4, 8),
             dropout: float = 0.2) -> Head:
    """Temporal convolution head (Bai et al. 2018 TCN): residual blocks of dilated CAUSAL Conv1D.

    Causal padding means step t sees only steps <= t, which is what a streaming window needs; with
    kernel 3 and dilations 1-2-4-8 each step sees up to 31 steps back (more than the default T=16).
    A 1x1 Conv1D first projects the backbone features (1280-d) down to `filters` so the residual
    adds line up. Each block is two dilated causal convs (BatchNorm + ReLU, dropout after the
    first) plus the identity. The classifier reads the global average over the T steps rather than
    the last step only: every step's output is a causal summary of the window, and averaging them
    gives steadier gradients on small training sets (and, equally, takes exactly T steps).
    """

    def head(features: keras.KerasTensor, num_classes: int) -> keras.KerasTensor:
        x = layers.Conv1D(filters, 1, name="tcn_project")(features)
        for d in dilations:
            x = _tcn_block(x, filters, kernel_size, d, dropout)
        x = layers.GlobalAveragePooling1D(name="tcn_pool")(x)
        return classifier(x, num_classes, dropout)

    return head


def _tcn_block(x: keras.KerasTensor, filters: int, kernel_size: int, dilation: int,
               dropout: float) -> keras.KerasTensor:
    shortcut = x
    for i in (1, 2):
        prefix = f"tcn_d{dilation}_{i}"
        x = layers.Conv1D(filters, kernel_size, padding="causal", dilation_rate=dilation,
                          use_bias=False, name=f"{prefix}_conv")(x)
        x = layers.BatchNormalization(name=f"{prefix}_bn")(x)
        x = layers.ReLU(name=f"{prefix}_relu")(x)
        if i == 1 and dropout:
            x = layers.Dropout(dropout, name=f"{prefix}_dropout")(x)
    return layers.Add(name=f"tcn_d{dilation}_add")([shortcut, x])


def bilstm_head(*, units: int = 64, dropout: float = 0.5) -> Head:
    """Bi-LSTM head (Ullah et al. 2018, cited by the lightweight-HAR paper): one bidirectional
    LSTM over the T feature vectors, its final states concatenated, dropout, softmax.

    Bidirectional means the head needs the whole window before it answers; in streaming that is
    fine because the head is re-run over the last T features each time.
    """

    def head(features: keras.KerasTensor, num_classes: int) -> keras.KerasTensor:
        x = layers.Bidirectional(layers.LSTM(units), name="bilstm")(features)
        return classifier(x, num_classes, dropout)

    return head
