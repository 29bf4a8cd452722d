"""What every results file states about itself: the commit and machine it was measured on and
the model it measured, so a stale file is recognisable as one."""
from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def provenance(model: str) -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()

    return {"commit": git("rev-parse", "--short=12", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                       f"{platform.python_version()}",
            "model": model}


def provenance_line(facts: dict[str, Any]) -> str:
    """One markdown line for the top of a results file."""
    return (f"Measured {facts['date']} at commit `{facts['commit']}`"
            f"{' (with uncommitted changes)' if facts['dirty'] else ''} on {facts['machine']}; "
            f"model: {facts['model']}.")
