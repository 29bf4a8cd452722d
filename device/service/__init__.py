"""The agent as a systemd service: the hardened unit and its install, and the sd_notify protocol
(readiness, watchdog, status) spoken without a libsystemd binding.

May import: `har_device.core`, `har_device.config`, `har_device.agent` (its types).
"""
