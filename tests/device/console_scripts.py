"""Finding the console script under test (the one installed beside this interpreter)."""
from __future__ import annotations

import sys
from pathlib import Path


def console_script(name: str) -> str:
    """The installed console script beside this interpreter (the environment under test)."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else name
