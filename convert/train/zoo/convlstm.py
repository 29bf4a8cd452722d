"""ConvLSTM: convolutional LSTMs over the whole clip, no per-frame network.

Design: "Analysis on Deep Learning approaches in Video classification of Human Activity
Recognition" (Jeevakumari & Dey), section 4.2-4.3 and Table 1 (ConvLSTM, UCF50).
"""
from __future__ import annotations

import keras
from keras import layers

from har_convert.train.zoo.heads import classifier

CONVLSTM_FILTERS = (8, 16, 32, 64)


def build_convlstm(*, num_classes: int, frames: int, size: int,
                   dropout: float = 0.2) -> keras.Model:
    """Four ConvLSTM2D (8-16-32-64 filters, 3x3, tanh, recurrent dropout 0.2, sequences out),
    each followed by MaxPooling3D over space only and TimeDistributed(Dropout 0.2); Flatten;
    softmax.

    Padding follows Table 1's shapes (64 -> 62 -> 31 -> 29 -> 15 -> ...): valid convolutions,
    "same" pooling; its per-layer counts (3,200 / 13,888 / 55,424 / 221,440) are reproduced.
    Deviation: Table 1 also lists a Dense(128) + Dropout after a 576-wide Flatten, which drops the
    time axis and contradicts the text ("a flatten layer ... connected to a dense layer that
    employs softmax"); the text and the issue are followed: Flatten over (T, h, w, 64), softmax.
    Time is mixed inside the ConvLSTMs, so there is no `frame_features` part to stream.
    """
    clip = keras.Input(shape=(frames, size, size, 3), name="clip")
    x = clip
    for i, filters in enumerate(CONVLSTM_FILTERS, start=1):
        x = layers.ConvLSTM2D(filters, 3, activation="tanh", recurrent_dropout=dropout,
                              return_sequences=True, name=f"convlstm{i}")(x)
        x = layers.MaxPooling3D(pool_size=(1, 2, 2), padding="same", name=f"pool{i}")(x)
        x = layers.TimeDistributed(layers.Dropout(dropout), name=f"dropout{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(clip, classifier(x, num_classes, 0.0), name="convlstm")
