"""What a check returns, and what it looks at."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from har_device.config.schema import AgentConfig


class Status(str, Enum):
    """OK and FAIL; WARN for what works but is fragile; SKIP where the check does not apply here."""

    OK = "OK"
    WARN = "WARN"
    SKIP = "SKIP"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Result:
    check: str
    status: Status
    found: str
    fix: str = ""


@dataclass(frozen=True)
class System:
    """The places on this machine the checks read. The defaults are the real ones; tests replace
    those a test machine cannot have (apt's dist-packages of a Pi, its /dev, its thermal zones)."""

    dist_packages: Path = Path("/usr/lib/python3/dist-packages")
    system_python: Path = Path("/usr/bin/python3")
    dev: Path = Path("/dev")
    thermal: Path = Path("/sys/class/thermal")
    systemd_run: Path = Path("/run/systemd/system")
    sys_path: tuple[str, ...] = field(default_factory=lambda: tuple(sys.path))

    @property
    def sees_system_packages(self) -> bool:
        """Whether this interpreter imports apt's packages (a venv with --system-site-packages
        made from the system's Python)."""
        return str(self.dist_packages) in self.sys_path


@dataclass(frozen=True)
class Target:
    """What is checked: the agent's config (None when only the machine is checked) and the source
    it reads (the config's, or the one given on the command line)."""

    config: AgentConfig | None
    source: str | None = None
    system: System = field(default_factory=System)
