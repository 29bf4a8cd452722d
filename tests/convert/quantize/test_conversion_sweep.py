"""Every architecture converts to full int8 that runs in ai-edge-litert with builtin ops only:
the zoo (except those converted by other tests; resnet50-frame is keras.applications ResNet50) and keras.applications MobileNetV2 and EfficientNetB0 inside TimeDistributed with GRU,
LSTM, bidirectional and TCN heads (their bridging is checked in test_bridge). Tiny sizes, two
random calibration clips, the int8 conversion only: still 15-40 s per model, hence `slow`.
"""
from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from convert_helpers import zoo_model
from keras import layers

from har_convert.bridge.rebuild import Bridge
from har_convert.quantize.checks import non_builtin_ops
from har_convert.quantize.tflite import FULL_INT8, convert_int8, export_saved_model
from har_convert.train.zoo import ARCHITECTURES
from har_device.core.litert import TFLiteModel

FRAMES, SIZE, CLASSES = 4, 32, 3
# LRCN and ConvLSTM go through har-convert in test_convert_cli, mnv2-tcn in tests/e2e.
CONVERTED_ELSEWHERE = {"lrcn", "convlstm", "mnv2-tcn"}


def applications_model(backbone: str) -> keras.Model:
    """TimeDistributed(keras.applications backbone) feeding two temporal heads."""
    frame = {"MobileNetV2": lambda: keras.applications.MobileNetV2(
                 input_shape=(SIZE, SIZE, 3), alpha=0.35, include_top=False, weights=None,
                 pooling="avg"),
             "EfficientNetB0": lambda: keras.applications.EfficientNetB0(
                 input_shape=(SIZE, SIZE, 3), include_top=False, weights=None, pooling="avg"),
             }[backbone]()
    clip = keras.Input((FRAMES, SIZE, SIZE, 3))
    features = layers.TimeDistributed(frame, name="frame_features")(clip)
    heads = {"MobileNetV2": [layers.GRU(8), layers.Bidirectional(layers.GRU(8))],
             "EfficientNetB0": [layers.Bidirectional(layers.LSTM(8)),
                                layers.Conv1D(8, 3, padding="causal", dilation_rate=2)],
             }[backbone]
    outputs = [head(features) for head in heads]
    outputs = [layers.GlobalAveragePooling1D()(x) if len(x.shape) == 3 else x for x in outputs]
    merged = outputs[0] if len(outputs) == 1 else layers.Concatenate()(outputs)
    return keras.Model(clip, layers.Dense(CLASSES, activation="softmax")(merged))


MODELS = {**{name: (lambda name=name: zoo_model(name, CLASSES, FRAMES, SIZE)) for name in ARCHITECTURES
             if name not in CONVERTED_ELSEWHERE},
          **{f"{backbone}+heads": (lambda backbone=backbone: applications_model(backbone))
             for backbone in ("MobileNetV2", "EfficientNetB0")}}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_converts_to_full_int8_with_builtin_ops(name: str, tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    model = MODELS[name]()
    shape = model.input_shape[1:]
    saved = export_saved_model(Bridge().model(model, shape), shape, tmp_path / "saved_model")
    calibration = np.random.default_rng(0).random((2, *shape), dtype=np.float32)
    converted = convert_int8(saved, tmp_path / "model_int8.tflite", calibration)
    assert converted.quantization == FULL_INT8
    assert not non_builtin_ops(converted.ops)
    tflite = TFLiteModel(converted.path)
    assert (tflite.input.dtype, tflite.output.dtype) == (np.int8, np.int8)
    assert tflite.input.shape == (1, *shape)
    scores = tflite.predict(calibration[:1])
    assert scores.shape == (1, CLASSES) and abs(float(scores.sum()) - 1.0) < 0.05
