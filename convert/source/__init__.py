"""The model the user gives: loading it safely (no code runs unless `--unsafe`), and what it says
about itself and its training (input geometry, labels, frame rate).

May import: `har_convert.data`, TensorFlow, Keras, tf_keras, `har_device.core`.
"""
