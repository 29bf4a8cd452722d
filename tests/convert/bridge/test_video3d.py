"""The 3D layers' rebuild from builtin operators: every Conv3D and 3D pooling variant (kernels,
strides, dilation, 'valid'/'same', odd T where 'same' pads unevenly and AveragePooling3D averages
partial windows) matches Keras 3 within 1e-4 layer by layer and end to end, and leaves no 3D
convolution or time pooling in the tf_keras graph; the other 3D layers translate one to one;
an open T is one BadInput line.
"""
from __future__ import annotations

from typing import Callable

import keras
import numpy as np
import pytest
import tf_keras
from keras import layers

from har_convert.bridge.rebuild import Bridge
from har_convert.bridge.video3d import TimeSlice
from har_device.core.errors import BadInput

TOLERANCE = 1e-4
SIZE, CHANNELS = 7, 3

REWRITTEN: dict[str, tuple[int, Callable[[], layers.Layer]]] = {
    "conv-333-same-relu": (5, lambda: layers.Conv3D(4, 3, padding="same", activation="relu")),
    "conv-233-valid-strided": (6, lambda: layers.Conv3D(4, (2, 3, 3), strides=(2, 1, 2))),
    "conv-311-same-dilated": (7, lambda: layers.Conv3D(4, (3, 1, 1), dilation_rate=(2, 1, 1),
                                                       padding="same")),
    "conv-311-same-strided-odd-t": (7, lambda: layers.Conv3D(4, (3, 1, 1), strides=(2, 1, 1),
                                                             padding="same")),
    "conv-133-no-bias": (4, lambda: layers.Conv3D(4, (1, 3, 3), use_bias=False,
                                                  activation="tanh")),
    "conv-322-same-strided-all": (5, lambda: layers.Conv3D(4, (3, 2, 2), strides=2,
                                                           padding="same")),
    "max-222-valid": (6, lambda: layers.MaxPooling3D((2, 2, 2))),
    "max-333-same-stride-2": (5, lambda: layers.MaxPooling3D((3, 3, 3), strides=2,
                                                             padding="same")),
    "avg-333-same-stride-2": (5, lambda: layers.AveragePooling3D((3, 3, 3), strides=2,
                                                                 padding="same")),
    "avg-322-same-stride-1": (4, lambda: layers.AveragePooling3D((3, 2, 2), strides=1,
                                                                 padding="same")),
    "avg-233-valid-uneven": (5, lambda: layers.AveragePooling3D((2, 3, 3), strides=(1, 2, 2))),
}
TRANSLATED: dict[str, Callable[[], layers.Layer]] = {
    "GlobalAveragePooling3D": layers.GlobalAveragePooling3D,
    "GlobalMaxPooling3D": layers.GlobalMaxPooling3D,
    "ZeroPadding3D": lambda: layers.ZeroPadding3D(((1, 0), (1, 2), (0, 1))),
    "Cropping3D": lambda: layers.Cropping3D(((1, 0), (1, 2), (0, 1))),
    "UpSampling3D": lambda: layers.UpSampling3D((2, 1, 2)),
}
THREE_D = ("Conv3D", "MaxPooling3D", "AveragePooling3D")


def one_layer_model(frames: int, layer: layers.Layer) -> keras.Model:
    clip = keras.Input((frames, SIZE, SIZE, CHANNELS))
    return keras.Model(clip, layer(clip))


def rebuilt(model: keras.Model) -> tuple[tf_keras.Model, Bridge, float]:
    """The bridged model, its bridge, and the end-to-end max |diff| (every layer checked)."""
    bridge = Bridge()
    shape = model.input_shape[1:]
    tf_model = bridge.model(model, shape)
    return tf_model, bridge, bridge.check_equivalence(model, tf_model, shape)


def positive_bias(model: keras.Model) -> keras.Model:
    """Biases away from zero, so that a bias added once per kernel slice would show."""
    for layer in model.layers:
        if getattr(layer, "use_bias", False):
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, np.linspace(0.5, 1.0, bias.size, dtype=np.float32)])
    return model


@pytest.mark.parametrize("case", list(REWRITTEN))
def test_conv3d_and_time_pooling_are_rewritten_exactly(case: str) -> None:
    keras.utils.set_random_seed(0)
    frames, make = REWRITTEN[case]
    model = positive_bias(one_layer_model(frames, make()))
    tf_model, bridge, diff = rebuilt(model)
    assert diff <= TOLERANCE
    assert tf_model.output_shape == model.output_shape
    assert not {type(layer).__name__ for layer in tf_model.layers} & set(THREE_D)
    assert list(bridge.rewrites) == [model.layers[-1].name]


def test_same_average_pooling_counts_only_valid_elements() -> None:
    """At a clip's corner the 3x3x3 'same' window holds 8 valid elements of 27: the rewrite's
    average there is the mean of those 8, not their sum over 27."""
    model = one_layer_model(4, layers.AveragePooling3D(3, strides=1, padding="same"))
    tf_model, _, _ = rebuilt(model)
    x = np.random.default_rng(1).random((1, 4, SIZE, SIZE, CHANNELS), dtype=np.float32)
    corner = tf_model(x).numpy()[0, 0, 0, 0]
    np.testing.assert_allclose(corner, x[0, :2, :2, :2].mean(axis=(0, 1, 2)), atol=1e-6)


def test_conv3d_becomes_one_conv2d_per_temporal_tap_sharing_one_bias() -> None:
    keras.utils.set_random_seed(0)
    model = one_layer_model(5, layers.Conv3D(4, (3, 3, 3), padding="same", activation="relu",
                                             name="c3"))
    tf_model, bridge, _ = rebuilt(model)
    convs = [layer for layer in tf_model.layers if isinstance(layer, tf_keras.layers.Conv2D)]
    kernel, bias = model.layers[-1].get_weights()
    assert [c.name for c in convs] == ["c3_k0", "c3_k1", "c3_k2"]
    assert [c.use_bias for c in convs] == [True, False, False]
    for tap, conv in enumerate(convs):
        np.testing.assert_array_equal(conv.get_weights()[0], kernel[tap])
    np.testing.assert_array_equal(convs[0].get_weights()[1], bias)
    assert sum(isinstance(layer, TimeSlice) for layer in tf_model.layers) == 3
    assert bridge.rewrites["c3"].startswith("Conv3D 3x3x3 -> 3 x Conv2D 3x3")


@pytest.mark.parametrize("name", list(TRANSLATED))
def test_other_3d_layers_translate_one_to_one(name: str) -> None:
    model = one_layer_model(4, TRANSLATED[name]())
    tf_model, bridge, diff = rebuilt(model)
    assert diff <= TOLERANCE and not bridge.rewrites
    assert type(tf_model.layers[-1]).__name__ == name


def test_an_open_clip_length_is_bad_input() -> None:
    clip = keras.Input((None, SIZE, SIZE, CHANNELS))
    model = keras.Model(clip, layers.Conv3D(4, 3, name="c3")(clip))
    with pytest.raises(BadInput, match=r"layer 'c3' \(Conv3D\): the rebuild needs a fixed input"):
        Bridge().model(model)
