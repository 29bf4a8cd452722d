"""A private mosquitto on a loopback port, for the demo and the tests.

Never the system broker: a free port is picked, the config lives in a temporary folder, and the
broker is stopped on exit. It runs as the calling user (as root, mosquitto would otherwise switch
to the `mosquitto` user and could not read the test's password or certificate files). Extra config lines (a password file, TLS listeners) can be given, so
the tests exercise the same broker features a deployment uses.
"""
from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from har_device.core.errors import WorkFailed

INSTALL_HINT = "install it with: sudo apt-get install mosquitto"


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or next(
        (str(path) for path in (Path("/usr/sbin/mosquitto"), Path("/usr/local/sbin/mosquitto"))
         if path.exists()), None)
    if not found:
        raise WorkFailed(f"mosquitto is not installed; {INSTALL_HINT}")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise WorkFailed(f"mosquitto did not start listening on 127.0.0.1:{port}")


class LocalBroker:
    """`with LocalBroker() as broker:` → a running mosquitto at `broker.url`; `stop()`/`start()`
    simulate an outage on the same port."""

    def __init__(self, port: int | None = None, extra_config: str = "",
                 allow_anonymous: bool = True):
        self.port = port or free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="har-mosquitto-"))
        self.config = self.folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"user {getpass.getuser()}\n"
            f"allow_anonymous {'true' if allow_anonymous else 'false'}\n"
            "persistence false\n"
            f"log_dest file {self.folder / 'mosquitto.log'}\n" + extra_config)
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> "LocalBroker":
        self._process = subprocess.Popen([mosquitto_binary(), "-c", str(self.config)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(self.port)
        except WorkFailed:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None

    def __enter__(self) -> "LocalBroker":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
