"""Where frames come from: one module per kind of camera, behind one table (`registry`).

Every source yields `Frame`s (`frames`): replayed ones (`replay`: files, rendered scenes) give every
frame; live ones (`live`, with a grabber from `opencv` or `picamera`) give the newest and count the
drops. May import: `har_device.core`, OpenCV, NumPy, and `har_device.synth` for rendered scenes.
"""
from har_device.sources.frames import Frame, Source
from har_device.sources.live import LiveSource
from har_device.sources.opencv import jetson_csi_pipeline
from har_device.sources.registry import open_source

__all__ = ["Frame", "LiveSource", "Source", "jetson_csi_pipeline", "open_source"]
