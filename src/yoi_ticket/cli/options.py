"""The options that commands share, and the workspace and overlay they point at.

Command modules import this module and :mod:`yoi_ticket.cli.display`, never
:mod:`yoi_ticket.cli.app` (which imports them to register their commands).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yoi_ticket.cli import completion

if TYPE_CHECKING:
    from yoi_ticket.overlay.folder import Overlay


@dataclass
class GroupState:
    """What the ticket group's own options (``-C``, ``--debug``) set for this run."""

    workspace: Path | None = None
    debug: bool = False


STATE = GroupState()


def choices_metavar(values: Iterable[str]) -> str:
    """``[a|b|c]``: the metavar of an option with these choices, the same in every typer
    release (typer's own spelling changed from ``[a|b]`` to ``<a|b>``)."""
    return "[" + "|".join(values) + "]"


TEXT_FORMATS = ("text", "json")
DEPRECATED_FORMATS = {"table": "text"}
"""Old names still accepted, with a warning: ``list``, ``claims`` and ``sessions`` called
their human format ``table`` until every command's became ``text``."""


def text_format(value: str) -> str:
    """``--format`` of the listing commands: ``text`` or ``json`` (``table`` still means
    ``text``, with a warning); anything else is a usage error."""
    if value in DEPRECATED_FORMATS:
        new = DEPRECATED_FORMATS[value]
        typer.echo(f"warning: --format {value} is deprecated; use --format {new}", err=True)
        return new
    if value not in TEXT_FORMATS:
        allowed = ", ".join(repr(name) for name in TEXT_FORMATS)
        raise typer.BadParameter(f"{value!r} is not one of {allowed}.")
    return value


def _complete_text_format(incomplete: str) -> list[str]:
    return [name for name in TEXT_FORMATS if name.startswith(incomplete)]


WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-C",
        metavar="DIR",
        help="Workspace directory (default: $YOI_WORKSPACE, else search upwards for .yoi/).",
        show_default=False,
    ),
]
PodOption = Annotated[
    str, typer.Option("--pod", metavar="NAME", help="Pod name.", show_default=False)
]
RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        metavar="ROLE",
        help="Role (default: the Pod's session role).",
        show_default=False,
        autocompletion=completion.roles,
    ),
]
RequiredRoleOption = Annotated[
    str,
    typer.Option(
        "--role", metavar="ROLE", help="Role.", show_default=False, autocompletion=completion.roles
    ),
]
AllowMissingOption = Annotated[
    bool, typer.Option("--allow-missing", help="Allow a ticket that is not in the store.")
]
TicketArgument = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="Ticket id (any case).",
        show_default=False,
        autocompletion=completion.ticket_ids,
    ),
]
TextFormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        metavar=choices_metavar(TEXT_FORMATS),
        parser=text_format,
        help="Output format.",
        autocompletion=_complete_text_format,
    ),
]


def workspace_path(explicit: Path | None) -> Path:
    """The workspace: ``explicit``, else the group's ``-C``, else found from the environment."""
    from yoi_ticket.store.workspace import find_workspace

    return find_workspace(explicit if explicit is not None else STATE.workspace)


def overlay_for(explicit: Path | None) -> Overlay:
    """The local overlay of the workspace that :func:`workspace_path` finds."""
    from yoi_ticket.overlay.folder import Overlay

    return Overlay.for_workspace(workspace_path(explicit))


def split_codes(values: list[str] | None) -> tuple[str, ...]:
    """Repeated, comma-separated rule codes as one upper-case tuple."""
    return tuple(
        part.strip().upper() for value in values or [] for part in value.split(",") if part.strip()
    )
