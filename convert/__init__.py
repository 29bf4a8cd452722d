"""har_convert: the host side (TensorFlow): data loading, the model zoo, training and conversion."""
import os

# TensorFlow's C++ start-up chatter (CUDA probing on a CPU machine, oneDNN notices) buries the
# commands' own output; errors still show. Set before any submodule imports TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
