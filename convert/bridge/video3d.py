"""3D video layers rebuilt from builtin, int8-capable operators (docs/design.md, tool-chain facts).

LiteRT has no 3D pooling (the float conversion of a MaxPool3D fails: neither builtin nor Flex-free),
and asked for full int8 the converter keeps CONV_3D in float between QUANTIZE and DEQUANTIZE. Both
decompose exactly into operators every int8 kernel set has:

- `Conv3D` with kernel (kt, kh, kw): output frame t is the sum over i of a 2D convolution of input
  frame t*st + i*dt with the kernel's slice i. So the rebuild pads time (for 'same'), takes kt
  time-shifted views of the clip (`TimeSlice`, one STRIDED_SLICE each), applies kt `Conv2D`s to
  them (tf_keras's Conv2D folds the time axis into the batch) and adds them; the bias is the first
  slice's, the activation comes once after the sum. The Conv2Ds are ordinary layers, so pruning
  and QAT see them; the Add couples their output channels (pruning keeps one Conv3D's slices
  aligned).
- `MaxPooling3D`/`AveragePooling3D` (pool (pt, ph, pw)): a 3D window is the product of a spatial
  and a temporal window, so the max is a max of maxes, and the average over the window's valid
  elements (TF's 'same' padding counts only those) is the average over the valid frames of the
  per-frame averages over valid pixels: count_t * count_hw = count. So: 2D pooling on every frame,
  then the clip reshaped to (T, H*W, C) and pooled by (pt, 1) with the same padding rule.

The other 3D layers (global pooling, ZeroPadding3D, Cropping3D, UpSampling3D) translate one to one:
they become MEAN, REDUCE_MAX, PAD, STRIDED_SLICE and CONCATENATION, all builtin int8 (measured).
"""
from __future__ import annotations

import math
from typing import Any

import keras
import tf_keras

from har_convert.bridge.layers import describe, pools_space_only, translate_config
from har_device.core.errors import BadInput

POOLING_2D = {"MaxPooling3D": tf_keras.layers.MaxPooling2D,
              "AveragePooling3D": tf_keras.layers.AveragePooling2D}


@tf_keras.saving.register_keras_serializable(package="har_edge")
class TimeSlice(tf_keras.layers.Layer):
    """Frames start, start + step, ... (count of them) of a (batch, T, ...) tensor.

    A layer of its own (not a Lambda) so that tfmot's model cloning can rebuild it from its config
    and pruning can see that it keeps the channel axis; it converts to one STRIDED_SLICE.
    """

    def __init__(self, start: int, step: int, count: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start, self.step, self.count = int(start), int(step), int(count)

    def call(self, inputs: Any) -> Any:
        return inputs[:, self.start:self.start + self.step * (self.count - 1) + 1:self.step]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        return (shape[0], self.count, *shape[2:])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "start": self.start, "step": self.step,
                "count": self.count}


class Rewrite:
    """One Keras 3 layer rebuilt as a small graph of tf_keras layers, called like a layer.

    The layers are made at the first call, from the input's static shape (T must be fixed);
    `summary` says what the layer became, for the report.
    """

    summary = ""

    def __init__(self, source: keras.layers.Layer) -> None:
        self.source = source
        self.name = source.name
        config = source.get_config()
        if config.get("data_format", "channels_last") != "channels_last":
            raise BadInput(f"{describe(source)}: only channels_last 3D layers can be rebuilt")
        self.config = config
        self.layers: list[tf_keras.layers.Layer] = []

    def __call__(self, inputs: Any, **_: Any) -> Any:
        """Apply the rebuilt layers; call-time options (`training`) do not change them."""
        shape = tuple(inputs.shape)
        if len(shape) != 5 or any(d is None for d in shape[1:]):
            raise BadInput(f"{describe(self.source)}: the rebuild needs a fixed input shape "
                           f"(batch, T, H, W, C), got {shape}; give the clip's frames and size")
        if not self.layers:
            self.layers = self.make(shape)
        return self.apply(inputs)

    def make(self, shape: tuple) -> list[tf_keras.layers.Layer]:
        raise NotImplementedError

    def apply(self, inputs: Any) -> Any:
        raise NotImplementedError

    def copy_weights(self) -> None:
        """Load the source layer's weights into the rebuilt layers (after the first call)."""


class Conv3DRewrite(Rewrite):
    """Conv3D -> kt Conv2Ds on time-shifted frames, summed (see the module doc)."""

    def __init__(self, source: keras.layers.Layer) -> None:
        super().__init__(source)
        if self.config.get("groups", 1) != 1:
            raise BadInput(f"{describe(source)}: grouped Conv3D cannot be rebuilt")
        self.kt, kh, kw = self.config["kernel_size"]
        self.st, sh, sw = self.config["strides"]
        self.dt, dh, dw = self.config["dilation_rate"]
        options = translate_config(source, tf_keras.layers.Conv3D)
        self.activation = options["activation"]
        self.conv_options = {**options, "kernel_size": (kh, kw), "strides": (sh, sw),
                             "dilation_rate": (dh, dw), "activation": "linear"}
        self.summary = (f"Conv3D {self.kt}x{kh}x{kw} -> {self.kt} x Conv2D {kh}x{kw} on "
                        "time-shifted frames" + (", summed" if self.kt > 1 else ""))

    def make(self, shape: tuple) -> list[tf_keras.layers.Layer]:
        frames, span = shape[1], (self.kt - 1) * self.dt + 1
        if self.config["padding"] == "same":
            count = math.ceil(frames / self.st)
            total = max((count - 1) * self.st + span - frames, 0)
        else:
            count, total = (frames - span) // self.st + 1, 0
        if count < 1:
            raise BadInput(f"{describe(self.source)}: {frames} frames are fewer than its "
                           f"temporal kernel span {span}")
        self.pad = [tf_keras.layers.ZeroPadding3D(
            ((total // 2, total - total // 2), (0, 0), (0, 0)), name=f"{self.name}_tpad")
            for _ in range(1 if total else 0)]
        whole = self.kt == 1 and self.st == 1
        self.slices = [TimeSlice(i * self.dt, self.st, count, name=f"{self.name}_t{i}")
                       for i in range(0 if whole else self.kt)]
        self.convs = [tf_keras.layers.Conv2D(**{**self.conv_options, "name": f"{self.name}_k{i}",
                                                "use_bias": self.config["use_bias"] and i == 0})
                      for i in range(self.kt)]
        self.sum = tf_keras.layers.Add(name=f"{self.name}_sum") if self.kt > 1 else None
        self.act = (None if self.activation == "linear" else
                    tf_keras.layers.Activation(self.activation, name=f"{self.name}_act"))
        return [*self.pad, *self.slices, *self.convs, *filter(None, (self.sum, self.act))]

    def apply(self, inputs: Any) -> Any:
        x = self.pad[0](inputs) if self.pad else inputs
        views = [time_slice(x) for time_slice in self.slices] or [x]
        parts = [conv(view) for view, conv in zip(views, self.convs)]
        y = self.sum(parts) if self.sum else parts[0]
        return self.act(y) if self.act else y

    def copy_weights(self) -> None:
        kernel, *bias = self.source.get_weights()
        for i, conv in enumerate(self.convs):
            conv.set_weights([kernel[i], *bias] if i == 0 else [kernel[i]])


class Pooling3DRewrite(Rewrite):
    """Max/AveragePooling3D -> 2D pooling per frame, then (pt, 1) pooling over time (module doc)."""

    def __init__(self, source: keras.layers.Layer) -> None:
        super().__init__(source)
        self.pool = tuple(self.config["pool_size"])
        self.strides = tuple(self.config["strides"] or self.pool)
        self.padding = self.config["padding"]
        self.pooling = POOLING_2D[type(source).__name__]
        self.summary = (f"{type(source).__name__} {'x'.join(map(str, self.pool))} -> "
                        f"{self.pooling.__name__} per frame + {self.pooling.__name__} over time")

    def make(self, shape: tuple) -> list[tf_keras.layers.Layer]:
        """The reshapes leave the channel count open (-1), so that pruning the channels of the
        convolution before the pooling does not have to rewrite them."""
        (pt, *pool_hw), (st, *strides_hw) = self.pool, self.strides
        self.frames = tf_keras.layers.TimeDistributed(
            self.pooling(tuple(pool_hw), tuple(strides_hw), self.padding),
            name=f"{self.name}_frames")
        _, frames, height, width, channels = self.frames.compute_output_shape(shape)
        self.fold = tf_keras.layers.Reshape((frames, height * width, -1),
                                            name=f"{self.name}_fold")
        self.time = self.pooling((pt, 1), (st, 1), self.padding, name=f"{self.name}_time")
        pooled = self.time.compute_output_shape((None, frames, height * width, channels))[1]
        self.unfold = tf_keras.layers.Reshape((pooled, height, width, -1),
                                              name=f"{self.name}_unfold")
        return [self.frames, self.fold, self.time, self.unfold]

    def apply(self, inputs: Any) -> Any:
        return self.unfold(self.time(self.fold(self.frames(inputs))))


def rewrite_for(layer: Any) -> Rewrite | None:
    """The builtin-operator rebuild of a Keras 3 layer that needs one, else None. A 3D pooling
    over space only stays one layer (`layers.translate_layer`: TimeDistributed 2D pooling)."""
    name = type(layer).__name__
    if not type(layer).__module__.startswith("keras."):
        return None
    if name == "Conv3D":
        return Conv3DRewrite(layer)
    if name in POOLING_2D and not pools_space_only(layer):
        return Pooling3DRewrite(layer)
    return None
