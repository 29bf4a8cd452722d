"""har_convert: the host side (TensorFlow): data loading, the model zoo, training and conversion."""

__version__ = "0.1.0"
