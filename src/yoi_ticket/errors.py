"""The one base exception for expected failures and the exit codes it maps to.

The CLI turns a :class:`YoiError` into one line on stderr (plus an optional
hint) and its ``exit_code``; anything else is an internal error (exit 3).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1  # findings at or above --fail-on, or a refused claim
EXIT_USAGE = 2  # usage or environment error
EXIT_INTERNAL = 3


class YoiError(Exception):
    """An expected failure: reported as one line, never as a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(YoiError):
    """Bad option, bad argument or bad environment (exit 2)."""

    exit_code = EXIT_USAGE


class NotAWorkspaceError(UsageError):
    """No ``.yoi/`` directory was found where one was expected."""


class ConfigError(UsageError):
    """``.yoi/ticket.config.toml`` cannot be read or parsed."""


class InvalidNameError(UsageError):
    """A ticket id or Pod name that must never become a path component."""


class TicketNotFoundError(YoiError):
    """No ticket matches the given id or prefix (exit 1)."""

    exit_code = EXIT_FINDINGS


class AmbiguousTicketError(UsageError):
    """An id prefix matches more than one ticket."""


class RefusedError(YoiError):
    """A claim, release or launch was refused (exit 1)."""

    exit_code = EXIT_FINDINGS
