"""One error contract for every har-edge command.

DESIGN.md: exit 0 on success, 1 when the work failed, 2 for bad usage or bad input; a bad input gets
one clear line on stderr naming the file or field and what was expected, never a traceback.
Code raises `BadInput` or `WorkFailed`; `run_cli` turns them into that line and exit code.
"""
from __future__ import annotations

import os
import sys
from typing import Callable, NoReturn

import click

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class HarEdgeError(Exception):
    """Base of the errors that end a command with one line instead of a traceback."""

    exit_code = EXIT_FAILED


class BadInput(HarEdgeError):
    """The user gave us something unusable: a file, a flag value, a config field, a camera."""

    exit_code = EXIT_BAD_INPUT


class WorkFailed(HarEdgeError):
    """The input was fine but the work could not be done (or missed a target the user set)."""

    exit_code = EXIT_FAILED


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
