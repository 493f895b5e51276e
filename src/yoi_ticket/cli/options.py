"""The options that commands share, and the workspace and overlay they point at.

Command modules import this module and :mod:`yoi_ticket.cli.display`, never
:mod:`yoi_ticket.cli.app` (which imports them to register their commands).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from yoi_ticket.overlay.folder import Overlay


@dataclass
class GroupState:
    """What the ticket group's own options (``-C``, ``--debug``) set for this run."""

    workspace: Path | None = None
    debug: bool = False


STATE = GroupState()

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-C",
        help="Workspace directory (default: $YOI_WORKSPACE, else search upwards for .yoi/).",
        show_default=False,
    ),
]
PodOption = Annotated[str, typer.Option("--pod", help="Pod name.", show_default=False)]
RoleOption = Annotated[
    str | None,
    typer.Option("--role", help="Role (default: the Pod's session role).", show_default=False),
]
RequiredRoleOption = Annotated[str, typer.Option("--role", help="Role.", show_default=False)]
AllowMissingOption = Annotated[
    bool, typer.Option("--allow-missing", help="Allow a ticket that is not in the store.")
]
TicketArgument = Annotated[str, typer.Argument(metavar="ID", help="Ticket id.")]
TableFormatOption = Annotated[str, typer.Option("--format", help="table or json.")]
TextFormatOption = Annotated[str, typer.Option("--format", help="text or json.")]


def workspace_path(explicit: Path | None) -> Path:
    """The workspace: ``explicit``, else the group's ``-C``, else found from the environment."""
    from yoi_ticket.store.workspace import find_workspace

    return find_workspace(explicit if explicit is not None else STATE.workspace)


def overlay_for(explicit: Path | None) -> Overlay:
    """The local overlay of the workspace that :func:`workspace_path` finds."""
    from yoi_ticket.overlay.folder import Overlay

    return Overlay.for_workspace(workspace_path(explicit))


def choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    """``value`` when it is one of ``allowed``; else a usage error naming ``option``."""
    if value not in allowed:
        from yoi_ticket.errors import UsageError

        raise UsageError(f"{option} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def split_codes(values: list[str] | None) -> tuple[str, ...]:
    """Repeated, comma-separated rule codes as one upper-case tuple."""
    return tuple(
        part.strip().upper() for value in values or [] for part in value.split(",") if part.strip()
    )
