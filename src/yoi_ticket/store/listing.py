"""What ``list`` and ``show`` print: ticket rows and ticket details as plain data."""

from __future__ import annotations

import math
from typing import Any

from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import RESOLUTION, Store, TicketLocation


def ticket_row(ticket: Ticket, claim: dict[str, Any] | None = None) -> dict[str, Any]:
    """One entry of ``list --format json`` (SPEC 8)."""
    return {
        "id": ticket.id,
        "state": ticket.state,
        "title": ticket.title,
        "layout": ticket.layout,
        "path": ticket.path,
        "claim": claim,
    }


def list_tickets(store: Store, states: tuple[str, ...] = ()) -> list[Ticket]:
    """Every ticket of the store (sorted by id), optionally only those in ``states``."""
    tickets = [store.load(location) for location in store.scan().locations]
    tickets.sort(key=lambda t: (t.id, t.path))
    if states:
        tickets = [t for t in tickets if t.state in states]
    return tickets


def ticket_details(
    store: Store, location: TicketLocation, claim: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything ``show --format json`` prints about one ticket."""
    ticket = store.load(location)
    resolution = None
    if RESOLUTION in ticket.files:
        from yoi_ticket.files import textfile

        resolution = textfile.read(store.workspace / ticket.path / RESOLUTION).text
    return {
        **ticket_row(ticket, claim),
        "fields": json_safe(ticket.fields),
        "body": ticket.item.body if ticket.item is not None else "",
        "events": [
            {
                "line": event.line,
                "event": event.kind,
                "author": event.author,
                "at": event.at,
                "attrs": event.attrs,
                "body": event.body,
            }
            for event in ticket.events
        ],
        "artifacts": ticket.artifacts,
        "relations": [
            json_safe(relation.model_dump(exclude={"line"}, exclude_none=True))
            for relation in ticket.relations
        ],
        "plan": [json_safe(record.model_dump(exclude={"line"})) for record in ticket.plan],
        "resolution": resolution,
        "problems": [problem.model_dump() for problem in ticket.problems],
    }


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as strings (``nan``, ``inf``): strict JSON has neither."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value
