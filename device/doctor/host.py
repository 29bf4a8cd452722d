"""The machine around the agent: disk for the outbox and logs, the Pi's throttling, temperature,
and the systemd unit's state."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from har_device.config.mqtt import default_state_dir
from har_device.doctor.report import Result, Status, Target
from har_device.mqtt.telemetry import cpu_temperature_c
from har_device.service.install import SERVICE

LOW_DISK_MB, SHORT_DISK_MB = 1024, 100
WARM_C, HOT_C = 70.0, 80.0
# vcgencmd get_throttled: bits 0-3 hold now, bits 16-19 have held since boot.
THROTTLE_BITS = {0: "under-voltage", 1: "ARM frequency capped", 2: "throttled",
                 3: "soft temperature limit"}
POWER_FIX = ("use the official power supply (Pi 5: 5 V 5 A, Pi 4: 5.1 V 3 A) and a heatsink or "
             "fan; see vcgencmd get_throttled")


def _existing(path: Path) -> Path:
    """The nearest existing folder of `path`: what will hold it once it is made."""
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def _folders(target: Target) -> list[Path]:
    """Where the agent writes: the outbox's state folder and the logs' folders."""
    config = target.config
    settings = config.mqtt if config else None
    folders = [(settings.state_dir if settings and settings.state_dir else default_state_dir())]
    if config:
        folders += [log.parent for log in (config.latency_log, config.events_log) if log]
    return folders


def disk_space(target: Target) -> Result:
    """Free space where the outbox and the logs go."""
    free = {folder: shutil.disk_usage(_existing(folder)).free // 2**20
            for folder in _folders(target)}
    folder, mb = min(free.items(), key=lambda item: item[1])
    found = f"{mb} MB free for {folder}"
    if mb < SHORT_DISK_MB:
        return Result("disk", Status.FAIL, found, "free space on that file system (or move "
                                                 "state_dir/latency_log elsewhere)")
    if mb < LOW_DISK_MB:
        return Result("disk", Status.WARN, found, "the outbox and the latency log need room to grow")
    return Result("disk", Status.OK, found)


def _flags(value: int, shift: int) -> list[str]:
    return [name for bit, name in THROTTLE_BITS.items() if value & (1 << (bit + shift))]


def throttling(target: Target) -> Result:
    """The Pi firmware's throttling flags (vcgencmd), now and since boot."""
    if shutil.which("vcgencmd") is None:
        return Result("throttling", Status.SKIP, "no vcgencmd (not a Raspberry Pi)")
    output = subprocess.run(["vcgencmd", "get_throttled"], capture_output=True, text=True,
                            timeout=10).stdout.strip()
    try:
        value = int(output.partition("=")[2], 16)
    except ValueError:
        return Result("throttling", Status.WARN, f"vcgencmd said {output!r}",
                      "sudo usermod -aG video $USER (vcgencmd needs /dev/vchiq)")
    if _flags(value, 0):
        return Result("throttling", Status.FAIL, f"{output}: now {', '.join(_flags(value, 0))}",
                      POWER_FIX)
    if _flags(value, 16):
        return Result("throttling", Status.WARN, f"{output}: since boot "
                                                 f"{', '.join(_flags(value, 16))}", POWER_FIX)
    return Result("throttling", Status.OK, output)


def temperature(target: Target) -> Result:
    """The hottest thermal zone: a Pi throttles from 80 °C (85 °C hard)."""
    celsius = cpu_temperature_c(target.system.thermal)
    if celsius is None:
        return Result("temperature", Status.SKIP, f"no thermal zone in {target.system.thermal}")
    found = f"{celsius:.1f} °C"
    if celsius >= HOT_C:
        return Result("temperature", Status.FAIL, found, "add a heatsink or a fan; give the case air")
    if celsius >= WARM_C:
        return Result("temperature", Status.WARN, found, "under load it will throttle: add cooling")
    return Result("temperature", Status.OK, found)


def _systemctl(*args: str) -> str:
    return subprocess.run(["systemctl", *args, SERVICE], capture_output=True, text=True,
                          timeout=20).stdout.strip()


def systemd_unit(target: Target) -> Result:
    """The service's state, where systemd runs."""
    if not target.system.systemd_run.is_dir() or shutil.which("systemctl") is None:
        return Result("service", Status.SKIP, "systemd is not running here")
    enabled = _systemctl("is-enabled")
    if enabled in ("", "not-found"):
        return Result("service", Status.SKIP, f"{SERVICE} is not installed",
                      "sudo har-agent install-service --config agent.yaml --bundle bundle/")
    active = _systemctl("is-active")
    found = f"{SERVICE}: {active}, {enabled}"
    if active == "failed":
        return Result("service", Status.FAIL, found, f"journalctl -u {SERVICE} -n 50 says why")
    if active != "active" or enabled != "enabled":
        return Result("service", Status.WARN, found, f"sudo systemctl enable --now {SERVICE}")
    return Result("service", Status.OK, found)
