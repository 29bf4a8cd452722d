"""The Raspberry Pi camera through picamera2 (from apt on Raspberry Pi OS; never a pip dependency).

picamera2 comes from apt with its C extensions (simplejpeg, libcamera's bindings) built against
apt's numpy. Importing it can fail in more ways than a missing module: a venv whose numpy major
differs from apt's raises `ValueError: numpy.dtype size changed` or `ImportError: numpy.core.
multiarray failed to import` from deep inside. `import_picamera2` turns every failure into one
line that names the cause and the fix (`har-agent doctor` shows the same line).
"""
from __future__ import annotations

import contextlib
import io
from importlib import metadata
from types import ModuleType

import numpy as np

from har_device.core.errors import BadInput

INSTALL_FIX = ("sudo apt install python3-picamera2, and a venv made with "
               "python3 -m venv --system-site-packages")
# What a C extension built for another numpy major says when imported (numpy 1.x and 2.x wording).
NUMPY_MISMATCH_SIGNS = ("numpy.dtype size changed", "numpy.core.multiarray failed to import",
                        "numpy.core._multiarray_umath failed to import", "_ARRAY_API not found",
                        "compiled using NumPy 1.x")
NUMPY_FIX = {1: "pip install -c constraints/bookworm.txt -e '.[device]' (numpy<2, as apt's)",
             2: "pip install -c constraints/trixie.txt -e '.[device]' (numpy 2, as apt's)"}


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


def _system_numpy_major() -> int:
    """The numpy major apt's extensions expect: the other one than the venv's."""
    return 1 if int(np.__version__.split(".")[0]) >= 2 else 2


class Picamera2Unavailable(BadInput):
    """picamera2 does not import: `cause` and `fix`, each a short clause, make the one line."""

    def __init__(self, cause: str, fix: str):
        super().__init__(f"picamera2: {cause}; fix: {fix}")
        self.cause, self.fix = cause, fix


def import_failure(error: BaseException) -> Picamera2Unavailable:
    """Why `import picamera2` failed and what to do about it."""
    if isinstance(error, ModuleNotFoundError) and error.name == "picamera2":
        return Picamera2Unavailable("the module is not installed", INSTALL_FIX)
    if any(sign in str(error) for sign in NUMPY_MISMATCH_SIGNS):
        wanted = _system_numpy_major()
        return Picamera2Unavailable(f"apt's picamera2 is built for numpy {wanted}.x but this venv "
                                    f"has numpy {np.__version__} ({_first_line(error)})",
                                    NUMPY_FIX[wanted])
    if isinstance(error, ModuleNotFoundError):
        return Picamera2Unavailable(f"it needs the module {error.name!r}, which is missing",
                                    "sudo apt install --reinstall python3-picamera2 python3-libcamera")
    return Picamera2Unavailable(f"the import failed ({_first_line(error)})",
                                "sudo apt install --reinstall python3-picamera2")


def import_picamera2() -> ModuleType:
    """Import picamera2 or raise `Picamera2Unavailable` (a BadInput: one line, exit 2).

    A numpy-2 venv over numpy-1 extensions prints a page about "A module that was compiled using
    NumPy 1.x" to stderr before raising; it is swallowed, since the one line says it all.
    """
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            import picamera2
    except Exception as error:  # noqa: BLE001 - any failure of a system package's import
        raise import_failure(error) from None
    return picamera2


def picamera2_version() -> str:
    try:
        return metadata.version("picamera2")
    except metadata.PackageNotFoundError:
        return "unknown version"


class Picamera2Grabber:
    """The Raspberry Pi camera through picamera2, imported only when this source is asked for.

    libcamera's "RGB888" format is stored B, G, R in memory, which is OpenCV's order already.
    """

    def __init__(self, width: int = 640, height: int = 480):
        self.size = (width, height)
        self._camera = None

    def open(self) -> None:
        camera = import_picamera2().Picamera2()
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
