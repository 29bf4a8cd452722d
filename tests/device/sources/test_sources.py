"""Frame sources: files replay every frame, live sources keep the newest, lost cameras come back."""
from __future__ import annotations

import sys
import threading
import time
import types
from pathlib import Path

import numpy as np
import pytest

from har_device.core.errors import BadInput
from har_device.core.video import write_video
from har_device.sources import LiveSource, jetson_csi_pipeline, open_source


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("src") / "count.mp4"
    write_video(path, (np.full((32, 48, 3), 8 * index, np.uint8) for index in range(10)), 10.0)
    return path


def test_file_source_replays_every_frame_with_stream_times(video: Path) -> None:
    frames = list(open_source(str(video)).frames(threading.Event()))
    assert [frame.index for frame in frames] == list(range(10))
    assert frames[3].stream_s == pytest.approx(0.3)
    assert frames[0].image.shape == (32, 48, 3)


def test_file_source_loops_until_stopped(video: Path) -> None:
    stop = threading.Event()
    seen = []
    for frame in open_source(str(video), loop=True).frames(stop):
        seen.append(frame.index)
        if len(seen) == 25:
            stop.set()
    assert seen == list(range(25))


def test_missing_file_and_missing_camera_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        open_source(str(tmp_path / "absent.mp4"))
    with pytest.raises(BadInput, match="camera 7: cannot be opened"):
        open_source("7")


def test_corrupt_video_is_bad_input(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50)
    with pytest.raises(BadInput):
        open_source(str(broken))


class FlakyCamera:
    """A grabber whose device vanishes after `fail_after` frames and comes back when reopened."""

    def __init__(self, fail_after: int):
        self.fail_after, self.opened, self.served = fail_after, 0, 0
        self.alive = False

    def open(self) -> None:
        self.opened += 1
        self.alive = True

    def read(self) -> np.ndarray | None:
        if not self.alive:
            return None
        self.served += 1
        if self.served % self.fail_after == 0:
            self.alive = False
        time.sleep(0.002)
        return np.full((4, 4, 3), self.served % 256, np.uint8)

    def close(self) -> None:
        self.alive = False


def test_live_source_keeps_the_newest_frame_and_counts_drops() -> None:
    source = LiveSource("fake", FlakyCamera(fail_after=10**9)).start()
    stop, taken = threading.Event(), []
    for frame in source.frames(stop):
        taken.append(frame.index)
        time.sleep(0.02)
        if len(taken) == 10:
            break
    source.close()
    assert taken == sorted(taken) and source.dropped > 20
    assert taken[-1] - taken[0] > 9


def test_stalled_camera_is_reopened_and_counted() -> None:
    camera = FlakyCamera(fail_after=5)
    source = LiveSource("fake", camera, stall_timeout_s=0.05).start()
    frames = []
    for frame in source.frames(threading.Event()):
        frames.append(frame)
        if len(frames) == 12:
            break
    source.close()
    assert camera.opened >= 3 and source.reconnects >= 2


def test_camera_that_does_not_open_at_start_is_bad_input() -> None:
    class Absent(FlakyCamera):
        def open(self) -> None:
            raise OSError("no such device")

    with pytest.raises(BadInput, match="camera absent: cannot be opened"):
        LiveSource("absent", Absent(1)).start()


class FakePicamera2:
    """Mirrors the picamera2 calls the source makes (configure/start/capture_array/stop/close)."""

    instances: list["FakePicamera2"] = []

    def __init__(self) -> None:
        self.config, self.started, self.closed = None, False, False
        FakePicamera2.instances.append(self)

    def create_video_configuration(self, main: dict) -> dict:
        return {"main": main, "use_case": "video"}

    def configure(self, config: dict) -> None:
        self.config = config

    def start(self) -> None:
        self.started = True

    def capture_array(self, name: str = "main") -> np.ndarray:
        width, height = self.config["main"]["size"]
        time.sleep(0.005)
        return np.zeros((height, width, 3), np.uint8)

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True


def test_picamera2_source_configures_bgr_frames_of_the_asked_size(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", types.SimpleNamespace(Picamera2=FakePicamera2))
    source = open_source("picamera2:320x240")
    frame = next(iter(source.frames(threading.Event())))
    source.close()
    camera = FakePicamera2.instances[-1]
    assert camera.config["main"] == {"size": (320, 240), "format": "RGB888"}
    assert frame.image.shape == (240, 320, 3) and camera.closed


def test_picamera2_missing_module_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)
    with pytest.raises(BadInput, match="python3-picamera2"):
        open_source("picamera2")


def test_jetson_csi_pipeline_and_bad_specs() -> None:
    pipeline = jetson_csi_pipeline(1, 1920, 1080, 30)
    assert pipeline.startswith("nvarguscamerasrc sensor-id=1 ")
    assert "width=1920, height=1080, framerate=30/1" in pipeline
    assert pipeline.endswith("appsink drop=true max-buffers=1")
    with pytest.raises(BadInput, match="WIDTHxHEIGHT"):
        open_source("picamera2:big")
    with pytest.raises(BadInput, match="csi:N"):
        open_source("csi:left")


def test_synthetic_source_renders_the_scripted_scene() -> None:
    source = open_source("synthetic:walk:1,fall:1;fps=8;size=64;seed=3")
    frames = list(source.frames(threading.Event()))
    assert len(frames) == 16 and frames[0].image.shape == (64, 64, 3)
    assert frames[8].stream_s == pytest.approx(1.0)
    again = list(open_source("synthetic:walk:1,fall:1;fps=8;size=64;seed=3").frames(threading.Event()))
    assert all(np.array_equal(a.image, b.image) for a, b in zip(frames, again))


def test_synthetic_source_rejects_bad_scripts_and_options() -> None:
    with pytest.raises(BadInput):
        open_source("synthetic:jump:2")
    with pytest.raises(BadInput, match="fps=R, size=S or seed=K"):
        open_source("synthetic:walk:2;speed=3")
