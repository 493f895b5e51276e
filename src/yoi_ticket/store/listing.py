"""What ``list`` and ``show`` print: ticket rows and ticket details as plain data.

``list`` needs the frontmatter only (id, state, title): it reads ``item.md`` and
nothing else, and a large store is read by forked workers (see
:mod:`yoi_ticket.store.parallel`) that send back one small entry per ticket.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from yoi_ticket.errors import UsageError
from yoi_ticket.store import runs
from yoi_ticket.store.models import V1_STATUSES, V1_WORKFLOW_STATES, Ticket
from yoi_ticket.store.parallel import chunk_bounds, forked_map, jobs_for
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


class TicketEntry(NamedTuple):
    """What a ``list`` row says about a ticket (its claim comes from the overlay)."""

    id: str
    state: str | None
    title: str | None
    layout: str
    path: str

    @classmethod
    def of(cls, ticket: Ticket) -> TicketEntry:
        return cls(ticket.id, ticket.state, ticket.title, ticket.layout, ticket.path)


ENTRIES: runs.Codec[TicketEntry] = runs.Codec(
    lambda entry: (entry.id, entry.path), tuple, lambda row: TicketEntry._make(row)
)
"""Entries in runs, ordered by id, then path (one folder is one entry)."""


def ticket_row(ticket: Ticket | TicketEntry, claim: dict[str, Any] | None = None) -> dict[str, Any]:
    """One entry of ``list --format json`` (SPEC 8)."""
    return {
        "id": ticket.id,
        "state": ticket.state,
        "title": ticket.title,
        "layout": ticket.layout,
        "path": ticket.path,
        "claim": claim,
    }


def list_entries(store: Store, states: StateFilter | tuple[str, ...] = ()) -> list[TicketEntry]:
    """Every ticket of the store (sorted by id, then path), optionally only those
    ``states`` keeps (a :class:`StateFilter`, or a tuple of states), read from the
    frontmatter alone."""
    return list(iter_entries(store, states))


def iter_entries(store: Store, states: StateFilter | tuple[str, ...] = ()) -> Iterator[TicketEntry]:
    """:func:`list_entries` one at a time: the store is read first, a chunk of tickets
    at a time (in forked workers on a large store), into compressed sorted runs
    (:mod:`yoi_ticket.store.runs`), which are then merged as the entries are taken."""
    if not isinstance(states, StateFilter):
        states = StateFilter(frozenset(states))
    locations = store.scan().locations
    jobs = jobs_for(len(locations))
    reader = _EntryReader(store, locations, states)
    bounds = chunk_bounds(len(locations), jobs, smallest=100, largest=1000)
    if jobs > 1:
        found = list(forked_map(reader, bounds, jobs))
    else:
        found = [reader(chunk) for chunk in bounds]
    return runs.merge(runs.ordered(found), ENTRIES)


class _EntryReader:
    """The entries of a range of the store's tickets (in a worker, or in this process)."""

    def __init__(self, store: Store, locations: list[TicketLocation], states: StateFilter) -> None:
        self.store = store
        self.locations = locations
        self.states = states

    def __call__(self, bounds: tuple[int, int]) -> runs.Run[TicketEntry]:
        load, states = self.store.load_item, self.states
        entries = (TicketEntry.of(load(location)) for location in self.locations[slice(*bounds)])
        return runs.Run((entry for entry in entries if states.keeps(entry.state)), ENTRIES)


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
