"""ResNet-34 (written here) and ResNet-50 (keras.applications) single-frame classifiers.

Design: He et al. "Deep Residual Learning", Table 1 (34-layer: basic blocks 3-4-6-3; 50-layer:
bottlenecks 3-4-6-3), used per frame by "Seamless Action Recognition" (Khandelwal & Singh) and
"Hybrid Deep Learning for HAR ... ResNet models" (Thiruvarangam), with their custom head.
"""
from __future__ import annotations

import keras
from keras import layers

from har_convert.train.zoo.frame import frame_classifier

RESNET34_STAGES = ((64, 3), (128, 4), (256, 6), (512, 3))
_BN = {"epsilon": 1e-5, "momentum": 0.9}


def resnet34_backbone(size: int) -> keras.Model:
    """ResNet-34 as torchvision builds it (bias-free convs + BatchNorm, 1x1 strided projection
    shortcuts), globally average-pooled to 512-d. Its trainable parameters equal torchvision's
    count; Keras additionally counts the BatchNorm moving statistics (non-trainable).
    """
    image = keras.Input(shape=(size, size, 3), name="image")
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False, name="conv1")(image)
    x = layers.BatchNormalization(name="conv1_bn", **_BN)(x)
    x = layers.ReLU(name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    for stage, (filters, blocks) in enumerate(RESNET34_STAGES, start=2):
        for block in range(1, blocks + 1):
            stride = 2 if block == 1 and stage > 2 else 1
            x = _basic_block(x, filters, stride, f"conv{stage}_block{block}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(image, x, name=f"resnet34_{size}")


def _basic_block(x: keras.KerasTensor, filters: int, stride: int, name: str) -> keras.KerasTensor:
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn", **_BN)(shortcut)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1", **_BN)(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2", **_BN)(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.ReLU(name=f"{name}_out")(y)


def resnet50_backbone(size: int) -> keras.Model:
    """keras.applications ResNet50 without top, average-pooled to 2048-d (weights=None).

    It contains no preprocessing layer, so it takes x = pixel/255 as is. Its convs have biases,
    which is why with the standard top it has 25,636,712 parameters against torchvision's
    25,557,032; the Keras count is the one matched.
    """
    return keras.applications.ResNet50(include_top=False, weights=None, pooling="avg",
                                       input_shape=(size, size, 3), name=f"resnet50_{size}")


def build_resnet34_frame(*, num_classes: int, size: int, hidden: int = 512,
                         dropout: float = 0.5) -> keras.Model:
    """ResNet-34 per frame + custom head (Dense 512, ReLU, BatchNorm, Dropout 0.5, softmax).

    Deviations: built untrained (no ResNet-34 in keras.applications; `har-train --weights PATH`
    loads a file); the papers leave hidden size and dropout
    rate to tuning, 512 and 0.5 are used.
    """
    return frame_classifier(resnet34_backbone(size), size=size, num_classes=num_classes,
                            hidden=hidden, dropout=dropout, name="resnet34_frame")


def build_resnet50_frame(*, num_classes: int, size: int, hidden: int = 512,
                         dropout: float = 0.5) -> keras.Model:
    """ResNet-50 per frame + custom head (Listing 1 of the hybrid-ResNet paper).

    Deviations: built untrained (ImageNet weights: `har-train --weights imagenet`); hidden 512,
    dropout 0.5 chosen here, as for ResNet-34.
    """
    return frame_classifier(resnet50_backbone(size), size=size, num_classes=num_classes,
                            hidden=hidden, dropout=dropout, name="resnet50_frame")
