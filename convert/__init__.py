"""har_convert: the host side (TensorFlow): data loading, the model zoo, training and conversion.

TensorFlow's C++ start-up chatter (CUDA probing on a CPU machine, oneDNN notices) buries the
commands' own output: its log-level variables are set before any submodule imports it
(har_device.core.quiet; -v/--verbose or HAR_EDGE_DEBUG=1 lets it through).
"""
from har_device.core.quiet import quiet_third_party

quiet_third_party()

__version__ = "0.1.0"
