"""The streaming split: where a clip model is cut, and that frame network + head reproduce the
whole model (in float; the int8 agreement is checked end to end in test_convert_cli)."""
from __future__ import annotations

import keras
import numpy as np
import pytest
from convert_helpers import settle_batchnorm
from keras import layers

from har_convert.bridge.rebuild import Bridge
from har_convert.export.streaming import run_split, split_for_streaming
from har_convert.train.zoo import FRAME_FEATURES, build

FRAMES, SIZE = 4, 32


# The head's input after the split: the first head layer's per-step projection moved into the
# frame network (LSTM: 4 x 64 gates; Bi-LSTM: 2 x 4 x 64; TCN: its 64-filter kernel-1 Conv1D);
# the attention head reads two feature depths, which stay as they are.
HEAD_WIDTHS = {"lrcn": 256, "mnv2-bilstm": 512, "mnv2-tcn": 64, "cnn-lstm-attention": 192}


@pytest.mark.parametrize("name", sorted(HEAD_WIDTHS))
def test_frame_and_head_reproduce_the_whole_model(name: str) -> None:
    keras.utils.set_random_seed(0)
    model = build(name, num_classes=3, frames=FRAMES, size=SIZE)
    settle_batchnorm(model)
    bridge = Bridge()
    whole = bridge.model(model, model.input_shape[1:])
    split = split_for_streaming(model, bridge, FRAMES)
    assert split is not None and split.cut == FRAME_FEATURES
    assert split.frame.input_shape == (None, SIZE, SIZE, 3)
    assert split.head.input_shape == (None, FRAMES, HEAD_WIDTHS[name])
    assert split.frame.output_shape == (None, HEAD_WIDTHS[name])
    clips = np.random.default_rng(0).random((3, FRAMES, SIZE, SIZE, 3), dtype=np.float32)
    np.testing.assert_allclose(run_split(split, clips), whole.predict(clips, verbose=0),
                               atol=1e-5)


def test_chained_per_frame_layers_are_all_in_the_frame_model() -> None:
    clip = keras.Input((FRAMES, SIZE, SIZE, 3))
    x = layers.TimeDistributed(layers.Conv2D(4, 3), name="conv")(clip)
    x = layers.TimeDistributed(layers.GlobalAveragePooling2D(), name="pool")(x)
    model = keras.Model(clip, layers.Dense(3)(layers.Flatten()(x)))
    split = split_for_streaming(model, Bridge(), FRAMES)
    assert split.cut == "pool" and split.frame.output_shape == (None, 4)


def test_no_split_when_time_is_mixed_first_or_the_input_is_reused() -> None:
    keras.utils.set_random_seed(0)
    assert split_for_streaming(build("convlstm", num_classes=3, frames=FRAMES, size=SIZE),
                               Bridge(), FRAMES) is None
    clip = keras.Input((FRAMES, SIZE, SIZE, 3))
    per_frame = layers.TimeDistributed(layers.GlobalAveragePooling2D())(clip)
    skip = layers.Flatten()(layers.AveragePooling3D((FRAMES, SIZE, SIZE))(clip))
    model = keras.Model(clip, layers.Concatenate()([layers.Flatten()(per_frame), skip]))
    assert split_for_streaming(model, Bridge(), FRAMES) is None


def test_an_lstm_with_more_gates_than_features_keeps_its_input_projection() -> None:
    clip = keras.Input((FRAMES, SIZE, SIZE, 3))
    x = layers.TimeDistributed(layers.GlobalAveragePooling2D(), name="pool")(clip)
    model = keras.Model(clip, layers.Dense(3)(layers.LSTM(4)(x)))
    assert_split_at_the_pooled_frame_reproduces(model, seed=1)


def test_a_strided_conv1d_is_not_per_step_and_stays_in_the_head() -> None:
    clip = keras.Input((FRAMES, SIZE, SIZE, 3))
    x = layers.TimeDistributed(layers.GlobalAveragePooling2D(), name="pool")(clip)
    x = layers.Conv1D(2, 1, strides=2)(x)
    model = keras.Model(clip, layers.Dense(3)(layers.Flatten()(x)))
    assert_split_at_the_pooled_frame_reproduces(model, seed=2)


def assert_split_at_the_pooled_frame_reproduces(model: keras.Model, seed: int) -> None:
    """The frame network ends at the 3-channel pooled frame (nothing moved out of the head), and
    frame + head reproduce the whole model."""
    bridge = Bridge()
    whole = bridge.model(model, model.input_shape[1:])
    split = split_for_streaming(model, bridge, FRAMES)
    assert split.frame.output_shape == (None, 3)
    clips = np.random.default_rng(seed).random((2, FRAMES, SIZE, SIZE, 3), dtype=np.float32)
    np.testing.assert_allclose(run_split(split, clips), whole.predict(clips, verbose=0),
                               atol=1e-5)
