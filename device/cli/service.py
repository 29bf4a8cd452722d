"""`har-agent install-service` and `uninstall-service`."""
from __future__ import annotations

import re
from pathlib import Path

import click

from har_device.cli.doctor import require_healthy
from har_device.core.errors import BadInput
from har_device.service.install import SERVICE, Layout, install, uninstall


def _layout(root: Path, user: str) -> Layout:
    if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,30}", user):
        raise BadInput(f"--user {user!r}: expected a system user name such as 'har'")
    if not root.is_dir():
        raise BadInput(f"--root {root}: no such directory")
    return Layout(root, user)


@click.command("install-service")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False,
                                                          exists=True),
              help="agent config to install as /etc/har-agent/config.yaml")
@click.option("--bundle", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="bundle to install under /var/lib/har-agent (default: the config's)")
@click.option("--user", default="har", show_default=True, help="system user the service runs as")
@click.option("--root", type=click.Path(path_type=Path), default=Path("/"), show_default=True,
              help="install into this root instead of the running system (no systemctl)")
@click.option("--no-start", is_flag=True, help="install and do not enable or start the service")
@click.option("--skip-doctor", is_flag=True,
              help="install even when har-agent doctor finds a failing check")
def install_service(config_path: Path | None, bundle: Path | None, user: str, root: Path,
                    no_start: bool, skip_doctor: bool) -> None:
    """Install (or update) the agent as a hardened systemd service.

    On the running system, `har-agent doctor` runs first and a failing check stops the install:
    a service that cannot reach its camera or broker would only restart forever. Into an image
    (--root) it does not run: this machine is not the device.
    """
    layout = _layout(root, user)
    if layout.is_live_system and not skip_doctor:
        require_healthy(config_path, bundle)
    changed = install(layout, config_path, bundle, start=not no_start)
    if not changed:
        click.echo(f"{SERVICE}: already installed, nothing changed")
    for path in changed:
        click.echo(f"{SERVICE}: installed {path}")


@click.command("uninstall-service")
@click.option("--root", type=click.Path(path_type=Path), default=Path("/"), show_default=True)
@click.option("--purge", is_flag=True, help="also delete the config, bundle, outbox and logs")
@click.option("--no-stop", is_flag=True, help="do not call systemctl")
def uninstall_service(root: Path, purge: bool, no_stop: bool) -> None:
    """Remove the service; its data stays unless --purge."""
    for path in uninstall(_layout(root, "har"), purge, stop=not no_stop):
        click.echo(f"{SERVICE}: removed {path}")
