"""Training: the reference architectures of the published HAR designs (`zoo`), `har-train`'s
fitting (`fit`) and the distilled fine-tuning after pruning (`finetune`).

May import: `har_convert.data`, TensorFlow, Keras, tf_keras, `har_device.core`.
"""
