"""One error contract for every har-edge command (docs/design.md, "Exit codes").

Exit 0 on success, 1 when the work failed, 2 for bad usage or bad input; a bad input gets one
clear line on stderr naming the file or field and what was expected, never a traceback. Code
raises `BadInput` or `WorkFailed`; the command-line layer (`har_device.cli.entry`) turns them into
that line and exit code.
"""
from __future__ import annotations

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
