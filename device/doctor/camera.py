"""Cameras the agent can open: the V4L2 node its source names, or what libcamera lists (Pi)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from har_device.doctor.report import Result, Status, Target

CAMERA_FIX = ("check the cable and `ls /dev/video*`; the user must be in the `video` group "
              "(sudo usermod -aG video $USER)")
LIBCAMERA_LISTERS = ("rpicam-hello", "libcamera-hello")


def _v4l2_node(source: str, dev: Path) -> Path | None:
    """The device node of a `0` or `/dev/videoN` source, under `dev`."""
    if source.isdigit():
        return dev / f"video{source}"
    if source.startswith("/dev/video"):
        return dev / Path(source).name
    return None


def _nodes(dev: Path) -> list[str]:
    return sorted(path.name for path in dev.glob("video*"))


def _libcamera_cameras() -> Result:
    lister = next((name for name in LIBCAMERA_LISTERS if shutil.which(name)), None)
    if lister is None:
        return Result("camera", Status.WARN, "no rpicam-hello/libcamera-hello to list cameras",
                      "sudo apt install rpicam-apps")
    done = subprocess.run([lister, "--list-cameras"], capture_output=True, text=True, timeout=30)
    listing = done.stdout + done.stderr
    if "No cameras available" in listing or done.returncode != 0:
        return Result("camera", Status.FAIL, "libcamera lists no camera",
                      "check the ribbon cable (contacts facing the right way) and reboot")
    first = next((line.strip() for line in listing.splitlines() if line.strip()[:2] == "0 "), "")
    return Result("camera", Status.OK, f"libcamera: {first or 'a camera is listed'}")


def cameras(target: Target) -> Result:
    """The camera the source names exists and is readable; others are listed when no source says."""
    dev, source = target.system.dev, target.source
    if source is None:
        found = _nodes(dev)
        return (Result("camera", Status.OK, ", ".join(found)) if found else
                Result("camera", Status.WARN, f"no {dev}/video* node", CAMERA_FIX))
    if source.startswith("picamera2"):
        return _libcamera_cameras()
    node = _v4l2_node(source, dev)
    if node is None and source.startswith("csi:"):
        found = _nodes(dev)
        return (Result("camera", Status.OK, f"CSI: {', '.join(found)}") if found else
                Result("camera", Status.FAIL, f"no {dev}/video* node for the CSI camera",
                       CAMERA_FIX))
    if node is None:
        return Result("camera", Status.SKIP, f"source {source!r} is not a local camera")
    if not node.exists():
        others = ", ".join(_nodes(dev)) or "none"
        return Result("camera", Status.FAIL, f"{node} does not exist (video nodes: {others})",
                      CAMERA_FIX)
    if not os.access(node, os.R_OK | os.W_OK):
        return Result("camera", Status.FAIL, f"{node}: no permission to open it", CAMERA_FIX)
    return Result("camera", Status.OK, str(node))
