"""How every har-edge command ends: `run_cli` turns the error contract into one line and an exit
code (docs/design.md, "Exit codes"). The host's commands use it too, so both sides end alike."""
from __future__ import annotations

import os
import sys
from typing import Callable, NoReturn

import click

from har_device.core.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, HarEdgeError


def fail(error: HarEdgeError, prog: str) -> NoReturn:
    click.echo(f"{prog}: error: {error}", err=True)
    sys.exit(error.exit_code)
def run_cli(command: click.Command, prog: str) -> Callable[[], None]:
    """Wrap a click command so HarEdgeError and click's usage errors all exit with one line.

    Set HAR_EDGE_DEBUG=1 to get the traceback of an unexpected exception instead.
    """

    def main() -> None:
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
