"""Structured pruning (whole channels removed, with their BatchNorm, depthwise and residual
partners: `groups`, `channels`) and weight sparsity for compression (`sparsity`).

May import: `har_convert.graph`, `har_convert.train`, `har_convert.data`, TensorFlow, tfmot,
`har_device.core`.
"""
