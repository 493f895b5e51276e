"""``list`` and ``show``: the store's tickets with their local claims."""

from __future__ import annotations

from typing import Annotated

import typer

from yoi_ticket.cli import completion, display
from yoi_ticket.cli.options import TextFormatOption, WorkspaceOption, workspace_path

StateOption = Annotated[
    list[str] | None,
    typer.Option(
        "--state",
        metavar="STATE",
        help="active (not closed), all, or states such as planning or queued;"
        " comma-separated or repeated.",
        show_default=False,
        autocompletion=completion.states,
    ),
]
LimitOption = Annotated[
    int | None,
    typer.Option("--limit", metavar="N", min=1, help="Show at most N tickets.", show_default=False),
]
ClaimedOption = Annotated[
    bool | None,
    typer.Option(
        "--claimed/--unclaimed", help="Only claimed (or unclaimed) tickets.", show_default=False
    ),
]
ListPodOption = Annotated[
    str | None,
    typer.Option("--pod", metavar="NAME", help="Only tickets claimed by this Pod."),
]
IdArgument = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="Ticket id or unique prefix (any case).",
        show_default=False,
        autocompletion=completion.ticket_ids,
    ),
]


def list_command(
    state: StateOption = None,
    limit: LimitOption = None,
    claimed: ClaimedOption = None,
    pod: ListPodOption = None,
    fmt: TextFormatOption = "text",
    workspace: WorkspaceOption = None,
) -> int:
    """List tickets with id, state, title and local claim."""
    from yoi_ticket.overlay.views import tickets_document
    from yoi_ticket.store.listing import state_filter
    from yoi_ticket.store.reader import Store

    states = state_filter(state or ())
    store = Store(workspace_path(workspace))
    document = tickets_document(store, states, claimed=claimed, pod=pod, limit=limit)
    if fmt == "json":
        display.print_json(document)
        return 0
    display.print_document(document, "tickets", display.TicketRow)
    if document.get("omitted"):
        display.echo(f"({document['omitted']} more; raise --limit to see them)", err=True)
    return 0


def show_command(
    ticket_id: IdArgument,
    fmt: TextFormatOption = "text",
    workspace: WorkspaceOption = None,
) -> int:
    """Show a ticket: frontmatter, thread events, artifacts and claim."""
    from yoi_ticket.overlay.views import ticket_document
    from yoi_ticket.store.reader import Store

    document = ticket_document(Store(workspace_path(workspace)), ticket_id)
    if fmt == "json":
        display.print_json(document)
    else:
        display.echo(display.ticket_text(document["ticket"]))
    return 0


COMMANDS = (("list", list_command), ("show", show_command))
