"""`har-agent doctor`: whether this machine can run the agent, one check per row, each with its fix.

One module per group of checks: `python` (the interpreter, numpy against apt's, OpenCV and its
GStreamer, picamera2),
`camera` (V4L2 nodes, libcamera), `model` (LiteRT with XNNPACK, the bundle's hashes), `broker`
(MQTT with the config's credentials and TLS), `host` (disk, throttling, temperature, the systemd
unit); `report` holds the result types and the `System` paths the checks read, which the tests
point at stand-ins for what cannot exist on a test machine; `checks` runs them all.

May import: `har_device.service`, `har_device.mqtt`, `har_device.config`, `har_device.sources`,
`har_device.core`; never click (the table is printed by `har_device.cli.doctor`).
"""
from har_device.doctor.checks import CHECKS, run_checks
from har_device.doctor.report import Result, Status, System, Target

__all__ = ["CHECKS", "Result", "Status", "System", "Target", "run_checks"]
