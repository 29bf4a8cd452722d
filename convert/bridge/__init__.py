"""Keras 3 → tf_keras, layer by layer, checked number for number (tfmot and the LSTM fusion of
the TFLite converter work only on tf_keras: docs/design.md, "Tool-chain facts").

May import: `har_convert.graph`, TensorFlow, Keras, tf_keras, `har_device.core`.
"""
