"""Quantization-aware training (tfmot) of a tf_keras model, ready for the full-int8 conversion.

Post-training int8 can collapse a video model's accuracy (docs/design.md, "Tool-chain facts"); training with the int8
rounding simulated (fake quantization of weights and activations) lets the weights adapt to it,
and the converter then takes the learned activation ranges instead of calibrating them.

tfmot's default 8-bit scheme cannot take a clip model whole: it rejects nested models,
TimeDistributed, Conv1D, recurrent layers, Multiply and Rescaling/Normalization. So:
- every flat model nested in the graph (the zoo's per-frame network inside `frame_features`,
  where nearly all the MACs are) is quantized on its own with `quantize_apply`, and the clip model
  is reassembled around it: tf_keras's TimeDistributed folds time into the batch, so the frame
  network trains on B*T frames and its fake-quant ranges see every frame; the model keeps its
  structure, so the streaming split and the converter treat it like the float one;
- inside those, only layers the default registry supports are annotated, plus each
  BatchNormalization that directly follows a linear Conv2D/DepthwiseConv2D/Dense (tfmot's
  transforms then fold it, so the int8 graph is the same as post-training's); the rest stays
  float during training and is calibrated post-training by the converter (`left_float`);
- after `--sparsity`, the prune-preserving scheme keeps the zeros through QAT.
A model without nested models is quantized directly the same way. The converter of a QAT model is
the ordinary full-int8 path with a representative dataset (it calibrates what is not annotated).

    result = quantize_aware(model, data, epochs=3)      # result.model -> har_convert.quantize.tflite
"""
from __future__ import annotations

from dataclasses import dataclass

import tensorflow_model_optimization as tfmot
import tf_keras
from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
    default_8bit_quantize_registry,
)

from har_convert.data import Dataset
from har_convert.graph.complexity import unwrap
from har_convert.graph.mapping import copy_model, is_flat, leaf_layers, map_layers
from har_convert.train.finetune import FinetuneConfig, FinetuneResult, finetune
from har_device.core.errors import WorkFailed

Layer = tf_keras.layers.Layer
QAT_CONFIG = FinetuneConfig(learning_rate=1e-4)
FOLDS_BATCHNORM = frozenset({"Conv2D", "DepthwiseConv2D", "Dense"})
# The prune-preserving scheme's registry claims to support every layer; annotation always asks
# the default one.
REGISTRY = default_8bit_quantize_registry.Default8BitQuantizeRegistry()


@dataclass(frozen=True)
class QatResult:
    """model: the QAT model (fake-quant wrappers in its nested models); quantized: the layers
    trained with fake quantization; left_float: layers with weights QAT could not annotate;
    training: the QAT fine-tuning run (None when no epochs were asked)."""

    model: tf_keras.Model
    quantized: list[str]
    left_float: list[str]
    training: FinetuneResult | None


def quantize_aware(model: tf_keras.Model, data: Dataset | None, epochs: int,
                   preserve_sparsity: bool = False, teacher: tf_keras.Model | None = None,
                   config: FinetuneConfig = QAT_CONFIG, progress: bool = True) -> QatResult:
    """A QAT copy of `model` fine-tuned for `epochs` on `data` (epochs 0: built, not trained)."""
    view, quantized = qat_view(model, preserve_sparsity)
    left_float = [layer.name for layer in map(unwrap, leaf_layers(view))
                  if layer.weights and layer.name not in quantized
                  and type(layer).__name__ != "QuantizeLayer"]
    training = None
    if epochs:
        training = finetune(view, data, epochs, teacher=teacher, config=config,
                            progress=progress, description="quantization-aware training")
    return QatResult(view, quantized, left_float, training)


def qat_view(model: tf_keras.Model, preserve_sparsity: bool = False
             ) -> tuple[tf_keras.Model, list[str]]:
    """An independent copy of `model` with its flat (sub)models quantization-aware, and the
    names of the layers that were annotated (see the module doc)."""
    quantization = tfmot.quantization.keras
    scheme = (tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme()
              if preserve_sparsity else quantization.default_8bit.Default8BitQuantizeScheme())
    quantized: list[str] = []

    def quantize_flat(flat: tf_keras.Model) -> tf_keras.Model | None:
        names = [layer.name for layer in flat.layers if annotatable(layer)]
        if not names:
            return None
        annotated = map_layers(flat, lambda layer: (
            quantization.quantize_annotate_layer(layer) if layer.name in names else layer, None))
        quantized.extend(names)
        return quantization.quantize_apply(annotated, scheme)

    private = copy_model(model)
    if is_flat(private):
        view = quantize_flat(private)
    else:
        view = map_layers(private, lambda layer: (layer, None), quantize_flat)
    if not quantized:
        raise WorkFailed(f"quantization-aware training: no layer of {model.name!r} can be "
                         "annotated by the default 8-bit scheme (use --no-qat)")
    return view, quantized


def annotatable(layer: Layer) -> bool:
    """Whether the default 8-bit scheme can train `layer` quantization-aware: supported by its
    registry, or a BatchNorm its transforms fold into the linear layer before it."""
    if type(layer).__name__ == "BatchNormalization":
        before = layer.inbound_nodes[0].inbound_layers
        return (type(before).__name__ in FOLDS_BATCHNORM
                and getattr(getattr(before, "activation", None), "__name__", None) == "linear")
    return REGISTRY.supports(layer)

