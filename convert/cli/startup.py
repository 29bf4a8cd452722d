"""The slow import every host command defers until its inputs are checked: TensorFlow.

TensorFlow prints its start-up lines (absl's "All log messages before absl::InitializeLog()",
oneDNN's notice, "Could not find cuda drivers") from C++ while it loads, whatever
TF_CPP_MIN_LOG_LEVEL says, so the import runs with descriptor 2 silenced; afterwards its Python
and absl loggers are set to errors only. `-v/--verbose` or HAR_EDGE_DEBUG=1 shows everything.
"""
from __future__ import annotations

import logging

from har_device.core.quiet import stderr_silenced, verbose


def import_tensorflow() -> None:
    """Import TensorFlow, Keras and tf_keras once, quietly (see the module doc)."""
    with stderr_silenced():
        import keras  # noqa: F401 - loaded here so that its own start-up is silenced too
        import tensorflow as tf
        import tf_keras  # noqa: F401
    if not verbose():
        import absl.logging

        tf.get_logger().setLevel(logging.ERROR)
        absl.logging.set_verbosity(absl.logging.ERROR)
