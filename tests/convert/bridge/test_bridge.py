"""The Keras 3 -> tf_keras bridge: every zoo architecture and the keras.applications backbones
inside TimeDistributed with recurrent, attention and TCN heads are rebuilt exactly (end to end,
and layer by layer with BatchNorm statistics settled so that signals are not vanishingly small);
a broken layer is named; custom layers, Lambda layers and unloadable files are one-line BadInput.
"""
from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tf_keras
from convert_helpers import settle_batchnorm, zoo_model
from keras import layers

from har_convert.bridge.rebuild import OUTPUT_TOLERANCE, Bridge
from har_convert.source.load import load_keras
from har_convert.train.zoo import ARCHITECTURES, build
from har_device.core.errors import BadInput, WorkFailed

FRAMES, SIZE, CLASSES = 2, 32, 3


def bridged_exactly(model: keras.Model) -> tf_keras.Model:
    """Bridge `model` as built and require its end-to-end difference within OUTPUT_TOLERANCE;
    then give its BatchNorms realistic statistics (in both twins) and require every layer, fed
    the Keras 3 layer's inputs, to match (check_equivalence raises WorkFailed otherwise)."""
    bridge = Bridge()
    shape = model.input_shape[1:]
    rebuilt = bridge.model(model, shape)
    x = np.random.default_rng(5).random((2, *shape), dtype=np.float32)
    np.testing.assert_allclose(rebuilt(x).numpy(), model(x).numpy(), rtol=0, atol=OUTPUT_TOLERANCE)
    for layer in settle_batchnorm(model):
        bridge.layer(layer).set_weights(layer.get_weights())
    bridge.check_equivalence(model, rebuilt, shape)
    return rebuilt


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_zoo_architecture_bridges_exactly(name: str) -> None:
    keras.utils.set_random_seed(0)
    model = zoo_model(name, CLASSES, FRAMES, SIZE)
    assert bridged_exactly(model).count_params() == model.count_params()


APPLICATIONS = {
    "MobileNetV2": lambda: keras.applications.MobileNetV2(
        input_shape=(SIZE, SIZE, 3), alpha=0.35, include_top=False, weights=None, pooling="avg"),
    "EfficientNetB0": lambda: keras.applications.EfficientNetB0(
        input_shape=(SIZE, SIZE, 3), include_top=False, weights=None, pooling="avg"),
    "ResNet50": lambda: keras.applications.ResNet50(
        input_shape=(SIZE, SIZE, 3), include_top=False, weights=None, pooling="avg"),
}


def tcn(features: keras.KerasTensor) -> keras.KerasTensor:
    x = layers.Conv1D(16, 3, padding="causal", dilation_rate=2, activation="relu")(features)
    return layers.GlobalAveragePooling1D()(x)


HEADS = {
    "LSTM": lambda x: layers.LSTM(8)(x),
    "GRU": lambda x: layers.GRU(8)(x),
    "Bidirectional-LSTM": lambda x: layers.Bidirectional(layers.LSTM(8))(x),
    "Bidirectional-GRU": lambda x: layers.Bidirectional(layers.GRU(8), merge_mode="sum")(x),
    "TCN": tcn,
    "MultiHeadAttention": lambda x: layers.GlobalAveragePooling1D()(
        layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)),
    "Attention": lambda x: layers.GlobalAveragePooling1D()(layers.Attention(use_scale=True)([x, x])),
    "AdditiveAttention": lambda x: layers.GlobalAveragePooling1D()(
        layers.AdditiveAttention()([x, x])),
}


def clip_model(backbone: keras.Model, heads: list[str]) -> keras.Model:
    """TimeDistributed(backbone) feeding each head; their outputs concatenated into one softmax
    (one model per backbone exercises all its heads with one bridge)."""
    clip = keras.Input((FRAMES, SIZE, SIZE, 3))
    features = layers.TimeDistributed(backbone, name="frame_features")(clip)
    merged = layers.Concatenate()([HEADS[head](features) for head in heads])
    return keras.Model(clip, layers.Dense(CLASSES, activation="softmax")(merged))


@pytest.mark.parametrize("backbone,heads", [
    ("MobileNetV2", list(HEADS)), ("EfficientNetB0", ["GRU"]),
    ("ResNet50", ["Bidirectional-LSTM"])])
def test_applications_backbones_with_temporal_heads(backbone: str, heads: list[str]) -> None:
    keras.utils.set_random_seed(1)
    bridged_exactly(clip_model(APPLICATIONS[backbone](), heads))


def test_single_frame_classifier_and_sequential() -> None:
    frame = keras.Input((SIZE, SIZE, 3))
    features = APPLICATIONS["MobileNetV2"]()(frame)
    bridged_exactly(keras.Model(frame, layers.Dense(CLASSES)(features)))
    sequential = keras.Sequential([keras.Input((8,)), layers.Dense(6, activation="silu"),
                                   layers.Dropout(0.3), layers.Dense(CLASSES, activation="softmax")])
    assert isinstance(bridged_exactly(sequential), tf_keras.Model)


def test_preprocessing_3d_and_renamed_options() -> None:
    normalization = layers.Normalization()
    normalization.adapt(np.random.default_rng(0).random((6, 12, 4), dtype=np.float32))
    clip = keras.Input((FRAMES, 16, 16, 3))
    x = layers.Rescaling(2.0, offset=-1.0)(clip)
    x = layers.Conv3D(4, 3, padding="same")(x)
    x = layers.MaxPooling3D((1, 2, 2))(x)
    x = layers.ConvLSTM2D(4, 3, return_sequences=True)(x)
    x = layers.LayerNormalization()(x)
    x = layers.Reshape((FRAMES, -1))(x)
    x = layers.Permute((2, 1))(layers.Cropping1D((0, 1))(layers.Permute((2, 1))(x)))
    x = normalization(layers.Conv1D(4, 1)(x))
    x = layers.Concatenate()([x, layers.Multiply()([x, x])])
    x = layers.LeakyReLU(negative_slope=0.1)(x)
    scores = layers.Dense(CLASSES, activation="softmax")(layers.Flatten()(x))
    bridged_exactly(keras.Model(clip, scores))


def test_a_wrong_layer_is_named_even_inside_a_nested_model() -> None:
    keras.utils.set_random_seed(0)
    model = build("lrcn", num_classes=CLASSES, frames=FRAMES, size=SIZE)
    settle_batchnorm(model)
    bridge = Bridge()
    rebuilt = bridge.model(model, model.input_shape[1:])
    conv = rebuilt.get_layer("frame_features").layer.get_layer("block2_conv")
    conv.set_weights([conv.get_weights()[0] + 0.1, conv.get_weights()[1]])
    with pytest.raises(WorkFailed, match="layer 'block2_conv' \\(Conv2D\\).* inside layer "
                                         "'frame_features' \\(TimeDistributed\\)"):
        bridge.check_equivalence(model, rebuilt, model.input_shape[1:])
    conv.set_weights([conv.get_weights()[0] - 0.1, conv.get_weights()[1]])
    lstm = rebuilt.get_layer("lstm")
    lstm.set_weights([w * 1.5 for w in lstm.get_weights()])
    with pytest.raises(WorkFailed, match="first diverging: layer 'lstm' \\(LSTM\\)"):
        bridge.check_equivalence(model, rebuilt, model.input_shape[1:])


@keras.saving.register_keras_serializable("tests")
class Doubler(layers.Layer):
    def call(self, x):
        return x * 2.0


def test_a_custom_layer_is_bad_input_naming_it() -> None:
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(Doubler(name="doubler")(inputs)))
    with pytest.raises(BadInput, match="layer 'doubler' \\(Doubler\\)"):
        Bridge().model(model)


def test_an_unloadable_custom_class_is_named(tmp_path: Path) -> None:
    inputs = keras.Input((3,))
    path = tmp_path / "custom.keras"
    keras.Model(inputs, Doubler(name="doubler")(inputs)).save(path)
    config = keras.saving.get_custom_objects().pop("tests>Doubler")
    try:
        with pytest.raises(BadInput, match="layer 'doubler' is of custom class 'Doubler'"):
            load_keras(path)
    finally:
        keras.saving.get_custom_objects()["tests>Doubler"] = config


def test_lambda_refused_in_safe_mode_and_not_bridgeable_when_unsafe(tmp_path: Path) -> None:
    inputs = keras.Input((3,))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, layers.Lambda(lambda x: x * 2, name="times_two")(inputs)).save(path)
    with pytest.raises(BadInput, match="layer 'times_two' is a Lambda layer.*--unsafe"):
        load_keras(path)
    loaded = load_keras(path, unsafe=True)
    with pytest.raises(BadInput, match="layer 'times_two' \\(Lambda\\)"):
        Bridge().model(loaded.model)


def test_tf_keras_files_load_as_tf_keras_and_keras3_h5_as_keras3(tmp_path: Path) -> None:
    tf_model = tf_keras.Sequential([tf_keras.Input((3,)), tf_keras.layers.Dense(2)])
    tf_model.save(tmp_path / "tf.keras")
    tf_model.save(tmp_path / "tf.h5")
    keras.Sequential([keras.Input((3,)), layers.Dense(2)]).save(tmp_path / "k3.h5")
    assert load_keras(tmp_path / "tf.keras").flavour == "tf_keras"
    assert load_keras(tmp_path / "tf.h5").flavour == "tf_keras"
    loaded = load_keras(tmp_path / "k3.h5")
    assert loaded.flavour == "keras3" and len(loaded.sha256) == 64


def test_not_a_model_and_truncated_files_are_bad_input(tmp_path: Path) -> None:
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    with pytest.raises(BadInput, match="not a Keras model file"):
        load_keras(text)
    good = tmp_path / "good.keras"
    keras.Sequential([keras.Input((3,)), layers.Dense(2)]).save(good)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(BadInput, match="truncated or corrupt"):
        load_keras(truncated)
    with pytest.raises(BadInput, match="no such model file"):
        load_keras(tmp_path / "missing.keras")
