"""Quantization-aware training: the nested frame network becomes quantization-aware inside its
TimeDistributed, trains on folded batches, and the QAT model converts through the ordinary
full-int8 path into a model that agrees with it; sparsity survives QAT with the prune-preserving
scheme; the MobileNetV2 backbone's convolutions and their BatchNorms are all annotatable."""
from __future__ import annotations

import numpy as np
import pytest
from tensorflow_model_optimization.python.core.sparsity.keras.pruning_utils import (
    is_pruned_m_by_n,
)

from har_convert.graph.complexity import complexity, unwrap
from har_convert.graph.mapping import leaf_layers
from har_convert.prune.sparsity import apply_sparsity
from har_convert.quantize.qat import annotatable, quantize_aware
from har_convert.quantize.tflite import FULL_INT8, convert_int8, export_saved_model
from har_convert.settings import parse_sparsity
from har_convert.train.finetune import predict
from har_device.core.litert import TFLiteModel


@pytest.fixture(scope="session")
def qat_net(tiny_clip_net, tiny_clips):
    return quantize_aware(tiny_clip_net, tiny_clips, epochs=1, progress=False)


def trained_kernels(model):
    """{layer name: the kernel variable its QAT wrapper trains} (the layer's own `kernel`
    attribute holds the last fake-quantized copy, where small drifts round back to zero)."""
    return {unwrap(layer).name: w for layer in leaf_layers(model)
            if type(layer).__name__.startswith("QuantizeWrapper")
            for w in layer.weights if w.name == f"{unwrap(layer).name}/kernel:0"}


def test_frame_network_is_quantization_aware_inside_time_distributed(qat_net, tiny_clip_net):
    frame = qat_net.model.get_layer("frame_features")
    assert type(frame).__name__ == "TimeDistributed"
    wrappers = {type(layer).__name__ for layer in frame.layer.layers}
    assert "QuantizeWrapperV2" in wrappers and "QuantizeLayer" in wrappers
    assert {"stem", "stem_bn", "depthwise", "depthwise_bn", "project", "project_bn"} <= \
        set(qat_net.quantized)
    assert set(qat_net.left_float) == {"temporal", "predictions"}
    assert complexity(qat_net.model).params == complexity(tiny_clip_net).params
    assert not any("Quantize" in type(layer).__name__ for layer in leaf_layers(tiny_clip_net))


def test_qat_trains_on_the_clips_and_converts_to_full_int8(qat_net, tiny_clips, tmp_path):
    assert qat_net.training.best_epoch == 1
    saved = export_saved_model(qat_net.model, (4, 32, 32, 3), tmp_path / "saved")
    converted = convert_int8(saved, tmp_path / "qat_int8.tflite", tiny_clips.train.inputs()[:8])
    assert converted.quantization == FULL_INT8
    int8 = TFLiteModel(converted.path)
    clips = tiny_clips.test.inputs()
    int8_scores = np.concatenate([int8.predict(clip[None]) for clip in clips])
    qat_scores = predict(qat_net.model, tiny_clips.test)
    assert np.max(np.abs(int8_scores - qat_scores)) < 0.05


def test_sparsity_survives_qat_with_the_prune_preserving_scheme(tiny_clip_net, tiny_clips):
    sparse = apply_sparsity(tiny_clip_net, parse_sparsity("2:4"), tiny_clips, epochs=1,
                            progress=False).model
    qat = quantize_aware(sparse, tiny_clips, epochs=1, preserve_sparsity=True, progress=False)
    assert is_pruned_m_by_n(trained_kernels(qat.model)["project"], (2, 4))


def test_mobilenet_backbone_is_annotatable_but_not_the_tcn_head(tiny_tf_keras):
    model = tiny_tf_keras("mnv2-tcn")
    backbone = model.get_layer("frame_features").layer
    kinds = {"Conv2D", "DepthwiseConv2D", "BatchNormalization", "ReLU", "Add"}
    layers = [layer for layer in backbone.layers if type(layer).__name__ in kinds]
    assert len(layers) > 100 and all(annotatable(layer) for layer in layers)
    assert not annotatable(model.get_layer("tcn_project"))


def test_batchnorm_after_an_activated_conv_stays_float(tiny_tf_keras):
    """LRCN's blocks are Conv2D(relu) -> BatchNorm: no transform folds that BatchNorm."""
    frame = tiny_tf_keras("lrcn").get_layer("frame_features").layer
    assert annotatable(frame.get_layer("block1_conv"))
    assert not annotatable(frame.get_layer("block1_bn"))
