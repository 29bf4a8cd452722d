"""Where frames come from: a camera, a stream, a file, a Pi camera or a rendered synthetic scene.

Every source yields `Frame`s. Files and synthetic scenes are replayed frame by frame (nothing is
dropped, the run ends at the end of the stream unless it loops). Live sources are read by a thread
that keeps only the newest frame: when the model is slower than the camera, stale frames are
dropped and counted instead of queueing up as lag. A live source that stalls or fails is reopened
with exponential backoff; one that cannot be opened at start-up is a `BadInput` (exit 2).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol

import cv2
import numpy as np

from har_device.errors import BadInput

SYNTHETIC_PREFIX = "synthetic:"
DEFAULT_SYNTHETIC_SCRIPT = "walk:4,fall:3,idle:3,bend:3,sit:4,wave:3,fall:3,idle:2"


@dataclass(frozen=True)
class Frame:
    """One captured frame and when it was captured.

    `stream_s` is the frame's time in the stream (a file's own clock, or seconds since a live source
    started): subsampling and event times use it. `captured_mono` is the monotonic clock at capture,
    for latency; `captured_wall` is the wall clock, for event timestamps.
    """

    index: int
    image: np.ndarray
    stream_s: float
    captured_mono: float
    captured_wall: float


class Source(Protocol):
    name: str
    dropped: int
    reconnects: int

    def frames(self, stop: threading.Event) -> Iterator[Frame]: ...

    def close(self) -> None: ...


def _stamp(index: int, image: np.ndarray, stream_s: float) -> Frame:
    return Frame(index, image, stream_s, time.monotonic(), time.time())


class ReplaySource:
    """A finite, deterministic stream (a video file or a synthetic scene): every frame, in order."""

    def __init__(self, name: str, open_frames: Callable[[], Iterator[np.ndarray]], fps: float,
                 loop: bool = False):
        self.name = name
        self.fps = fps
        self.loop = loop
        self.dropped = 0
        self.reconnects = 0
        self._open_frames = open_frames

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        index = 0
        while not stop.is_set():
            for image in self._open_frames():
                if stop.is_set():
                    return
                yield _stamp(index, image, index / self.fps)
                index += 1
            if not self.loop or index == 0:
                return

    def close(self) -> None:
        """Nothing is held open between frames."""


def file_source(path: Path, loop: bool) -> ReplaySource:
    from har_device.video import iter_frames, probe

    info = probe(path)
    if info.fps <= 0:
        raise BadInput(f"{path}: the video has no frame rate; re-encode it with one")
    return ReplaySource(str(path), lambda: iter_frames(path), info.fps, loop)


def synthetic_source(spec: str, loop: bool) -> ReplaySource:
    """`synthetic:` [SCRIPT] [;fps=R][;size=S][;seed=K] — a rendered scene from har-synth."""
    from har_device.synth import iter_script_frames, parse_script

    script, options = _split_options(spec[len(SYNTHETIC_PREFIX):])
    script = script or DEFAULT_SYNTHETIC_SCRIPT
    parse_script(script)
    fps = float(options.get("fps", 8))
    size = int(options.get("size", 112))
    seed = int(options.get("seed", 0))
    return ReplaySource(f"synthetic:{script}", lambda: iter_script_frames(script, fps, size, seed),
                        fps, loop)


def _split_options(text: str) -> tuple[str, dict[str, str]]:
    head, *parts = text.split(";")
    options: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in ("fps", "size", "seed"):
            raise BadInput(f"source option {part!r}: expected fps=R, size=S or seed=K")
        options[key.strip()] = value.strip()
    return head.strip(), options


class Grabber(Protocol):
    """What a live source reads from: opened, read frame by frame, closed, reopened on failure."""

    def open(self) -> None: ...

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


class OpenCVGrabber:
    """A V4L2 camera, an RTSP/HTTP stream or a GStreamer pipeline through cv2.VideoCapture."""

    def __init__(self, target: int | str, backend: int = cv2.CAP_ANY):
        self.target = target
        self.backend = backend
        self._capture: cv2.VideoCapture | None = None

    def open(self) -> None:
        capture = cv2.VideoCapture(self.target, self.backend)
        if not capture.isOpened():
            capture.release()
            raise OSError(f"cannot open {self.target!r}")
        self._capture = capture

    def read(self) -> np.ndarray | None:
        if self._capture is None:
            return None
        ok, image = self._capture.read()
        return image if ok else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class Picamera2Grabber:
    """The Raspberry Pi camera through picamera2, imported only when this source is asked for.

    libcamera's "RGB888" format is stored B, G, R in memory, which is OpenCV's order already.
    """

    def __init__(self, width: int = 640, height: int = 480):
        self.size = (width, height)
        self._camera = None

    def open(self) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise BadInput("picamera2: the module is not installed (on Raspberry Pi OS: "
                           "sudo apt install python3-picamera2, and a venv with "
                           "--system-site-packages)") from None
        camera = Picamera2()
        camera.configure(camera.create_video_configuration(
            main={"size": self.size, "format": "RGB888"}))
        camera.start()
        self._camera = camera

    def read(self) -> np.ndarray | None:
        return None if self._camera is None else self._camera.capture_array("main")

    def close(self) -> None:
        if self._camera is not None:
            self._camera.stop()
            self._camera.close()
            self._camera = None


class LiveSource:
    """A camera read by its own thread; the consumer always gets the newest frame.

    Frames the consumer never took are counted in `dropped`. No frame for `stall_timeout_s`, or a
    failed read, closes the grabber and reopens it with exponential backoff (counted in
    `reconnects`) while the consumer simply waits for the next frame.
    """

    def __init__(self, name: str, grabber: Grabber, stall_timeout_s: float = 5.0,
                 max_backoff_s: float = 30.0):
        self.name = name
        self.dropped = 0
        self.reconnects = 0
        self._grabber = grabber
        self._stall_timeout_s = stall_timeout_s
        self._max_backoff_s = max_backoff_s
        self._condition = threading.Condition()
        self._newest: Frame | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_mono = 0.0
        self._last_frame_mono = 0.0

    def start(self) -> "LiveSource":
        try:
            self._grabber.open()
        except BadInput:
            raise
        except Exception as error:  # noqa: BLE001 - drivers raise anything; all mean "no camera"
            raise BadInput(f"camera {self.name}: cannot be opened ({error})") from None
        self._started_mono = self._last_frame_mono = time.monotonic()
        self._thread = threading.Thread(target=self._capture_loop, name=f"source {self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def _capture_loop(self) -> None:
        index = 0
        while not self._stop.is_set():
            image = self._read_or_none()
            if image is None:
                if time.monotonic() - self._last_frame_mono >= self._stall_timeout_s:
                    self._reopen()
                continue
            now = time.monotonic()
            self._last_frame_mono = now
            frame = Frame(index, image, now - self._started_mono, now, time.time())
            index += 1
            with self._condition:
                if self._newest is not None:
                    self.dropped += 1
                self._newest = frame
                self._condition.notify()

    def _read_or_none(self) -> np.ndarray | None:
        try:
            image = self._grabber.read()
        except Exception:  # noqa: BLE001 - any driver failure is a lost camera: reopen it
            image = None
        if image is None:
            self._stop.wait(0.01)
        return image

    def _reopen(self) -> None:
        backoff = 0.5
        self._grabber.close()
        while not self._stop.is_set():
            self.reconnects += 1
            try:
                self._grabber.open()
                self._last_frame_mono = time.monotonic()
                return
            except Exception:  # noqa: BLE001 - keep trying: the camera may come back
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        while not (self._stop.is_set() or stop.is_set()):
            with self._condition:
                self._condition.wait_for(lambda: self._newest is not None or stop.is_set()
                                         or self._stop.is_set(), timeout=0.25)
                frame, self._newest = self._newest, None
            if frame is not None:
                yield frame

    def close(self) -> None:
        self._stop.set()
        with self._condition:
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._grabber.close()


def jetson_csi_pipeline(sensor_id: int = 0, width: int = 1280, height: int = 720, fps: int = 30,
                        flip: int = 0) -> str:
    """The usual nvarguscamerasrc pipeline for a Jetson CSI camera, ending in BGR for OpenCV."""
    return (f"nvarguscamerasrc sensor-id={sensor_id} ! "
            f"video/x-raw(memory:NVMM), width={width}, height={height}, framerate={fps}/1 ! "
            f"nvvidconv flip-method={flip} ! video/x-raw, format=BGRx ! "
            "videoconvert ! video/x-raw, format=BGR ! appsink drop=true max-buffers=1")


def _size_option(text: str, default: tuple[int, int]) -> tuple[int, int]:
    if not text:
        return default
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise BadInput(f"source size {text!r}: expected WIDTHxHEIGHT, e.g. 640x480")
    return int(width), int(height)


def open_source(spec: str, loop: bool = False, stall_timeout_s: float = 5.0) -> Source:
    """Turn a `--source` value into a started source.

    `0` or `/dev/videoN`: a V4L2 camera; `rtsp://…`, `http(s)://…`: a network stream; a string with
    ` ! `: a GStreamer pipeline; `csi:N[:WxH]`: a Jetson CSI camera; `picamera2[:WxH]`: the Pi
    camera; `synthetic:[SCRIPT][;fps=R;size=S;seed=K]`: a rendered scene; anything else: a file.
    """
    spec = spec.strip()
    if spec.startswith(SYNTHETIC_PREFIX):
        return synthetic_source(spec, loop)
    live = _live_grabber(spec)
    if live is not None:
        return LiveSource(spec, live, stall_timeout_s).start()
    path = Path(spec)
    if not path.exists():
        raise BadInput(f"source {spec!r}: no such file, and not a camera, stream or pipeline")
    return file_source(path, loop)


def _live_grabber(spec: str) -> Grabber | None:
    if spec.isdigit():
        return OpenCVGrabber(int(spec), cv2.CAP_V4L2)
    if spec.startswith("/dev/video"):
        return OpenCVGrabber(spec, cv2.CAP_V4L2)
    if spec.split("://", 1)[0] in ("rtsp", "rtsps", "http", "https", "udp", "tcp"):
        return OpenCVGrabber(spec, cv2.CAP_FFMPEG)
    if " ! " in spec:
        return OpenCVGrabber(spec, cv2.CAP_GSTREAMER)
    kind, _, rest = spec.partition(":")
    if kind == "csi":
        sensor, _, size = rest.partition(":")
        if sensor and not sensor.isdigit():
            raise BadInput(f"source {spec!r}: expected csi:N or csi:N:WIDTHxHEIGHT")
        width, height = _size_option(size, (1280, 720))
        return OpenCVGrabber(jetson_csi_pipeline(int(sensor or 0), width, height), cv2.CAP_GSTREAMER)
    if kind == "picamera2":
        return Picamera2Grabber(*_size_option(rest, (640, 480)))
    return None
