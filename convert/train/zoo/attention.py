"""CNN-LSTM with temporal attention over features from two CNN depths.

Design: "Human Action Recognition by Learning Spatio-Temporal Features with Deep Neural Networks"
(Haindavi et al.), sections 3-4 ("CNN-LSTM Fusion", Fig. 4): CNN features from two layers, one
LSTM over each feature sequence, the two LSTM outputs fused, a temporal-wise attention model after
the LSTMs, softmax. The paper gives no layer sizes; the ones below are chosen here.
"""
from __future__ import annotations

import keras
from keras import layers

from har_convert.train.zoo.heads import classifier, clip_classifier

CNN_FILTERS = (32, 64, 128, 128)
MID_BLOCK = 2


def two_depth_cnn(size: int) -> keras.Model:
    """Small CNN (4 blocks Conv3x3-BN-ReLU-MaxPool, 32-64-128-128) whose output is the global
    average of block 2 (64-d, local/mid-level) concatenated with that of block 4 (128-d, deep).

    One output, not two: TimeDistributed wraps a single-output model, and the converter expects
    exactly one per-frame network to split off for streaming; the head splits the vector again.
    Deviation: the paper uses a pre-trained VGG/ResNet; this is a small CNN trained from scratch.
    """
    frame = keras.Input(shape=(size, size, 3), name="frame")
    x, pooled = frame, []
    for i, filters in enumerate(CNN_FILTERS, start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = layers.BatchNormalization(name=f"block{i}_bn")(x)
        x = layers.ReLU(name=f"block{i}_relu")(x)
        if i in (MID_BLOCK, len(CNN_FILTERS)):
            pooled.append(layers.GlobalAveragePooling2D(name=f"block{i}_gap")(x))
        x = layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    return keras.Model(frame, layers.Concatenate(name="two_depths")(pooled), name="two_depth_cnn")


def _feature_slice(features: keras.KerasTensor, start: int, stop: int,
                   name: str) -> keras.KerasTensor:
    """features[:, :, start:stop] from standard layers only (Permute, Cropping1D, Permute):
    Keras has no slicing layer and a Lambda would not survive safe loading or the bridge."""
    width = features.shape[-1]
    x = layers.Permute((2, 1), name=f"{name}_to_channels")(features)
    x = layers.Cropping1D((start, width - stop), name=f"{name}_crop")(x)
    return layers.Permute((2, 1), name=name)(x)


def build_cnn_lstm_attention(*, num_classes: int, frames: int, size: int, lstm_units: int = 64,
                             attention_units: int = 64, dropout: float = 0.3) -> keras.Model:
    """Two-depth CNN per frame -> LSTM per depth (sequences) -> Concatenate -> attention -> softmax.

    Attention (additive, over time): score_t = v . tanh(W h_t), weights = softmax over the T
    steps, context = sum_t weight_t h_t (a Dot of the (1, T) weights with the (T, F) states).
    """
    mid_width = CNN_FILTERS[MID_BLOCK - 1]

    def head(features: keras.KerasTensor, classes: int) -> keras.KerasTensor:
        mid = _feature_slice(features, 0, mid_width, "mid_features")
        deep = _feature_slice(features, mid_width, features.shape[-1], "deep_features")
        mid = layers.LSTM(lstm_units, return_sequences=True, name="mid_lstm")(mid)
        deep = layers.LSTM(lstm_units, return_sequences=True, name="deep_lstm")(deep)
        states = layers.Concatenate(name="fused")([mid, deep])
        score = layers.Dense(attention_units, activation="tanh", name="attention_hidden")(states)
        score = layers.Dense(1, use_bias=False, name="attention_score")(score)
        weights = layers.Softmax(name="attention_weights")(
            layers.Permute((2, 1), name="attention_over_time")(score))
        context = layers.Dot(axes=(2, 1), name="attention_context")([weights, states])
        return classifier(layers.Flatten(name="context")(context), classes, dropout)

    return clip_classifier(two_depth_cnn(size), frames=frames, size=size, head=head,
                           num_classes=num_classes, name="cnn_lstm_attention")
