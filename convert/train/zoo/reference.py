"""The zoo's backbones with the standard ImageNet top, to check them against the published sizes.

The HAR models use these backbones with their own heads; building the classification-standard
variant (backbone + global average pool + Dense(1000) softmax) is how the tests prove a backbone
is the architecture it claims to be: its parameter count must equal the reference one.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import keras
from keras import layers

from har_convert.train.zoo.efficientnet_lite import efficientnet_lite0_backbone
from har_convert.train.zoo.mobilenet import mobilenet_v2_backbone
from har_convert.train.zoo.resnet import resnet34_backbone, resnet50_backbone

BACKBONES: dict[str, Callable[[int], keras.Model]] = {
    "mobilenetv2": partial(mobilenet_v2_backbone, alpha=1.0),
    "resnet34": resnet34_backbone,
    "resnet50": resnet50_backbone,
    "efficientnet-lite0": efficientnet_lite0_backbone,
}


def reference_classifier(backbone: str, *, classes: int = 1000, size: int = 224) -> keras.Model:
    """`backbone` (a BACKBONES key; MobileNetV2 at alpha 1) + Dense(classes) softmax, untrained."""
    image = keras.Input(shape=(size, size, 3), name="image")
    features = BACKBONES[backbone](size)(image)
    scores = layers.Dense(classes, activation="softmax", name="predictions")(features)
    return keras.Model(image, scores, name=f"{backbone}_reference")
