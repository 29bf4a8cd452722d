"""All checks in the order the table shows them, and the loop that runs them."""
from __future__ import annotations

from typing import Callable

from har_device.doctor.broker import mqtt_broker
from har_device.doctor.camera import cameras
from har_device.doctor.host import disk_space, systemd_unit, temperature, throttling
from har_device.doctor.model import bundle_hashes, litert_xnnpack
from har_device.doctor.python import numpy_version, opencv, picamera2, python_version
from har_device.doctor.report import Result, Status, Target

Check = Callable[[Target], Result]
CHECKS: tuple[Check, ...] = (python_version, numpy_version, opencv, picamera2, cameras,
                             litert_xnnpack, bundle_hashes, mqtt_broker, disk_space, throttling,
                             temperature, systemd_unit)


def run_checks(target: Target, checks: tuple[Check, ...] = CHECKS) -> list[Result]:
    """Every check, each on its own: one that crashes is a FAIL row, not the end of the table."""
    results = []
    for check in checks:
        try:
            results.append(check(target))
        except Exception as error:  # noqa: BLE001 - a broken check must not hide the others
            results.append(Result(check.__name__, Status.FAIL,
                                  f"the check itself failed: {type(error).__name__}: {error}",
                                  "report this as a bug of har-agent doctor"))
    return results
