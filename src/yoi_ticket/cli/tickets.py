"""``list`` and ``show``: the store's tickets with their local claims."""

from __future__ import annotations

from typing import Annotated

import typer

from yoi_ticket.cli import display
from yoi_ticket.cli.options import (
    TableFormatOption,
    TextFormatOption,
    WorkspaceOption,
    choice,
    workspace_path,
)

StateOption = Annotated[
    list[str] | None, typer.Option("--state", help="Only tickets in this state (repeatable).")
]
ClaimedOption = Annotated[
    bool | None,
    typer.Option(
        "--claimed/--unclaimed", help="Only claimed (or unclaimed) tickets.", show_default=False
    ),
]
ListPodOption = Annotated[
    str | None, typer.Option("--pod", help="Only tickets claimed by this Pod.")
]
IdArgument = Annotated[str, typer.Argument(metavar="ID", help="Ticket id or unique prefix.")]


def list_command(
    state: StateOption = None,
    claimed: ClaimedOption = None,
    pod: ListPodOption = None,
    fmt: TableFormatOption = "table",
    workspace: WorkspaceOption = None,
) -> int:
    """List tickets with id, state, title and local claim."""
    from yoi_ticket import JSON_VERSION
    from yoi_ticket.overlay.views import ticket_rows
    from yoi_ticket.store.reader import Store

    choice(fmt, ("table", "json"), "--format")
    store = Store(workspace_path(workspace))
    rows = ticket_rows(store, tuple(state or ()), claimed=claimed, pod=pod)
    if fmt == "json":
        display.print_json_stream({"version": JSON_VERSION}, "tickets", rows)
    else:
        display.print_document({"tickets": list(rows)}, "tickets", display.TicketRow)
    return 0


def show_command(
    ticket_id: IdArgument,
    fmt: TextFormatOption = "text",
    workspace: WorkspaceOption = None,
) -> int:
    """Show a ticket: frontmatter, thread events, artifacts and claim."""
    from yoi_ticket.overlay.views import ticket_document
    from yoi_ticket.store.reader import Store

    choice(fmt, ("text", "json"), "--format")
    document = ticket_document(Store(workspace_path(workspace)), ticket_id)
    if fmt == "json":
        display.print_json(document)
    else:
        display.echo(display.ticket_text(document["ticket"]))
    return 0


COMMANDS = (("list", list_command), ("show", show_command))
