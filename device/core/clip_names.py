"""UCF101's file names, `v_<action>_g<group>_c<clip>`: the group (a person, a room) is what the
held-out split keeps apart, on both sides (the host's data folders, the device's synthetic ones)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

_UCF_NAME = re.compile(r"^v_(?P<action>.+)_g(?P<group>\d+)_c(?P<clip>\d+)$")


class UcfName(NamedTuple):
    action: str
    group: int
    clip: int


def parse_ucf_name(filename: str) -> UcfName | None:
    """`v_ApplyEyeMakeup_g08_c01.avi` -> UcfName("ApplyEyeMakeup", 8, 1); other names -> None."""
    match = _UCF_NAME.match(Path(filename).stem)
    if match is None:
        return None
    return UcfName(match["action"], int(match["group"]), int(match["clip"]))
