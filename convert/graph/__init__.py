"""Walking Keras graphs: the layer calls of a functional model in order (`nodes`), rebuilding a
model layer by layer (`mapping`), and counting parameters and MACs (`complexity`). The bridge,
pruning and the streaming split all stand on it.

May import: TensorFlow, Keras, tf_keras, `har_device.core`.
"""
