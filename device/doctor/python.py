"""The interpreter and the packages that come from apt: Python against the system's, numpy against
apt's (picamera2's extensions are built for apt's numpy major), picamera2 itself."""
from __future__ import annotations

import importlib.util
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from har_device.doctor.report import Result, Status, Target
from har_device.sources.picamera import (NUMPY_FIX, Picamera2Unavailable, import_picamera2,
                                         picamera2_version)

VENV_FIX = "/usr/bin/python3 -m venv --system-site-packages .venv-device, then install again"
PI_MODEL = Path("/proc/device-tree/model")


def _needs_system_packages(target: Target) -> bool:
    """picamera2 and Jetson's GStreamer OpenCV exist only as apt packages."""
    source = target.source or ""
    return source.startswith(("picamera2", "csi:"))


def _system_python_version(path: Path) -> str | None:
    try:
        done = subprocess.run([str(path), "-c", "import platform; print(platform.python_version())"],
                              capture_output=True, text=True, timeout=20)
    except OSError:
        return None
    return done.stdout.strip() or None


def python_version(target: Target) -> Result:
    """This Python against the system's: apt's packages are built for the system's minor version."""
    here = platform.python_version()
    system = _system_python_version(target.system.system_python)
    needed = _needs_system_packages(target)
    if system is None:
        return Result("python", Status.OK, f"{here} (no system Python at "
                                           f"{target.system.system_python})")
    same = system.split(".")[:2] == here.split(".")[:2]
    if same and target.system.sees_system_packages:
        return Result("python", Status.OK, f"{here}, sees apt's packages (system {system})")
    why = "this venv does not see apt's packages" if same else "apt's packages are for that one"
    return Result("python", Status.FAIL if needed else Status.OK,
                  f"{here} (system {system}); {why}", VENV_FIX if needed else "")


def _numpy_in(paths: list[str]) -> tuple[str, Path] | None:
    """Version and folder of the first numpy on `paths`, as an import would find it."""
    for path in paths:
        for dist in metadata.distributions(name="numpy", path=[path]):
            return dist.version, Path(path)
    return None


def numpy_version(target: Target) -> Result:
    """The venv's numpy against apt's: extensions built for numpy 1.x fail under 2.x and back."""
    system = target.system
    ours = _numpy_in(list(system.sys_path))
    apt = _numpy_in([str(system.dist_packages)])
    if ours is None:
        return Result("numpy", Status.FAIL, "numpy is not importable", "pip install -e '.[device]'")
    version, where = ours
    if apt is None:
        return Result("numpy", Status.OK, f"{version} (no numpy from apt)")
    if where == system.dist_packages:
        return Result("numpy", Status.OK, f"{version}, apt's own")
    apt_major, our_major = int(apt[0].split(".")[0]), int(version.split(".")[0])
    seen = system.sees_system_packages
    if apt_major != our_major and seen:
        return Result("numpy", Status.FAIL,
                      f"{version} in {where} hides apt's {apt[0]}: apt's extensions (picamera2's "
                      "simplejpeg) will not import", NUMPY_FIX[apt_major])
    note = "" if seen else "; this venv does not use apt's packages"
    return Result("numpy", Status.OK, f"{version} (apt's: {apt[0]}{note})")


def _is_raspberry_pi() -> bool:
    try:
        return "Raspberry Pi" in PI_MODEL.read_text(errors="replace")
    except OSError:
        return False


def picamera2(target: Target) -> Result:
    """picamera2 imports: skipped where there is none and none is needed (not a Pi)."""
    wanted = (target.source or "").startswith("picamera2")
    if importlib.util.find_spec("picamera2") is None and not wanted:
        if _is_raspberry_pi():
            return Result("picamera2", Status.WARN, "not installed (needed for the Pi camera)",
                          f"sudo apt install python3-picamera2; {VENV_FIX}")
        return Result("picamera2", Status.SKIP, "not installed, not a Raspberry Pi")
    try:
        import_picamera2()
    except Picamera2Unavailable as error:
        return Result("picamera2", Status.FAIL, error.cause, error.fix)
    return Result("picamera2", Status.OK, f"imports ({picamera2_version()})")


def has_gstreamer(build_information: str) -> bool:
    """Whether OpenCV's build information says it was built with GStreamer."""
    line = next((line for line in build_information.splitlines()
                 if line.strip().startswith("GStreamer:")), "")
    return "YES" in line


def opencv(target: Target) -> Result:
    """OpenCV imports, and has GStreamer where the source is a pipeline (Jetson CSI): pip's wheels
    are built without it, so one in the venv shadows a Jetson's system OpenCV and loses the camera."""
    try:
        import cv2
    except Exception as error:  # noqa: BLE001 - a system package can fail in any way
        return Result("opencv", Status.FAIL, f"cv2 does not import ({type(error).__name__}: "
                                             f"{str(error).strip().splitlines()[0]})",
                      "pip install -e '.[device]'; on a Jetson: the system's OpenCV in a venv with "
                      "--system-site-packages and -e '.[device-base]'")
    where = Path(cv2.__file__).parent.parent
    gstreamer = has_gstreamer(cv2.getBuildInformation())
    source = target.source or ""
    found = f"{cv2.__version__} from {where}, GStreamer {'yes' if gstreamer else 'no'}"
    if not gstreamer and (source.startswith("csi:") or " ! " in source):
        return Result("opencv", Status.FAIL, f"{found}: source {source!r} needs GStreamer",
                      "pip uninstall -y opencv-python-headless (it shadows the system's OpenCV); "
                      "reinstall with -c constraints/jetpack6.txt -e '.[device-base]'")
    return Result("opencv", Status.OK, found)
