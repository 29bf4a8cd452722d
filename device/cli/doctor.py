"""`har-agent doctor`: the table of checks (`har_device.doctor`), exit 1 when one fails; and the
same checks as the gate `install-service` passes first."""
from __future__ import annotations

from pathlib import Path

import click
from tabulate import tabulate

from har_device.config.schema import AgentConfig, load_config
from har_device.core.errors import WorkFailed
from har_device.doctor import CHECKS, Result, Status, Target, run_checks
from har_device.doctor.host import systemd_unit


def format_table(results: list[Result]) -> str:
    return tabulate([[r.check, r.status.value, r.found, r.fix] for r in results],
                    headers=["check", "status", "found", "fix"], tablefmt="simple")


def _failed(results: list[Result]) -> list[str]:
    return [result.check for result in results if result.status is Status.FAIL]


def _target(config_path: Path | None, bundle: Path | None, source: str | None) -> Target:
    """The agent's config when there is one (a bundle is what makes one); else the machine alone."""
    config: AgentConfig | None = None
    if config_path or bundle:
        config = load_config(config_path, {"bundle": bundle, "source": source})
    return Target(config, source or (config.source if config else None))


@click.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False,
                                                          exists=True),
              help="agent config: its source, bundle, broker and log folders are checked")
@click.option("--bundle", type=click.Path(path_type=Path, exists=True), help="bundle to check")
@click.option("--source", help="camera to check (default: the config's)")
def doctor(config_path: Path | None, bundle: Path | None, source: str | None) -> None:
    """Check this device for the agent: one row per check with its fix; exit 1 if one fails."""
    results = run_checks(_target(config_path, bundle, source))
    click.echo(format_table(results))
    failed = _failed(results)
    if failed:
        raise WorkFailed(f"doctor: {len(failed)} check(s) failed: {', '.join(failed)}")


def require_healthy(config_path: Path | None, bundle: Path | None) -> None:
    """install-service's gate: the doctor's checks but the unit's own state, which the install
    is about to change. Prints the table and refuses (exit 1) when one fails."""
    checks = tuple(check for check in CHECKS if check is not systemd_unit)
    results = run_checks(_target(config_path, bundle, None), checks)
    failed = _failed(results)
    if failed:
        click.echo(format_table(results), err=True)
        raise WorkFailed(f"install-service: har-agent doctor found {len(failed)} failing check(s) "
                         f"({', '.join(failed)}); fix them, or install anyway with --skip-doctor")
