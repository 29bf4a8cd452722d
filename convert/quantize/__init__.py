"""To integers: quantization-aware training (`qat`), the representative set (`calibration`), the
TFLite conversion in a crash-isolating worker process (`tflite`, `worker`) and the checks of what
came out (`checks`: builtin ops only, XNNPACK coverage).

May import: `har_convert.graph`, `har_convert.train`, `har_convert.data`, TensorFlow, tfmot,
`har_device.core`.
"""
