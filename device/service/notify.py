"""The sd_notify protocol, so systemd knows when the agent is ready, alive, busy and stopping.

`Type=notify` services tell systemd their state with datagrams on `$NOTIFY_SOCKET`. The agent
sends `READY=1` only after the first frame went through the model (a service that "started" but
cannot open its camera is not ready), `WATCHDOG=1` only from the frame loop (so a hung camera or
pipeline stops the pings and systemd restarts the service), a `STATUS=` line with fps and the last
event for `systemctl status`, and `STOPPING=1` when it shuts down. Implemented on the standard
library: the protocol is one `sendto` per message.
"""
from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from har_device.agent.loop import AgentStatus


class Notifier:
    """Sends `KEY=value` lines to the socket systemd gave us; silent when there is none."""

    def __init__(self, address: str | None):
        self.address = "\0" + address[1:] if address and address.startswith("@") else address

    @classmethod
    def from_environment(cls) -> "Notifier":
        return cls(os.environ.get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *lines: str) -> None:
        if not self.address:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            try:
                sock.sendto("\n".join(lines).encode(), self.address)
            except OSError:
                pass  # systemd gone (shutdown) or a stale socket: nothing to tell anyone


def watchdog_interval_s() -> float | None:
    """Half of systemd's `WatchdogSec` (from `$WATCHDOG_USEC`), if the watchdog is meant for us."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2e6


class ServiceNotifier:
    """A frame observer that reports readiness, liveness and status to systemd."""

    def __init__(self, notifier: Notifier, watchdog_s: float | None, status_every_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.notifier, self.watchdog_s, self.status_every_s = notifier, watchdog_s, status_every_s
        self.clock = clock
        self.ready = False
        self._last_ping = self._last_status = float("-inf")

    @classmethod
    def from_environment(cls) -> "ServiceNotifier | None":
        notifier = Notifier.from_environment()
        return cls(notifier, watchdog_interval_s()) if notifier.enabled else None

    def frame_done(self, status: "AgentStatus") -> None:
        now = self.clock()
        lines = []
        if not self.ready:
            self.ready = True
            lines.append("READY=1")
        if self.watchdog_s and now - self._last_ping >= self.watchdog_s:
            self._last_ping = now
            lines.append("WATCHDOG=1")
        if now - self._last_status >= self.status_every_s:
            self._last_status = now
            lines.append(f"STATUS={status_line(status)}")
        if lines:
            self.notifier.send(*lines)

    def close(self, status: "AgentStatus") -> None:
        self.notifier.send("STOPPING=1", f"STATUS=stopping after {status.frames_processed} frames")


def status_line(status: "AgentStatus") -> str:
    """What `systemctl status har-agent` shows: rate, latency and the last event."""
    inference = status.latency.percentiles("inference_ms", (50,))["p50"]
    fps = status.frames_processed / max(status.uptime_s, 1e-9)
    last = status.last_event
    event = f"{last['label']} {last['type']} at {last['start_time']}" if last else "none"
    return f"{fps:.1f} fps, inference p50 {inference:.1f} ms, last event: {event}"
