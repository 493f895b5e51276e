"""What ``list`` and ``show`` print: ticket rows and ticket details as plain data."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from yoi_ticket.errors import UsageError
from yoi_ticket.store.models import V1_STATUSES, V1_WORKFLOW_STATES, Ticket
from yoi_ticket.store.reader import RESOLUTION, Store, TicketLocation

ACTIVE = "active"
ALL = "all"
STATES = tuple(dict.fromkeys((*V1_WORKFLOW_STATES, *V1_STATUSES)))
"""Every state a ticket of either layout can be in (v2 ``state``, v1 ``workflow_state``
and ``status``)."""
STATE_WORDS = (ACTIVE, ALL, *STATES)
"""What ``list --state`` accepts: yoi's ``active`` and ``all``, and the states."""


@dataclass(frozen=True)
class StateFilter:
    """The tickets ``list --state`` keeps. ``active`` is yoi's: every ticket not closed
    (a ticket without a readable state counts as not closed)."""

    states: frozenset[str] = frozenset()  # empty: every ticket
    active: bool = False

    def keeps(self, state: str | None) -> bool:
        if not self.states and not self.active:
            return True
        return state in self.states or (self.active and state != "closed")


def state_filter(values: Iterable[str]) -> StateFilter:
    """``--state`` values (repeated, comma-separated, any case) as a filter; an unknown word
    is a usage error."""
    words = [word.strip().lower() for value in values for word in value.split(",")]
    words = [word for word in words if word]
    for word in words:
        if word not in STATE_WORDS:
            raise UsageError(
                f"unknown --state {word!r}",
                hint=f"use {ACTIVE}, {ALL}, or states: {', '.join(STATES)}",
            )
    if ALL in words:
        return StateFilter()
    return StateFilter(frozenset(words) - {ACTIVE}, active=ACTIVE in words)


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


def list_tickets(
    store: Store,
    states: StateFilter | tuple[str, ...] = (),
    *,
    locations: Iterable[TicketLocation] | None = None,
) -> list[Ticket]:
    """Every ticket of the store (or at ``locations``), sorted by id, optionally only those
    ``states`` keeps (a :class:`StateFilter`, or a tuple of states)."""
    if not isinstance(states, StateFilter):
        states = StateFilter(frozenset(states))
    found = store.scan().locations if locations is None else locations
    tickets = [store.load(location) for location in found]
    tickets.sort(key=lambda t: (t.id, t.path))
    return [ticket for ticket in tickets if states.keeps(ticket.state)]


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
