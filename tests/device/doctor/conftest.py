"""Doctor fixtures: a real mosquitto on a loopback port that knows one user, `cam`/`right-one`."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mqtt_broker import private_broker


@pytest.fixture
def password_broker(tmp_path: Path):
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "cam", "right-one"],
                   check=True, capture_output=True)
    with private_broker(tmp_path / "broker", f"password_file {passwords}\n",
                        anonymous=False) as broker:
        yield broker
