"""Proof that the converted model still works: every stage scored on held-out clips (`stages`,
`scoring`, `eval_set`), the metrics (`metrics`) and the report (`report`).

May import: `har_convert.graph`, `har_convert.bridge`, `har_convert.quantize`,
`har_convert.export`, `har_convert.train`, `har_convert.data`, TensorFlow, matplotlib,
`har_device.core`.
"""
