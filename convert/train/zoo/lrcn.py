"""LRCN: a small CNN per frame, an LSTM over the frame vectors.

Design: "Analysis on Deep Learning approaches in Video classification of Human Activity
Recognition" (Jeevakumari & Dey), section 4.4 and Table 2 (LRCN, UCF50, 96.67 %).
"""
from __future__ import annotations

import keras
from keras import layers

from har_convert.train.zoo.heads import classifier, clip_classifier

LRCN_FILTERS = (32, 64, 128, 128)


def lrcn_frame_cnn(size: int, dropout: float) -> keras.Model:
    """Four blocks Conv2D(3x3, relu, same) + BatchNorm + MaxPool(2) + Dropout, then Flatten.

    Flatten, not global pooling, because that is the paper's: Table 2's LSTM has 540,928 weights,
    i.e. an input of 2048 = 4x4x128 at 64x64. The price is a flatten size that grows with S^2.
    """
    frame = keras.Input(shape=(size, size, 3), name="frame")
    x = frame
    for i, filters in enumerate(LRCN_FILTERS, start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{i}_conv")(x)
        x = layers.BatchNormalization(name=f"block{i}_bn")(x)
        x = layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
        x = layers.Dropout(dropout, name=f"block{i}_dropout")(x)
    return keras.Model(frame, layers.Flatten(name="flatten")(x), name="lrcn_cnn")


def build_lrcn(*, num_classes: int, frames: int, size: int, lstm_units: int = 64,
               dropout: float = 0.25) -> keras.Model:
    """LRCN as in the paper's Table 2: 4 conv blocks (32-64-128-128), LSTM(64), Dropout, softmax.

    Deviations: the per-frame CNN is one nested Model inside a single TimeDistributed named
    `frame_features` (the paper wraps each layer separately; the maths is identical) so the
    converter can split it off for streaming. The paper gives no dropout rates; 0.25 is used.
    """

    def lstm_head(features: keras.KerasTensor, classes: int) -> keras.KerasTensor:
        return classifier(layers.LSTM(lstm_units, name="lstm")(features), classes, dropout)

    return clip_classifier(lrcn_frame_cnn(size, dropout), frames=frames, size=size,
                           head=lstm_head, num_classes=num_classes, name="lrcn")
