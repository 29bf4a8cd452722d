"""A training view of a zoo model in which every TimeDistributed runs as one batch of B*T.

Keras 3's TimeDistributed, given a static T, unrolls T copies of the wrapped network into the
graph. For TimeDistributed(MobileNetV2) at T=16 that makes the first training step spend about
two and a half minutes tracing (measured: 155 s against 27 s folded, demo config, 2 cores) and
computes BatchNorm statistics per frame position. The saved model must keep the plain
TimeDistributed (it is the `frame_features` split point, loads with safe_mode and bridges to
tf_keras, whose TimeDistributed folds by itself), so the fold lives only in this view: it shares
every layer and weight with the original, so fitting the view trains the original.

    view = fold_time(model); view.compile(...); view.fit(...); model.save("model.keras")
"""
from __future__ import annotations

import keras
from keras import layers, ops


class _FoldedTimeDistributed(layers.TimeDistributed):
    """TimeDistributed that reshapes (B, T, ...) to (B*T, ...) around one call of the layer.
    Never saved: it exists only inside the view returned by `fold_time`."""

    def call(self, inputs, training=None, mask=None):
        batch, steps = ops.shape(inputs)[0], ops.shape(inputs)[1]
        folded = ops.reshape(inputs, (-1, *inputs.shape[2:]))
        outputs = self.layer(folded, training=training)
        return ops.reshape(outputs, (batch, steps, *outputs.shape[1:]))


def fold_time(model: keras.Model) -> keras.Model:
    """The same model (same layer objects, same weights) with each TimeDistributed folded.

    Predictions of the view equal the original's; train and evaluate with the view, save the
    original. A model without TimeDistributed comes back as an equivalent shared-weight view.
    """

    def share_or_fold(layer: layers.Layer) -> layers.Layer:
        if isinstance(layer, layers.TimeDistributed):
            return _FoldedTimeDistributed(layer.layer, name=layer.name)
        return layer

    return keras.models.clone_model(model, clone_function=share_or_fold)
