"""Pretrained weights for a zoo model's backbone: keras.applications' ImageNet weights, or a file.

`--weights imagenet` goes through keras.applications' own `weights="imagenet"` (which downloads
into the Keras cache, `$KERAS_HOME/models` or `~/.keras/models`, once) and copies the weights into
the zoo's backbone, built from the same keras.applications function. The ImageNet weights expect
keras.applications' preprocessing (MobileNetV2: x = pixel/127.5 - 1; ResNet50: BGR, pixel minus
the ImageNet mean), while every model here takes x = pixel/255 and may contain no preprocessing
layer (QAT rejects them): so that mapping is folded into the first convolution (its kernel scaled
and its channels reordered, the offset moved into its bias or the next BatchNorm's mean), which is
exact except where the convolution reads the zero padding at the image border.

`--weights PATH` loads a `.weights.h5` or `.keras` file into the backbone as it is: weights saved
from a backbone that takes x = pixel/255 (a har-train model's, for instance).
"""
from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from har_convert.settings import BACKBONES
from har_device.core.errors import BadInput

MOBILENET_SIZES = (96, 128, 160, 192, 224)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def backbone_of(model: keras.Model) -> keras.Model:
    """The pretrainable backbone: the nested model inside `frame_features`, or a frame model's."""
    for layer in model.layers:
        inner = layer.layer if isinstance(layer, keras.layers.TimeDistributed) else layer
        if isinstance(inner, keras.Model):
            return inner
    raise ValueError(f"{model.name} has no nested backbone model")


def load_backbone_weights(model: keras.Model, arch: str, weights: str | Path, size: int,
                          alpha: float | None) -> None:
    """Put `weights` ("imagenet" or a file) into the backbone of `model`, in place."""
    backbone = backbone_of(model)
    if weights == "imagenet":
        source = imagenet_backbone(BACKBONES[arch], size, alpha)
        backbone.set_weights(source.get_weights())
        fold_preprocessing(backbone, *PREPROCESSING[BACKBONES[arch]])
    else:
        load_file(backbone, Path(weights))


def load_file(backbone: keras.Model, path: Path) -> None:
    """`backbone.load_weights(path)`, a mismatch or an unreadable file as one BadInput line."""
    try:
        backbone.load_weights(path)
    except (ValueError, OSError, KeyError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BadInput(f"--weights {path}: does not fit the {backbone.name} backbone "
                       f"({reason})") from None


def imagenet_file(backbone: str, size: int, alpha: float | None) -> str:
    """The file name keras.applications looks for in the Keras cache (models/)."""
    if backbone == "MobileNetV2":
        rows = size if size in MOBILENET_SIZES else 224
        return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}_no_top.h5"
    return "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"


def keras_cache() -> Path:
    """Where keras.applications keeps downloaded weights."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def imagenet_backbone(backbone: str, size: int, alpha: float | None) -> keras.Model:
    """keras.applications' backbone with weights="imagenet"; offline and not in the cache, a
    BadInput naming the file to put there."""
    build = {"MobileNetV2": lambda: keras.applications.MobileNetV2(
                 input_shape=(size, size, 3), alpha=alpha, include_top=False,
                 weights="imagenet", pooling="avg"),
             "ResNet50": lambda: keras.applications.ResNet50(
                 input_shape=(size, size, 3), include_top=False, weights="imagenet",
                 pooling="avg")}[backbone]
    name = imagenet_file(backbone, size, alpha)
    try:
        return build()
    except ValueError as error:
        raise BadInput(f"--weights imagenet: {error}") from None
    except Exception as error:  # keras' get_file raises a bare Exception when the fetch fails
        if (keras_cache() / name).exists():
            raise
        raise BadInput(f"--weights imagenet: could not download {backbone}'s ImageNet weights "
                       f"({str(error).splitlines()[0]}); put {name} into {keras_cache()}/ "
                       "(from a machine with a network: the same name in its Keras cache)"
                       ) from None


def fold_preprocessing(backbone: keras.Model, scale: np.ndarray, offset: np.ndarray,
                       order: tuple[int, int, int]) -> None:
    """Make `backbone`, trained on x'[c] = scale[c] * x[order[c]] + offset[c], take x itself:
    the first convolution's kernel absorbs scale and order, its bias (or the next BatchNorm's
    moving mean) the offset."""
    layers = backbone.layers
    first = next(i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Conv2D))
    conv = layers[first]
    kernel = conv.kernel.numpy()
    folded = np.zeros_like(kernel)
    for channel, source in enumerate(order):
        folded[:, :, source, :] += scale[channel] * kernel[:, :, channel, :]
    constant = np.einsum("hwco,c->o", kernel, offset)
    conv.kernel.assign(folded)
    if conv.use_bias:
        conv.bias.assign(conv.bias.numpy() + constant)
        return
    norm = next(layer for layer in layers[first + 1:]
                if isinstance(layer, keras.layers.BatchNormalization))
    norm.moving_mean.assign(norm.moving_mean.numpy() - constant)


# keras.applications' preprocessing from x = pixel/255: (scale, offset, source channel of each).
PREPROCESSING = {
    "MobileNetV2": (np.full(3, 2.0), np.full(3, -1.0), (0, 1, 2)),
    "ResNet50": (np.full(3, 255.0), -np.asarray(CAFFE_MEAN_BGR), (2, 1, 0)),
}
