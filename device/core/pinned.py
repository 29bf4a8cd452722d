"""Files pinned by size and sha256 and kept in the user's cache: the BlazePose models and the real
footage. The device never downloads, so a missing or altered file is a `BadInput` in one line that
names the command that fetches it."""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from har_device.core.bundle import sha256_file
from har_device.core.errors import BadInput


class Pinned(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...


def cache_root() -> Path:
    """The user's cache dir (XDG) / har-edge: where pinned downloads are kept."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "har-edge"


@dataclass(frozen=True)
class PinnedCache:
    """One cache folder of pinned files: `$env_dir` when set, else cache_root() / `folder`."""

    env_dir: str
    folder: str
    fetch_command: str
    what: str

    def directory(self) -> Path:
        if os.environ.get(self.env_dir):
            return Path(os.environ[self.env_dir]).expanduser()
        return cache_root() / self.folder

    def verified_path(self, pinned: Pinned, directory: Path | None = None) -> Path:
        """The cached file's path after checking its size and sha256."""
        path = (directory or self.directory()) / pinned.name
        if not path.is_file():
            raise BadInput(f"{path}: {self.what} missing; run `{self.fetch_command}` "
                           f"(or set {self.env_dir})")
        if path.stat().st_size != pinned.size or sha256_file(path) != pinned.sha256:
            raise BadInput(f"{path}: {self.what} does not match its pinned sha256 "
                           f"{pinned.sha256[:12]}…; run `{self.fetch_command}` again")
        return path

    def cached(self, files: Iterable[Pinned], directory: Path | None = None) -> bool:
        """True when every file is present and verified (what tests check before using them)."""
        try:
            for pinned in files:
                self.verified_path(pinned, directory)
        except BadInput:
            return False
        return True
