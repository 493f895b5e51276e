"""``sessions`` and ``session record|link``: the role sessions of local Pods."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

import typer

from yoi_ticket.cli import completion, display
from yoi_ticket.cli.options import (
    PodOption,
    RequiredRoleOption,
    TextFormatOption,
    WorkspaceOption,
    choices_metavar,
    overlay_for,
)

Origin = Literal["pre_ticket_intake", "ticket_claim", "role_launch"]
"""The origins yoi's panel records (``overlay.sessions.ORIGINS``; a test keeps them equal)."""

OriginOption = Annotated[
    Origin | None,
    typer.Option(
        "--origin",
        metavar=choices_metavar(get_args(Origin)),
        help="How the session began.",
        show_default=False,
    ),
]
TicketsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ticket",
        metavar="ID",
        help="Related ticket (repeatable).",
        show_default=False,
        autocompletion=completion.ticket_ids,
    ),
]
SessionIdOption = Annotated[
    str | None,
    typer.Option("--session-id", metavar="ID", help="The Pod's session id.", show_default=False),
]
TicketsArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="TICKET",
        help="Ticket ids (any case).",
        show_default=False,
        autocompletion=completion.ticket_ids,
    ),
]


def sessions_command(fmt: TextFormatOption = "text", workspace: WorkspaceOption = None) -> int:
    """List role sessions: each Pod's role and related tickets."""
    from yoi_ticket.overlay.views import sessions_document

    document = sessions_document(overlay_for(workspace))
    if fmt == "json":
        display.print_json(document)
    else:
        display.print_document(document, "sessions", display.SessionRow)
    return 0


def session_record_command(
    pod: PodOption,
    role: RequiredRoleOption,
    origin: OriginOption = None,
    tickets: TicketsOption = None,
    session_id: SessionIdOption = None,
    workspace: WorkspaceOption = None,
) -> int:
    """Record (or update) a Pod's role session, with or without tickets."""
    from yoi_ticket.overlay.sessions import record_session

    session = record_session(
        overlay_for(workspace),
        pod,
        role,
        origin=origin,
        tickets=tickets or [],
        session_id=session_id,
    )
    related = ", ".join(ref.id for ref in session.related_tickets) or "none"
    display.echo(
        f"recorded Pod {session.pod_name} (role {session.role}, origin {session.origin});"
        f" tickets: {related}"
    )
    return 0


def session_link_command(
    tickets: TicketsArgument, pod: PodOption, workspace: WorkspaceOption = None
) -> int:
    """Relate more tickets to a Pod's role session."""
    from yoi_ticket.overlay.sessions import link_tickets

    session = link_tickets(overlay_for(workspace), pod, tickets)
    related = ", ".join(ref.id for ref in session.related_tickets)
    display.echo(f"Pod {session.pod_name} relates to: {related}")
    return 0


COMMANDS = (("sessions", sessions_command),)
SESSION_HELP = "Record and link role sessions."
SESSION_COMMANDS = (("record", session_record_command), ("link", session_link_command))
