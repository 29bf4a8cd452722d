"""`har-train --weights`: ImageNet weights through keras.applications' real `weights="imagenet"`
path from a Keras cache the test fills (offline), a weights file round trip, the folding of
keras.applications' preprocessing into the first convolution, and the one-line refusals."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from har_convert.settings import TrainConfig
from har_convert.train.fit import build_model
from har_convert.train.pretrained import (
    PREPROCESSING,
    backbone_of,
    fold_preprocessing,
    imagenet_file,
)
from har_device.core.errors import BadInput

HAR_TRAIN = Path(sys.executable).with_name("har-train")
SIZE, ALPHA = 96, 0.35  # a size and width keras.applications has MobileNetV2 weights for
BUILD_AND_SAVE = """
import sys
import numpy as np
from har_convert.settings import TrainConfig
from har_convert.train.fit import build_model
from har_convert.train.pretrained import backbone_of
config = TrainConfig(arch="mnv2-tcn", frames=2, size=96, alpha=0.35, weights="imagenet")
np.savez(sys.argv[1], *backbone_of(build_model(config, 3)).get_weights())
"""
# No download can succeed, whether or not this machine has a network.
OFFLINE = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}


def offline_env(keras_home: Path) -> dict[str, str]:
    return {**os.environ, **OFFLINE, "KERAS_HOME": str(keras_home)}


def imagenet_standin(keras_home: Path) -> list[np.ndarray]:
    """A MobileNetV2 with random weights saved where keras.applications looks for the ImageNet
    file (legacy HDF5, as the published files are); returns its weights."""
    keras.utils.set_random_seed(3)
    source = keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), alpha=ALPHA,
                                            include_top=False, weights=None, pooling="avg")
    models = keras_home / "models"
    models.mkdir(parents=True)
    source.save(models / imagenet_file("MobileNetV2", SIZE, ALPHA))
    return source.get_weights()


def test_imagenet_weights_come_from_the_keras_cache(tmp_path: Path) -> None:
    expected = imagenet_standin(tmp_path / "keras")
    saved = tmp_path / "backbone.npz"
    built = subprocess.run([sys.executable, "-c", BUILD_AND_SAVE, saved], timeout=600,
                           env=offline_env(tmp_path / "keras"), capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    with np.load(saved) as arrays:
        loaded = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    assert len(loaded) == len(expected)
    # The stem kernel takes x = pixel/255 instead of 2x - 1: twice the file's; its BatchNorm's
    # moving mean absorbs the -1 (index 4: Conv1 kernel, then gamma, beta, mean, variance).
    np.testing.assert_allclose(loaded[0], 2 * expected[0], rtol=1e-6)
    np.testing.assert_allclose(loaded[3], expected[3] + expected[0].sum(axis=(0, 1, 2)),
                               rtol=1e-5, atol=1e-6)
    for index, (got, want) in enumerate(zip(loaded, expected)):
        if index not in (0, 3):
            np.testing.assert_array_equal(got, want)


def test_offline_imagenet_is_one_line_naming_the_file(tmp_path: Path, tiny_ucf: Path) -> None:
    result = subprocess.run(
        [HAR_TRAIN, "--arch", "mnv2-tcn", "--alpha", str(ALPHA), "--size", str(SIZE),
         "--frames", "2", "--weights", "imagenet", "--data", tiny_ucf,
         "--out", tmp_path / "m.keras"],
        env=offline_env(tmp_path / "keras"), capture_output=True, text=True, timeout=600)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("har-train: error: --weights imagenet: ")
    assert f"put {imagenet_file('MobileNetV2', SIZE, ALPHA)} into {tmp_path / 'keras'}/models/" \
        in lines[0]
    assert not (tmp_path / "m.keras").exists()


def tiny_config(**changes) -> TrainConfig:
    return TrainConfig(**{"arch": "mnv2-tcn", "frames": 2, "size": 32, "alpha": ALPHA,
                          "seed": 1, **changes})


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_a_weights_file_round_trip_gives_the_same_predictions(tmp_path: Path,
                                                              suffix: str) -> None:
    source = backbone_of(build_model(tiny_config(), 3))
    path = tmp_path / f"backbone{suffix}"
    source.save_weights(path) if suffix == ".weights.h5" else source.save(path)
    loaded = backbone_of(build_model(tiny_config(seed=2, weights=path), 3))
    frames = np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32)
    want = source.predict(frames, verbose=0)  # an untrained backbone's features are tiny
    assert not np.allclose(backbone_of(build_model(tiny_config(seed=2), 3)).predict(
        frames, verbose=0), want, rtol=1e-3, atol=0)
    np.testing.assert_allclose(loaded.predict(frames, verbose=0), want, rtol=1e-5, atol=0)


def test_weights_of_another_shape_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "wider.weights.h5"
    backbone_of(build_model(tiny_config(alpha=0.5), 3)).save_weights(path)
    with pytest.raises(BadInput, match=r"^--weights .*wider.weights.h5: does not fit the "):
        build_model(tiny_config(weights=path), 3)


@pytest.mark.parametrize("backbone, stem", [("MobileNetV2", "bn_Conv1"),
                                            ("ResNet50", "conv1_conv")])
def test_folding_the_preprocessing_into_the_stem_is_exact_inside_the_border(
        backbone: str, stem: str) -> None:
    keras.utils.set_random_seed(4)
    build = getattr(keras.applications, backbone)
    original = build(input_shape=(32, 32, 3), include_top=False, weights=None)
    folded = build(input_shape=(32, 32, 3), include_top=False, weights=None)
    folded.set_weights(original.get_weights())
    fold_preprocessing(folded, *PREPROCESSING[backbone])
    pixels = np.random.default_rng(1).integers(0, 256, (2, 32, 32, 3)).astype(np.float32)
    module = keras.applications.mobilenet_v2 if backbone == "MobileNetV2" else \
        keras.applications.resnet50

    def stem_output(model: keras.Model, x: np.ndarray) -> np.ndarray:
        return keras.Model(model.input, model.get_layer(stem).output)(x, training=False).numpy()

    want = stem_output(original, module.preprocess_input(pixels.copy()))[:, 2:-2, 2:-2]
    got = stem_output(folded, pixels / 255)[:, 2:-2, 2:-2]
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * np.abs(want).max())
