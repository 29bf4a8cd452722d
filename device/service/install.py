"""Install the agent as a systemd service: user, bundle, config, unit — and take it away again.

Everything is written under a root directory (`/` on the device; a temporary tree in tests or
when preparing an SD-card image), so the same code builds the real installation and the one the
tests inspect. The system user comes from a sysusers.d file applied by `systemd-sysusers`, as
distribution packages do. Installing twice changes nothing: each file is rewritten only when its
content differs.
"""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from har_device.config.schema import load_config, read_yaml
from har_device.core.atomic import atomic_dir, atomic_path
from har_device.core.bundle import load_bundle
from har_device.core.errors import BadInput, WorkFailed

SERVICE = "har-agent"
UNIT_TEMPLATE = Path(__file__).resolve().parents[2] / "systemd" / f"{SERVICE}.service"
TEMPLATE_EXEC = "/opt/har-edge/venv/bin/har-agent"


@dataclass(frozen=True)
class Layout:
    """Where each part goes, relative to the root being installed into."""

    root: Path
    user: str

    def under(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    @property
    def unit(self) -> Path:
        return self.under(f"/etc/systemd/system/{SERVICE}.service")

    @property
    def sysusers(self) -> Path:
        return self.under(f"/etc/sysusers.d/{SERVICE}.conf")

    @property
    def config_dir(self) -> Path:
        return self.under(f"/etc/{SERVICE}")

    @property
    def state_dir(self) -> Path:
        return self.under(f"/var/lib/{SERVICE}")

    @property
    def is_live_system(self) -> bool:
        return self.root.resolve() == Path("/")


INSTALLED_BUNDLE = f"/var/lib/{SERVICE}/bundle"
INSTALLED_CONFIG = f"/etc/{SERVICE}/config.yaml"


def agent_executable() -> str:
    """The har-agent of the environment running this command: the service runs the same code."""
    beside = Path(sys.executable).with_name("har-agent")
    found = beside if beside.exists() else shutil.which("har-agent")
    if not found:
        raise WorkFailed("cannot find the har-agent executable of this environment")
    return str(Path(found).absolute())


def render_unit(user: str, executable: str) -> str:
    if not UNIT_TEMPLATE.is_file():
        raise WorkFailed(f"{UNIT_TEMPLATE}: unit template missing (install har-edge from its "
                         "source tree: pip install -e '.[device]')")
    text = UNIT_TEMPLATE.read_text().replace(TEMPLATE_EXEC, executable)
    return text.replace("User=har\n", f"User={user}\n").replace("Group=har\n", f"Group={user}\n")


def service_config(config: Path | None, bundle: Path | None) -> tuple[str, Path]:
    """The config to install (pointing at the installed bundle) and the bundle to copy."""
    data = read_yaml(config)[0] if config else {}
    source_bundle = bundle or (Path(data["bundle"]) if data.get("bundle") else None)
    if source_bundle is None:
        raise BadInput("install-service needs a bundle: --bundle DIR or `bundle:` in --config")
    load_bundle(source_bundle)
    load_config(config, {"bundle": source_bundle})
    installed = {**data, "bundle": INSTALLED_BUNDLE}
    return yaml.safe_dump(installed, sort_keys=False), source_bundle


def _write_if_changed(path: Path, text: str, mode: int, uid: int = 0, gid: int = 0) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        _own(path, mode, uid, gid)
        return False
    with atomic_path(path) as tmp:
        tmp.write_text(text)
        _own(tmp, mode, uid, gid)
    return True


def _own(path: Path, mode: int, uid: int, gid: int) -> None:
    os.chmod(path, mode)
    if os.geteuid() == 0:
        os.chown(path, uid, gid)


def _ids(layout: Layout) -> tuple[int, int]:
    """uid and gid of the service user in the target root's own passwd/group files."""
    if layout.is_live_system:
        return pwd.getpwnam(layout.user).pw_uid, grp.getgrnam(layout.user).gr_gid
    users = {line.split(":")[0]: line.split(":") for line in
             layout.under("/etc/passwd").read_text().splitlines() if line}
    entry = users[layout.user]
    return int(entry[2]), int(entry[3])


def create_user(layout: Layout) -> tuple[int, int]:
    text = (f'u {layout.user} - "har-edge agent" /var/lib/{SERVICE}\n'
            f"m {layout.user} video\n")
    _write_if_changed(layout.sysusers, text, 0o644)
    command = ["systemd-sysusers", str(layout.sysusers)]
    if not layout.is_live_system:
        command.insert(1, f"--root={layout.root}")
    _run(command)
    return _ids(layout)


def _same_bundle(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    return b.is_dir() and names == sorted(p.name for p in b.iterdir()) and all(
        (a / name).read_bytes() == (b / name).read_bytes() for name in names)


def install_bundle(layout: Layout, bundle: Path, uid: int, gid: int) -> bool:
    target = layout.under(INSTALLED_BUNDLE)
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    _own(layout.state_dir, 0o750, uid, gid)
    if _same_bundle(bundle, target):
        return False
    with atomic_dir(target) as tmp:
        for item in sorted(bundle.iterdir()):
            if item.is_file():
                shutil.copyfile(item, tmp / item.name)
                _own(tmp / item.name, 0o640, uid, gid)
        _own(tmp, 0o750, uid, gid)
    return True


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise WorkFailed(f"{command[0]} not found: is this a systemd system?") from None
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or error.stdout or "").strip().splitlines()
        raise WorkFailed(f"{' '.join(command)} failed: {detail[-1] if detail else error}") from None


def install(layout: Layout, config: Path | None, bundle: Path | None, start: bool) -> list[str]:
    """Install or update; returns what changed (empty on a repeated install)."""
    config_text, source_bundle = service_config(config, bundle)
    uid, gid = create_user(layout)
    changed = []
    if install_bundle(layout, source_bundle, uid, gid):
        changed.append(INSTALLED_BUNDLE)
    layout.config_dir.mkdir(parents=True, exist_ok=True)
    _own(layout.config_dir, 0o750, 0, gid)
    if _write_if_changed(layout.under(INSTALLED_CONFIG), config_text, 0o640, 0, gid):
        changed.append(INSTALLED_CONFIG)
    if _write_if_changed(layout.unit, render_unit(layout.user, agent_executable()), 0o644):
        changed.append(str(Path("/") / layout.unit.relative_to(layout.root)))
    if layout.is_live_system and start:
        _run(["systemctl", "daemon-reload"])
        _run(["systemctl", "enable", "--now", SERVICE])
        if changed:
            _run(["systemctl", "restart", SERVICE])
    return changed


def uninstall(layout: Layout, purge: bool, stop: bool) -> list[str]:
    """Stop and remove the unit; data and config stay unless `purge` (the user always stays)."""
    if layout.is_live_system and stop and layout.unit.exists():
        _run(["systemctl", "disable", "--now", SERVICE])
    removed = [path for path in (layout.unit, layout.sysusers) if path.exists()]
    for path in removed:
        path.unlink()
    if purge:
        for directory in (layout.config_dir, layout.state_dir,
                          layout.under(f"/var/log/{SERVICE}")):
            if directory.exists():
                shutil.rmtree(directory)
                removed.append(directory)
    if layout.is_live_system and stop:
        _run(["systemctl", "daemon-reload"])
    return [str(Path("/") / path.relative_to(layout.root)) for path in removed]
