"""The model zoo: every architecture builds, trains a step, predicts, saves/loads safely; the
backbones are the published architectures (parameter counts); the papers' tables are reproduced;
bad requests are BadInput. Models are tiny (T=4, S=32, alpha 0.35, 3 classes) and built once.
"""
from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from har_convert.settings import ARCHITECTURE_NAMES
from har_convert.train.zoo import (
    ARCHITECTURES,
    FRAME_FEATURES,
    build,
    clip_scores,
    fold_time,
    reference_classifier,
)
from har_convert.train.zoo.efficientnet_lite import efficientnet_lite0_backbone
from har_device.core.errors import BadInput
from har_device.core.keypoints import FEATURES

CLASSES, FRAMES, SIZE, ALPHA = 3, 4, 32, 0.35


def small_kwargs(name: str) -> dict:
    spec = ARCHITECTURES[name]
    kwargs = {"num_classes": CLASSES, "frames": FRAMES}
    if spec.kind != "keypoints":
        kwargs["size"] = SIZE
    if spec.default_alpha is not None:
        kwargs["alpha"] = ALPHA
    return kwargs


@pytest.fixture(scope="module")
def models() -> dict[str, keras.Model]:
    keras.utils.set_random_seed(0)
    return {name: build(name, **small_kwargs(name)) for name in ARCHITECTURES}


def inputs_for(model: keras.Model, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, *model.input_shape[1:]), dtype=np.float32)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_trains_one_step_and_predicts_a_distribution(models: dict, name: str) -> None:
    model = models[name]
    spec = ARCHITECTURES[name]
    expected_input = {"clip": (FRAMES, SIZE, SIZE, 3), "frame": (SIZE, SIZE, 3),
                      "keypoints": (FRAMES, FEATURES)}[spec.kind]
    assert model.input_shape[1:] == expected_input
    # Eager: one real optimizer step without the ~40 s graph trace of a MobileNetV2 train step.
    model.compile(optimizer="adam", loss="categorical_crossentropy", run_eagerly=True)
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(inputs_for(model, 2), keras.utils.to_categorical([0, 2], CLASSES),
                        batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    changed = sum(not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights))
    # Not all: a BatchNorm beta right before another batch-normalised layer has an exactly zero
    # gradient (the next BatchNorm removes any constant shift), e.g. MobileNetV2's late blocks.
    assert changed >= 0.9 * len(before)
    assert not np.array_equal(before[0], model.trainable_weights[0].numpy())
    assert not np.array_equal(before[-1], model.trainable_weights[-1].numpy())
    scores = model.predict(inputs_for(model, 3, seed=1), verbose=0)
    assert scores.shape == (3, CLASSES)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-5)
    assert (scores >= 0).all()


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_per_frame_part_is_one_nested_model_named_frame_features(models: dict, name: str) -> None:
    model, spec = models[name], ARCHITECTURES[name]
    names = [layer.name for layer in model.layers]
    if not spec.has_frame_features:
        assert FRAME_FEATURES not in names
        return
    wrapper = model.get_layer(FRAME_FEATURES)
    assert isinstance(wrapper, keras.layers.TimeDistributed)
    assert isinstance(wrapper.layer, keras.Model)
    assert names.index(FRAME_FEATURES) == 1, "the frame network must come right after the input"
    assert wrapper.input is model.inputs[0]
    assert len(wrapper.output.shape) == 3 and wrapper.output.shape[1] == FRAMES
    head_inputs = [node_input for layer in model.layers[2:] for node_input in _inputs(layer)]
    assert all(tensor is not model.inputs[0] for tensor in head_inputs), \
        "the head must read only the (T, D) feature sequence"


def _inputs(layer: keras.layers.Layer) -> list:
    tensors = layer.input
    return list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_saves_and_reloads_with_safe_mode(models: dict, name: str, tmp_path: Path) -> None:
    model = models[name]
    path = tmp_path / f"{name}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    x = inputs_for(model, 1, seed=2)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["mnv2-tcn", "convlstm", "cnn-lstm-attention"])
def test_folded_training_view_shares_weights_and_answers(models: dict, name: str) -> None:
    model = models[name]
    view = fold_time(model)
    x = inputs_for(model, 2, seed=6)
    np.testing.assert_allclose(view.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    folded = [layer for layer in view.layers if isinstance(layer, keras.layers.TimeDistributed)]
    assert folded and all(type(layer) is not keras.layers.TimeDistributed for layer in folded)
    assert view.layers[-1] is model.layers[-1]
    view.compile(optimizer="adam", loss="categorical_crossentropy", run_eagerly=True)
    before = model.layers[-1].kernel.numpy().copy()
    view.fit(x, keras.utils.to_categorical([1, 2], CLASSES), batch_size=2, verbose=0)
    assert not np.array_equal(before, model.layers[-1].kernel.numpy())
    assert all(type(model.get_layer(layer.name)) is keras.layers.TimeDistributed
               for layer in folded), "the model that gets saved keeps the plain TimeDistributed"


@pytest.mark.parametrize(("backbone", "trainable", "total"), [
    ("mobilenetv2", None, 3_538_984),        # keras.applications MobileNetV2(alpha 1, 224) with top
    ("resnet50", None, 25_636_712),          # keras.applications ResNet50 with top (conv biases)
    ("resnet34", 21_797_672, None),          # torchvision resnet34 (no BN running stats counted)
    ("efficientnet-lite0", 4_652_008, None),  # EfficientNet-Lite0 (tf/timm), BN stats not counted
])
def test_backbones_match_standard_parameter_counts(backbone: str, trainable: int | None,
                                                   total: int | None) -> None:
    model = reference_classifier(backbone, classes=1000, size=224)
    assert model.output_shape == (None, 1000)
    if total is not None:
        assert model.count_params() == total
    if trainable is not None:
        assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable


def test_convlstm_reproduces_table_1_layer_counts() -> None:
    model = build("convlstm", num_classes=10)
    counts = [model.get_layer(f"convlstm{i}").count_params() for i in range(1, 5)]
    assert counts == [3_200, 13_888, 55_424, 221_440]
    assert model.get_layer("convlstm1").output.shape[1:] == (20, 62, 62, 8)


def test_lrcn_reproduces_table_2_totals_and_lstm_on_flattened_4x4x128() -> None:
    model = build("lrcn", num_classes=10)
    assert model.input_shape == (None, 20, 64, 64, 3)
    assert model.get_layer(FRAME_FEATURES).output.shape[1:] == (20, 2048)
    assert model.get_layer("lstm").count_params() == 540_928
    assert model.count_params() == 783_818


def test_tcn_head_is_causal(models: dict) -> None:
    model = models["mnv2-tcn"]
    features = model.get_layer(FRAME_FEATURES).output
    head_states = keras.Model(features, model.get_layer("tcn_d8_add").output)
    sequence = np.random.default_rng(3).random((1, *features.shape[1:]), dtype=np.float32)
    changed_last = sequence.copy()
    changed_last[:, -1] += 5.0
    before, after = head_states(sequence).numpy(), head_states(changed_last).numpy()
    np.testing.assert_allclose(after[:, :-1], before[:, :-1], rtol=1e-5, atol=1e-5)
    assert not np.allclose(after[:, -1], before[:, -1])


def test_cnn_lstm_attention_splits_the_two_depths_back_apart(models: dict) -> None:
    model = models["cnn-lstm-attention"]
    assert model.get_layer(FRAME_FEATURES).output.shape[-1] == 64 + 128
    assert model.get_layer("mid_features").output.shape[1:] == (FRAMES, 64)
    assert model.get_layer("deep_features").output.shape[1:] == (FRAMES, 128)
    probe = keras.Model(model.input, [model.get_layer(FRAME_FEATURES).output,
                                       model.get_layer("mid_features").output,
                                       model.get_layer("deep_features").output])
    whole, mid, deep = (t.numpy() for t in probe(inputs_for(model, 1, seed=4)))
    np.testing.assert_array_equal(mid, whole[..., :64])
    np.testing.assert_array_equal(deep, whole[..., 64:])


def test_clip_scores_average_the_frame_predictions(models: dict) -> None:
    model = models["resnet34-frame"]
    clips = np.random.default_rng(5).random((2, FRAMES, SIZE, SIZE, 3), dtype=np.float32)
    per_frame = model.predict(clips.reshape((-1, SIZE, SIZE, 3)), verbose=0)
    expected = per_frame.reshape((2, FRAMES, CLASSES)).mean(axis=1)
    np.testing.assert_allclose(clip_scores(model, clips), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clip_scores(model, clips[1]), expected[1], rtol=1e-5, atol=1e-6)


def test_mobilenet_backbone_batchnorms_follow_a_short_run() -> None:
    model = build("mnv2-tcn", num_classes=3, frames=2, size=32, alpha=0.35)
    momenta = {layer.momentum for layer in model.get_layer(FRAME_FEATURES).layer.layers
               if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {0.9}


def test_efficientnet_lite_kernels_start_at_their_fan_out_scale() -> None:
    """Glorot counts a depthwise kernel's channels as its fan-in: block6's 5x5 kernels started at
    std 0.008 instead of 0.28, Adam's first 20 steps turned them 30x further (relative change 0.125
    against 0.004) and the model trained from scratch stayed at chance even on its training clips.
    Each kernel also gets its own draw (no shared-seed repeats)."""
    keras.utils.set_random_seed(0)
    backbone = efficientnet_lite0_backbone(SIZE)
    for layer in backbone.layers:
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            continue
        kernel = layer.kernel.numpy()
        taps = kernel.shape[0] * kernel.shape[1]
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        fan_out = taps if depthwise else taps * kernel.shape[-1]
        assert kernel.std() == pytest.approx(np.sqrt(2 / fan_out), rel=0.15), layer.name
    same_shape = [backbone.get_layer(f"block6{b}_dwconv").kernel.numpy() for b in "bcd"]
    assert not np.array_equal(same_shape[0], same_shape[1])
    assert not np.array_equal(same_shape[1], same_shape[2])


def test_defaults_follow_the_papers() -> None:
    assert build("lrcn", num_classes=4).input_shape == (None, 20, 64, 64, 3)
    assert build("resnet34-frame", num_classes=4).input_shape == (None, 224, 224, 3)
    assert ARCHITECTURES["mnv2-bilstm"].default_size == 224
    assert ARCHITECTURES["mnv2-bilstm"].default_alpha == 1.0


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("no-such-net", {}, "unknown architecture 'no-such-net'"),
    ("lrcn", {"alpha": 0.5}, "no width multiplier"),
    ("mnv2-tcn", {"alpha": 0.0}, "--alpha"),
    ("convlstm", {"size": 24}, "--size: expected an integer >= 32"),
    ("lrcn", {"frames": 0}, "--frames"),
    ("lrcn", {"num_classes": 1}, "number of classes: expected an integer >= 2"),
    ("lrcn", {"tcn_filters": 8}, "no option tcn_filters"),
])
def test_bad_requests_are_bad_input(name: str, kwargs: dict, message: str) -> None:
    kwargs = {"num_classes": CLASSES, **kwargs}
    with pytest.raises(BadInput, match=message):
        build(name, **kwargs)


def test_the_command_line_knows_every_architecture_without_tensorflow() -> None:
    """har-train checks --arch against har_convert.settings before TensorFlow loads."""
    assert tuple(ARCHITECTURES) == ARCHITECTURE_NAMES
