"""har_device: everything that runs on the device (LiteRT, OpenCV, paho-mqtt; never TensorFlow).

Third-party log lines are silenced before any of those libraries loads (har_device.core.quiet).
"""
from har_device.core.quiet import quiet_third_party

quiet_third_party()

__version__ = "0.1.0"
