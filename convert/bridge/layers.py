"""One Keras 3 layer -> the equivalent tf_keras layer (class, config, weights).

Why a translation and not `tf_keras.layers.deserialize(keras3_config)`: the two libraries share the
class names of the standard layers, but their configs differ in small ways that make a wholesale
deserialization fail or, worse, silently change the layer: Keras 3 writes dtype *policies* where
tf_keras expects a dtype name, its initializer configs carry keys tf_keras rejects, a few options
were renamed (LeakyReLU's `negative_slope` was tf_keras's `alpha`) and some exist only in Keras 3.
So each config is translated key by key; an option tf_keras lacks is dropped only when it is off
(None/False/0) or cannot change inference, and anything else is a BadInput naming the layer. The
bridge checks the numbers afterwards anyway (`bridge.check_equivalence`).
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import keras
import numpy as np
import tf_keras

from har_device.core.errors import BadInput

# The layers the bridge rebuilds: everything the zoo and keras.applications' MobileNetV2,
# EfficientNetB0 and ResNet50 use, plus the usual standard layers of HAR models.
SUPPORTED = frozenset({
    "Dense", "EinsumDense", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    "Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D",
    "DepthwiseConv2D", "Conv1DTranspose", "Conv2DTranspose",
    "BatchNormalization", "LayerNormalization", "Rescaling", "Normalization",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "ActivityRegularization",
    "Flatten", "Reshape", "Permute", "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D", "UpSampling2D",
    "UpSampling3D",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    "Attention", "AdditiveAttention", "MultiHeadAttention",
    "TimeDistributed", "Bidirectional",
})
WRAPPERS = frozenset({"TimeDistributed", "Bidirectional"})

# TFLite has no 3D pooling op, so a 3D pooling that pools space only (pool and stride 1 over T,
# as in ConvLSTM models) is rebuilt as the same 2D pooling applied per frame: same numbers, and
# it converts without Flex. One that pools time too, and Conv3D, are rebuilt as small graphs of
# builtin layers (`bridge.video3d`).
SPATIAL_ONLY_3D_POOLING = {"MaxPooling3D": "MaxPooling2D", "AveragePooling3D": "AveragePooling2D"}
RENAMED_OPTIONS = {"LeakyReLU": {"negative_slope": "alpha"}}
# tf_keras's fused BatchNorm kernel rounds differently from Keras 3's formula (measured: 4e-7 at the
# first BN of a MobileNetV2, 5e-3 at its output); unfused, the rebuild is exact. The TFLite
# converter folds either form into the preceding convolution.
# GRU and SimpleRNN are unrolled over the (fixed) T steps: the converter fuses only LSTM into one
# op, and the full-int8 conversion of a GRU's WHILE loop crashes the converter (measured:
# SIGSEGV, also inside Bidirectional), while the unrolled GRU is plain int8 ops. Same arithmetic.
FORCED_OPTIONS = {"BatchNormalization": {"fused": False}, "GRU": {"unroll": True},
                  "SimpleRNN": {"unroll": True}}
# Options tf_keras lacks that cannot change what a trained layer computes at inference.
INFERENCE_NEUTRAL_OPTIONS = frozenset({"seed", "use_cudnn", "zero_output_for_mask"})
# Keras 3 activation names tf_keras does not know.
ACTIVATION_ALIASES = {"silu": "swish"}

_OBJECT_MODULES = {"_initializer": tf_keras.initializers, "_regularizer": tf_keras.regularizers,
                   "_constraint": tf_keras.constraints}
_LAYER_BASE_OPTIONS = frozenset({"name", "trainable", "dtype", "dynamic", "activity_regularizer",
                                 "input_shape", "batch_input_shape", "batch_size", "input_dim"})


def describe(layer: keras.layers.Layer) -> str:
    return f"layer {layer.name!r} ({type(layer).__name__})"


def translate_layer(layer: keras.layers.Layer,
                    bridge_model: Callable[[keras.Model], tf_keras.Model]) -> tf_keras.layers.Layer:
    """A new, unbuilt tf_keras layer equivalent to `layer`; nested models go to `bridge_model`."""
    if isinstance(layer, keras.Model):
        return bridge_model(layer)
    class_name = type(layer).__name__
    if class_name not in SUPPORTED or not type(layer).__module__.startswith("keras."):
        raise BadInput(f"{describe(layer)}: the tf_keras bridge cannot rebuild this layer "
                       "(custom or unsupported class); build the model from standard Keras layers")
    if class_name == "TimeDistributed":
        return tf_keras.layers.TimeDistributed(translate_layer(layer.layer, bridge_model),
                                               name=layer.name)
    if class_name == "Bidirectional":
        return tf_keras.layers.Bidirectional(
            translate_layer(layer.forward_layer, bridge_model),
            backward_layer=translate_layer(layer.backward_layer, bridge_model),
            merge_mode=layer.merge_mode, name=layer.name)
    if class_name in SPATIAL_ONLY_3D_POOLING and pools_space_only(layer):
        return _per_frame_pooling(layer)
    target = getattr(tf_keras.layers, class_name)
    return target(**translate_config(layer, target))


def pools_space_only(layer: keras.layers.Layer) -> bool:
    config = layer.get_config()
    return (config.get("data_format", "channels_last") == "channels_last"
            and config["pool_size"][0] == 1 and tuple(config["strides"] or (1,))[0] == 1)


def _per_frame_pooling(layer: keras.layers.Layer) -> tf_keras.layers.Layer:
    config = layer.get_config()
    pooling = getattr(tf_keras.layers, SPATIAL_ONLY_3D_POOLING[type(layer).__name__])
    strides = tuple(config["strides"] or config["pool_size"])[1:]
    return tf_keras.layers.TimeDistributed(
        pooling(pool_size=tuple(config["pool_size"])[1:], strides=strides,
                padding=config["padding"]), name=layer.name)


def translate_config(layer: keras.layers.Layer, target: type) -> dict[str, Any]:
    """`layer.get_config()` rewritten into keyword arguments `target` (a tf_keras class) accepts."""
    accepted = _accepted_options(target)
    renames = RENAMED_OPTIONS.get(type(layer).__name__, {})
    options: dict[str, Any] = {}
    for key, value in layer.get_config().items():
        key = renames.get(key, key)
        if key not in accepted:
            if _is_off(value) or key in INFERENCE_NEUTRAL_OPTIONS:
                continue
            raise BadInput(f"{describe(layer)}: option {key}={value!r} has no tf_keras "
                           "equivalent, so the bridge cannot rebuild it")
        options[key] = _translate_value(layer, key, value)
    return {**options, **FORCED_OPTIONS.get(type(layer).__name__, {})}


def _is_off(value: Any) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, (int, float)):
        return value == 0
    return isinstance(value, (tuple, list, dict)) and not value


def _accepted_options(target: type) -> set[str]:
    accepted = set(_LAYER_BASE_OPTIONS)
    for klass in target.__mro__:
        if "__init__" in vars(klass):
            accepted |= set(inspect.signature(klass.__init__).parameters)
    return accepted - {"self", "args", "kwargs"}


def _translate_value(layer: keras.layers.Layer, key: str, value: Any) -> Any:
    if key == "dtype":
        return layer.dtype_policy.name
    if key in ("activation", "recurrent_activation"):
        return _translate_activation(layer, key, value)
    for suffix, module in _OBJECT_MODULES.items():
        if key.endswith(suffix) and isinstance(value, dict):
            return _translate_object(layer, key, value, module)
    return value


def _translate_activation(layer: keras.layers.Layer, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise BadInput(f"{describe(layer)}: {key} is a custom function; only named Keras "
                       "activations can be rebuilt in tf_keras")
    name = ACTIVATION_ALIASES.get(value, value)
    try:
        tf_keras.activations.get(name)
    except ValueError:
        raise BadInput(f"{describe(layer)}: activation {value!r} does not exist in tf_keras") from None
    return name


def _translate_object(layer: keras.layers.Layer, key: str, value: dict, module: Any) -> Any:
    """An initializer/regularizer/constraint config -> the tf_keras object, keeping known keys."""
    target = getattr(module, value.get("class_name", ""), None)
    if not isinstance(target, type):
        raise BadInput(f"{describe(layer)}: {key} {value.get('class_name')!r} does not exist in "
                       "tf_keras")
    parameters = set(inspect.signature(target.__init__).parameters)
    config = {k: v for k, v in value.get("config", {}).items() if k in parameters}
    return target(**config)


def copy_weights(source: keras.layers.Layer, target: tf_keras.layers.Layer) -> None:
    """Copy every weight, in order, after checking the two layers hold the same shapes.

    Nested models are skipped: their own layers are copied one by one as the bridge rebuilds them.
    """
    if isinstance(source, keras.Model) or _wraps_model(source):
        return
    values = source.get_weights()
    expected = [tuple(w.shape) for w in target.weights]
    if [tuple(np.shape(v)) for v in values] != expected:
        raise BadInput(f"{describe(source)}: its weights {[np.shape(v) for v in values]} do not "
                       f"match the tf_keras layer's {expected}; the bridge cannot copy them")
    target.set_weights(values)


def _wraps_model(layer: keras.layers.Layer) -> bool:
    return type(layer).__name__ == "TimeDistributed" and isinstance(layer.layer, keras.Model)
