"""What goes into a bundle: its file table (`files`), the metadata in `har_model.json` and inside
each `.tflite` (`metadata`), and the streaming split into a per-frame network and a temporal head
(`streaming`, with the head's input projection moved into the frame network: `hoist`).

May import: `har_convert.graph`, `har_convert.bridge`, `har_convert.quantize`, TensorFlow,
tf_keras, `har_device.core`.
"""
