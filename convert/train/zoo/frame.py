"""Single-frame classifiers: a backbone, the papers' custom head, and clip-level averaging.

Design: "Hybrid Deep Learning for HAR: a comparative study with ResNet models" (Thiruvarangam),
Listing 1 (custom classifier), and "Seamless Action Recognition" (Khandelwal & Singh), section 5.1
(frame predictions averaged over a video, top-5 considered).
"""
from __future__ import annotations

import keras
import numpy as np
from keras import layers

from har_convert.train.zoo.heads import classifier


def frame_classifier(backbone: keras.Model, *, size: int, num_classes: int, hidden: int,
                     dropout: float, name: str) -> keras.Model:
    """Input (S, S, 3), x = pixel/255 -> pooled backbone -> Dense, ReLU, BatchNorm, Dropout,
    softmax.

    Deviation from Listing 1: its trailing Dropout AFTER the output Linear layer is left out
    (dropout on the logits only adds noise to the loss; at inference it is the identity anyway).
    """
    frame = keras.Input(shape=(size, size, 3), name="frame")
    x = layers.Dense(hidden, name="head_dense")(backbone(frame))
    x = layers.ReLU(name="head_relu")(x)
    x = layers.BatchNormalization(name="head_bn")(x)
    return keras.Model(frame, classifier(x, num_classes, dropout), name=name)


def clip_scores(model: keras.Model, clips: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Clip-level scores of a frame model: the mean of its per-frame softmax over the clip's frames.

    `clips` is one clip (T, S, S, 3) -> returns (num_classes,), or a batch (N, T, S, S, 3) ->
    returns (N, num_classes). Values are x = pixel/255 like every model input here.
    """
    single = clips.ndim == 4
    batch = clips[None] if single else clips
    n, t = batch.shape[:2]
    frames = batch.reshape((n * t, *batch.shape[2:]))
    per_frame = model.predict(frames, batch_size=batch_size, verbose=0)
    scores = per_frame.reshape((n, t, -1)).mean(axis=1)
    return scores[0] if single else scores
