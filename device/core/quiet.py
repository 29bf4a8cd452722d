"""Quiet by default: third-party libraries' log lines stay off the terminal unless asked for.

TensorFlow, absl, oneDNN, CUDA probing, LiteRT and OpenCV each print start-up and info lines;
they would bury a command's own one-line error or summary. Most of them honour an environment
variable read when the library loads, so `quiet_third_party` sets those first (only those the
user has not set). A few are written by C++ straight to file descriptor 2 whatever the variables
say (absl's "All log messages before absl::InitializeLog()", LiteRT's "Created TensorFlow Lite
XNNPACK delegate"): `stderr_silenced` redirects descriptor 2 around the call that prints them.
`-v/--verbose` or HAR_EDGE_DEBUG=1 lets everything through.
"""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

VERBOSE_VARIABLES = ("HAR_EDGE_DEBUG", "HAR_EDGE_VERBOSE")
# TensorFlow's C++ logging after start-up (the converter's worker processes too); OpenCV's own
# WARN lines (a camera that cannot be opened); FFmpeg's, through OpenCV ("moov atom not found").
QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "OPENCV_LOG_LEVEL": "ERROR",
    "OPENCV_FFMPEG_LOGLEVEL": "-8",
}
_set_here: set[str] = set()


def verbose() -> bool:
    """Whether the user asked to see third-party log lines (HAR_EDGE_DEBUG=1 or --verbose)."""
    return any(os.environ.get(name) for name in VERBOSE_VARIABLES)


def quiet_third_party() -> None:
    """Set the libraries' log-level variables, before they load, to errors only (inherited by
    the converter's worker processes too), leaving any the user set alone."""
    if verbose():
        return
    for name, value in QUIET_ENVIRONMENT.items():
        if name not in os.environ:
            os.environ[name] = value
            _set_here.add(name)


def be_verbose() -> None:
    """What `-v/--verbose` does: undo `quiet_third_party` for this process and its children.
    OpenCV may already be loaded (the option is read after the imports) and read its variable
    then, so its level goes back to its default, warnings, directly."""
    os.environ["HAR_EDGE_VERBOSE"] = "1"
    for name in _set_here:
        os.environ.pop(name, None)
    _set_here.clear()
    opencv = sys.modules.get("cv2")
    if opencv is not None:
        opencv.utils.logging.setLogLevel(opencv.utils.logging.LOG_LEVEL_WARNING)


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration (unless verbose), then restore it,
    so that C++ log lines no variable controls disappear and our own errors still show."""
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
