"""How every har-edge command starts and ends.

`run_cli` turns the error contract into one line and an exit code (docs/design.md, "Exit codes");
the host's commands use it too, so both sides end alike. `common_options` gives every command
`--version` and `-v/--verbose` (third-party log lines, silenced by default: har_device.core.quiet).
"""
from __future__ import annotations

import os
import sys
from typing import Callable, NoReturn, TypeVar

import click

from har_device.core.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, HarEdgeError
from har_device.core.quiet import be_verbose, quiet_third_party

Command = TypeVar("Command", bound=Callable)


def _verbose(_context: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        be_verbose()


def common_options(version: str) -> Callable[[Command], Command]:
    """`--version` and `-v/--verbose`; eager, so they act before the other options are read."""

    def decorate(command: Command) -> Command:
        command = click.option("-v", "--verbose", is_flag=True, expose_value=False,
                               is_eager=True, callback=_verbose,
                               help="Show third-party log lines (TensorFlow, LiteRT, OpenCV).")(
            command)
        return click.version_option(version, "--version", message="%(prog)s %(version)s")(command)

    return decorate


def fail(error: HarEdgeError, prog: str) -> NoReturn:
    click.echo(f"{prog}: error: {error}", err=True)
    sys.exit(error.exit_code)


def run_cli(command: click.Command, prog: str) -> Callable[[], None]:
    """Wrap a click command so HarEdgeError and click's usage errors all exit with one line.

    Set HAR_EDGE_DEBUG=1 to get the traceback of an unexpected exception instead.
    """

    def main() -> None:
        quiet_third_party()
        try:
            command.main(prog_name=prog, standalone_mode=False)
        except HarEdgeError as error:
            fail(error, prog)
        except click.exceptions.Abort:
            click.echo(f"{prog}: aborted", err=True)
            sys.exit(130)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            click.echo(f"{prog}: interrupted", err=True)
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 - last line of defence: one line, exit 1
            if os.environ.get("HAR_EDGE_DEBUG"):
                raise
            click.echo(f"{prog}: error: {type(error).__name__}: {error} "
                       "(set HAR_EDGE_DEBUG=1 for the traceback)", err=True)
            sys.exit(EXIT_FAILED)
        sys.exit(EXIT_OK)

    return main
