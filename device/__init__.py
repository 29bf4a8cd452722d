"""har_device: everything that runs on the device (LiteRT, OpenCV, paho-mqtt; never TensorFlow)."""

__version__ = "0.1.0"
