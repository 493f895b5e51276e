"""The command line: ``yoi ticket ...``, ``yoi-ticket ...`` and ``python -m yoi_ticket``.

This module builds the typer groups, registers the commands of the command modules
(:mod:`~yoi_ticket.cli.tickets`, :mod:`~yoi_ticket.cli.doctor`, :mod:`~yoi_ticket.cli.claims`,
:mod:`~yoi_ticket.cli.sessions`, :mod:`~yoi_ticket.cli.workspace`,
:mod:`~yoi_ticket.cli.overlay`, :mod:`~yoi_ticket.cli.merge_driver`,
:mod:`~yoi_ticket.cli.restore`), and maps exceptions
and returned exit codes to the process's exit in :func:`_handle`, the one place that does.
Command modules import typer and nothing heavy at module level, so ``--help`` stays fast.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand

from yoi_ticket import __version__
from yoi_ticket.cli import (
    claims,
    doctor,
    merge_driver,
    overlay,
    restore,
    sessions,
    tickets,
    workspace,
)
from yoi_ticket.cli.options import STATE, WorkspaceOption
from yoi_ticket.errors import EXIT_INTERNAL, EXIT_USAGE, YoiError

Command = Callable[..., int]


def group(name: str, help_text: str, *, completion: bool = False) -> typer.Typer:
    """A command group: plain help (no rich), no pretty tracebacks; ``--install-completion``
    and ``--show-completion`` only with ``completion`` (the ``yoi`` group)."""
    return typer.Typer(
        name=name,
        help=help_text,
        no_args_is_help=True,
        add_completion=completion,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"yoi-ticket {__version__}")
        raise typer.Exit()


VersionOption = Annotated[
    bool,
    typer.Option(
        "--version",
        is_eager=True,
        callback=_print_version,
        help="Print the version and exit.",
    ),
]


def _debug() -> bool:
    return STATE.debug or os.environ.get("YOI_DEBUG", "") not in ("", "0")


def _handle(func: Command) -> Callable[..., None]:
    """Run a command; turn expected failures into one line and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = func(*args, **kwargs)
        except typer.Exit:
            raise
        except YoiError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                typer.echo(f"hint: {exc.hint}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except Exception as exc:
            if _debug():
                raise
            typer.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            typer.echo("hint: rerun with --debug (or YOI_DEBUG=1) to see the traceback", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None
        if code:
            raise typer.Exit(int(code))

    return wrapper


class _Argument(TyperArgument):
    """typer's argument, whose help names no Python type (newer typer releases print
    ``ID <str>`` and ``PATH <list[str]>``; the metavar and the help say enough)."""

    def display_type_rich(self, ctx: Any) -> None:
        return None


class _Command(TyperCommand):
    """typer's command, with :class:`_Argument` for its arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _Argument


def _register(target: typer.Typer, commands: Iterable[tuple[str, Command]]) -> None:
    for name, func in commands:
        target.command(name, cls=_Command)(_handle(func))


def _callback(
    workspace: WorkspaceOption = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: VersionOption = False,
) -> None:
    STATE.workspace = workspace
    STATE.debug = debug


def _outer_callback(version: VersionOption = False) -> None:
    """yoi: tools for agent-driven repositories."""


app = group("yoi", "yoi: tools for agent-driven repositories.", completion=True)
app.callback()(_outer_callback)
ticket_app = group("ticket", "Read, check and locally assign the .yoi/tickets store.")
app.add_typer(ticket_app, name="ticket")
ticket_app.callback()(_callback)
for _commands in (
    tickets.COMMANDS,
    doctor.COMMANDS,
    restore.COMMANDS,
    claims.COMMANDS,
    sessions.COMMANDS,
    workspace.COMMANDS,
):
    _register(ticket_app, _commands)

session_app = group("session", sessions.SESSION_HELP)
ticket_app.add_typer(session_app, name="session")
_register(session_app, sessions.SESSION_COMMANDS)

overlay_app = group("overlay", overlay.HELP)
ticket_app.add_typer(overlay_app, name="overlay")
_register(overlay_app, overlay.COMMANDS)

merge_driver_app = group("merge-driver", merge_driver.HELP)
ticket_app.add_typer(merge_driver_app, name="merge-driver")
_register(merge_driver_app, merge_driver.COMMANDS)


# ---------------------------------------------------------------- entry points


def _safe_streams() -> None:
    """Print undecodable file names as ``\\udcff`` escapes instead of failing to encode them."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main() -> None:
    """Console script ``yoi``."""
    _safe_streams()
    if sys.argv[1:2] == ["ticket"]:
        # Straight to the ticket group, with the same usage lines: the outer group
        # would first build a pydantic validator for its own --help flag, which
        # costs more than the rest of `yoi ticket --help` together.
        ticket_app(prog_name="yoi ticket", args=sys.argv[2:])
        return
    app(prog_name="yoi")


def ticket_main() -> None:
    """Console script ``yoi-ticket`` and ``python -m yoi_ticket``."""
    _safe_streams()
    ticket_app(prog_name="yoi-ticket")


__all__ = ["EXIT_USAGE", "app", "group", "main", "ticket_app", "ticket_main"]

if __name__ == "__main__":  # ``python -m yoi_ticket.cli.app``: the bench's fallback for ``yoi``
    main()
