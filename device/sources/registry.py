"""`--source` values → started sources: one table of the kinds of source, tried in order.

    0, /dev/videoN                  a V4L2 camera (OpenCV)
    rtsp://…, http(s)://…, udp://…  a network stream (OpenCV, FFmpeg)
    "… ! … ! appsink"               a GStreamer pipeline (OpenCV)
    csi:N[:WxH]                     a Jetson CSI camera (OpenCV, GStreamer)
    picamera2[:WxH]                 the Raspberry Pi camera (picamera2)
    synthetic:[SCRIPT][;fps=R;size=S;seed=K]   a rendered har-synth scene
    anything else                   a video file

A new kind of camera is one more `SourceKind` in `KINDS`, not another branch in `open_source`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2

from har_device.core.errors import BadInput
from har_device.sources.frames import Source
from har_device.sources.live import Grabber, LiveSource
from har_device.sources.opencv import OpenCVGrabber, jetson_csi_pipeline
from har_device.sources.picamera import Picamera2Grabber
from har_device.sources.replay import SYNTHETIC_PREFIX, file_source, synthetic_source

NETWORK_SCHEMES = ("rtsp", "rtsps", "http", "https", "udp", "tcp")


@dataclass(frozen=True)
class SourceKind:
    """One kind of source: whether a `--source` value names it, and how to open it."""

    name: str
    claims: Callable[[str], bool]
    open: Callable[[str, bool, float], Source]


def _live(make_grabber: Callable[[str], Grabber]) -> Callable[[str, bool, float], Source]:
    return lambda spec, loop, stall_timeout_s: LiveSource(spec, make_grabber(spec),
                                                          stall_timeout_s).start()


def _kind_of(spec: str) -> str:
    return spec.partition(":")[0]


def _csi_grabber(spec: str) -> Grabber:
    sensor, _, size = spec.partition(":")[2].partition(":")
    if sensor and not sensor.isdigit():
        raise BadInput(f"source {spec!r}: expected csi:N or csi:N:WIDTHxHEIGHT")
    width, height = _size_option(size, (1280, 720))
    return OpenCVGrabber(jetson_csi_pipeline(int(sensor or 0), width, height), cv2.CAP_GSTREAMER)


def _file(spec: str, loop: bool, stall_timeout_s: float) -> Source:
    path = Path(spec)
    if not path.exists():
        raise BadInput(f"source {spec!r}: no such file, and not a camera, stream or pipeline")
    return file_source(path, loop)


KINDS: tuple[SourceKind, ...] = (
    SourceKind("synthetic", lambda spec: spec.startswith(SYNTHETIC_PREFIX),
               lambda spec, loop, _: synthetic_source(spec, loop)),
    SourceKind("v4l2", lambda spec: spec.isdigit() or spec.startswith("/dev/video"),
               _live(lambda spec: OpenCVGrabber(int(spec) if spec.isdigit() else spec,
                                                cv2.CAP_V4L2))),
    SourceKind("stream", lambda spec: spec.split("://", 1)[0] in NETWORK_SCHEMES,
               _live(lambda spec: OpenCVGrabber(spec, cv2.CAP_FFMPEG))),
    SourceKind("gstreamer", lambda spec: " ! " in spec,
               _live(lambda spec: OpenCVGrabber(spec, cv2.CAP_GSTREAMER))),
    SourceKind("csi", lambda spec: _kind_of(spec) == "csi", _live(_csi_grabber)),
    SourceKind("picamera2", lambda spec: _kind_of(spec) == "picamera2",
               _live(lambda spec: Picamera2Grabber(
                   *_size_option(spec.partition(":")[2], (640, 480))))),
    SourceKind("file", lambda spec: True, _file),
)


def open_source(spec: str, loop: bool = False, stall_timeout_s: float = 5.0) -> Source:
    """Turn a `--source` value into a started source (the kinds are in the module doc)."""
    spec = spec.strip()
    kind = next(kind for kind in KINDS if kind.claims(spec))
    return kind.open(spec, loop, stall_timeout_s)


def _size_option(text: str, default: tuple[int, int]) -> tuple[int, int]:
    if not text:
        return default
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise BadInput(f"source size {text!r}: expected WIDTHxHEIGHT, e.g. 640x480")
    return int(width), int(height)
