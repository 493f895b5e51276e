"""YT201-YT205, YT213-YT217: thread events, and signs of a bad merge resolution."""

from __future__ import annotations

from collections.abc import Iterator

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.rule import rule
from yoi_ticket.store.models import Ticket, as_text
from yoi_ticket.store.reader import ITEM, THREAD
from yoi_ticket.store.thread import Event, last_state, parse_time

E, W = Severity.ERROR, Severity.WARNING
_MERGE_HINT = (
    "compare with both parents of the merge (git log -p -- <file>) and restore the lost order"
)


def _parsed(ticket: Ticket) -> list[Event]:
    return ticket.parsed_events


@rule(
    "YT201",
    E,
    "ticket",
    "Malformed thread event header",
    why="Upstream: yes. "
    "Tools find events by their one-line header comment; a header they "
    "cannot read hides the event (and everything in it) from every reader. An unquoted "
    "value with spaces (`author: yoi ticket`, which yoi's own writer wrote in early June "
    "2026) is only a warning: the words without a colon do not end the header, the event "
    "is kept and the value read as all its words ('yoi ticket'), while upstream yoi keeps "
    "the first word ('yoi') and skips the rest. Headers inside a fenced code block are "
    "example text of the body, not events.",
    example="<!-- event: comment author: hare at: 2026-06-07T22:02:25Z   (not closed by -->)",
    fix="Rewrite the header as '<!-- event: KIND author: NAME at: TIME -->' on one line; "
    'quote values with spaces in double quotes (author: "yoi ticket").',
)
def malformed_header(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports thread event headers that cannot be parsed, and text before the first event
    (errors), and unquoted header values with spaces (warnings; the event is kept)."""
    for event in ticket.events:
        if event.header_error is not None:
            yield Finding(
                ticket.file_path(THREAD),
                event.line,
                event.header_error,
                "write the header as '<!-- event: KIND author: NAME at: TIME -->'",
            )
        elif event.header_warning is not None:
            yield Finding(
                ticket.file_path(THREAD),
                event.line,
                event.header_warning,
                "quote header values that contain spaces in double quotes",
                severity=W,
            )


@rule(
    "YT202",
    E,
    "ticket",
    "Event without a valid `at` time",
    why="Upstream: yes for a missing or blank `at`; stricter than upstream for an `at` "
    "that is not an RFC 3339 time, which upstream's doctor accepts. Events are ordered and "
    "merged by their `at` time (the merge driver places each event by it); an event "
    "without a readable time cannot be placed in the thread's history. yoi writes every "
    "`at` as an RFC 3339 UTC time, so an unreadable one was written by hand or damaged.",
    example="<!-- event: comment author: hare -->",
    fix="Add 'at: <RFC 3339 UTC time>' to the header.",
)
def event_without_at(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports parsed events with no ``at`` attribute or one that is not an RFC 3339 time."""
    for event in _parsed(ticket):
        if not event.at:
            yield Finding(
                ticket.file_path(THREAD),
                event.line,
                f"{event.kind} event has no 'at' time",
                "add 'at: <time of the event>' (like 2026-06-07T22:02:25Z) to the header",
            )
        elif parse_time(event.at) is None:
            yield Finding(
                ticket.file_path(THREAD),
                event.line,
                f"{event.kind} event 'at' {event.at!r} is not an RFC 3339 time",
                "use the form 2026-06-07T22:02:25Z",
            )


@rule(
    "YT203",
    E,
    "ticket",
    "state_changed event is incomplete",
    why="Upstream: yes. "
    "A state change without from/to/reason/author cannot be audited or replayed, and the "
    "merge driver derives the item's state from the last `to`.",
    example="<!-- event: state_changed author: hare at: 2026-06-07T22:02:25Z to: ready -->",
    fix="Add the missing attributes (from, to, reason, author).",
)
def incomplete_state_change(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ``state_changed`` events missing ``from``, ``to``, ``reason`` or ``author``."""
    for event in _parsed(ticket):
        if event.kind == "state_changed":
            missing = [
                key for key in ("from", "to", "reason", "author") if not event.attrs.get(key)
            ]
            if missing:
                yield Finding(
                    ticket.file_path(THREAD),
                    event.line,
                    f"state_changed event lacks {', '.join(missing)}",
                    "add " + " ".join(f"'{key}: ...'" for key in missing) + " to the header",
                )


@rule(
    "YT204",
    W,
    "ticket",
    "review event without a valid status",
    why="Upstream: yes. "
    "Review events carry `status: approve|request_changes`; the Orchestrator merges on "
    "approvals, so a review with no readable verdict stalls the ticket.",
    example="<!-- event: review author: reviewer at: 2026-06-07T22:02:25Z status: lgtm -->",
    fix="Set status to approve or request_changes.",
)
def review_without_status(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ``review`` events whose ``status`` is missing or not approve/request_changes."""
    for event in _parsed(ticket):
        if event.kind == "review" and event.attrs.get("status") not in (
            "approve",
            "request_changes",
        ):
            status = event.attrs.get("status")
            message = (
                f"review event status {status!r} is not approve or request_changes"
                if status
                else "review event has no status"
            )
            yield Finding(
                ticket.file_path(THREAD),
                event.line,
                message,
                "set status: approve or status: request_changes in the header",
            )


@rule(
    "YT205",
    E,
    "ticket",
    "intake_summary without author or body",
    why="Upstream: yes. "
    "The Intake summary is what the Orchestrator reads to route a ticket; an empty or "
    "anonymous one gives it nothing to act on.",
    example="<!-- event: intake_summary at: 2026-06-07T22:02:25Z -->  (no body)",
    fix="Add the author and write the summary in the event body (a `## ` heading alone is "
    "no summary).",
)
def empty_intake_summary(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ``intake_summary`` events with no author or an empty body; like upstream, an
    optional first ``## `` heading line is not counted as body."""
    for event in _parsed(ticket):
        if event.kind == "intake_summary":
            if not event.author:
                yield Finding(
                    ticket.file_path(THREAD),
                    event.line,
                    "intake_summary has no author",
                    "add 'author: NAME' to the header",
                )
            body = event.body.strip()
            if not body or (body.startswith("## ") and not _after_first_line(body)):
                yield Finding(
                    ticket.file_path(THREAD),
                    event.line,
                    "intake_summary has no body"
                    if not body
                    else "intake_summary body is only its heading",
                    "write the summary below the header",
                )


def _after_first_line(text: str) -> str:
    """What follows the first line of ``text``, stripped."""
    newline = text.find("\n")
    return text[newline + 1 :].strip() if newline != -1 else ""


@rule(
    "YT213",
    W,
    "ticket",
    "Thread events out of time order",
    why="Threads are append-only, so `at` never goes backwards; an earlier event after a "
    "later one is the typical trace of a merge resolved by pasting one side's events.",
    example="event at 2026-06-09T10:00:00Z followed by an event at 2026-06-08T09:00:00Z",
    fix="Reorder the events by time (the yoi-ticket merge driver does this for you).",
)
def events_out_of_order(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports events whose ``at`` is earlier than the event before them."""
    previous = None
    for event in _parsed(ticket):
        at = parse_time(event.at)
        if at is None:
            continue
        if previous is not None and at < previous[0]:
            yield Finding(
                ticket.file_path(THREAD),
                event.line,
                f"event at {event.at} comes after an event at {previous[1]}",
                _MERGE_HINT,
            )
        if previous is None or at >= previous[0]:
            previous = (at, event.at)


@rule(
    "YT214",
    W,
    "ticket",
    "Duplicated thread event",
    why="The same event twice (same header and body) is what a merge resolved with 'keep "
    "both' leaves behind; counts and timelines built from the thread become wrong.",
    example="two identical '<!-- event: review ... status: approve -->' blocks",
    fix="Delete the second copy.",
)
def duplicated_event(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports events identical (header attributes and body) to an earlier event."""
    # Linear in the thread: each event is looked up by its header attributes (in any
    # order) in a dict, and only an event whose header was seen before has its body read,
    # once, and looked up among the bodies under that header. Comparing an event with
    # every earlier one of the same kind and time was quadratic in a thread of equal
    # headers (3,000 comments of one author and minute took 17 s).
    headers: dict[frozenset[tuple[str, str]], Event | dict[str, Event]] = {}
    for event in _parsed(ticket):
        key = frozenset(event.attrs.items())
        earlier = headers.get(key)
        if earlier is None:
            headers[key] = event  # the first event with this header: its body is not read
            continue
        if isinstance(earlier, Event):  # the second one: now the first one's body counts
            earlier = headers[key] = {earlier.body.strip(): earlier}
        body = event.body.strip()
        first = earlier.get(body)
        if first is None:
            earlier[body] = event
            continue
        yield Finding(
            ticket.file_path(THREAD),
            event.line,
            f"{event.kind} event duplicates the event at line {first.line}",
            "delete the duplicate",
        )


@rule(
    "YT215",
    W,
    "ticket",
    "Item state disagrees with the thread",
    why="The item's state should be where the thread's last state change (or close) left "
    "it; a mismatch usually means a merge kept one side's item.md and the other's thread.",
    example="state: ready   but the last state_changed says to: inprogress",
    fix="Set the item's state to the thread's last `to`, or record the missing state change.",
)
def state_disagrees(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports an item ``state`` (v1 stores: ``workflow_state``) that differs from where the
    thread's last state change (or close event) left it."""
    key = "workflow_state" if ctx.layout == "v1" else "state"
    value = as_text(ticket.fields.get(key))
    final = last_state(_parsed(ticket))
    if value is None or final is None:
        return
    target, event = final
    if target == "closed" and ctx.layout == "v1":
        return  # v1 close events set status, not workflow_state
    if value != target:
        yield Finding(
            ticket.file_path(ITEM),
            ticket.field_line(key),
            f"{key} is {value!r} but the thread's last state change (line {event.line}) "
            f"says {target!r}",
            f"set {key}: {target} or record the missing state change",
        )


@rule(
    "YT216",
    W,
    "ticket",
    "updated_at is older than the last event",
    why="Every event bumps updated_at; an older value means a merge kept a stale item.md, "
    "so boards sort the ticket wrongly.",
    example="updated_at: '2026-06-07T10:00:00Z'   last event at 2026-06-08T09:00:00Z",
    fix="Set updated_at to the time of the last event (or later).",
)
def updated_at_stale(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ``updated_at`` values earlier than the latest event ``at`` of the thread."""
    updated = parse_time(as_text(ticket.fields.get("updated_at")))
    if updated is None:
        return
    latest = None
    for event in _parsed(ticket):
        at = parse_time(event.at)
        if at is not None and (latest is None or at > latest[0]):
            latest = (at, event)
    if latest is not None and updated < latest[0]:
        yield Finding(
            ticket.file_path(ITEM),
            ticket.field_line("updated_at"),
            f"updated_at {as_text(ticket.fields.get('updated_at'))} is older than the "
            f"last event ({latest[1].at}, thread.md line {latest[1].line})",
            f"set updated_at: '{latest[1].at}'",
        )


@rule(
    "YT217",
    E,
    "ticket",
    "Event without author",
    why="Upstream: only for `state_changed` and `intake_summary` (YT203, YT205); for the "
    "other kinds this check is stricter than upstream's doctor, on purpose. Every event "
    "records who wrote it; anonymous events cannot be audited and break tools that "
    "attribute work to Pods and people. yoi writes an `author` in every event it writes, "
    "so an event without one was written by hand or damaged by a merge resolution.",
    example="<!-- event: comment at: 2026-06-07T22:02:25Z -->",
    fix="Add 'author: NAME' (quote it if it contains spaces).",
)
def event_without_author(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports parsed events with no ``author`` attribute (for ``intake_summary`` that is
    YT205, for ``state_changed`` YT203)."""
    for event in _parsed(ticket):
        if not event.author and event.kind not in ("intake_summary", "state_changed"):
            yield Finding(
                ticket.file_path(THREAD),
                event.line,
                f"{event.kind} event has no author",
                "add 'author: NAME' to the header (quote names with spaces)",
            )


RULES = (
    malformed_header,
    event_without_at,
    incomplete_state_change,
    review_without_status,
    empty_intake_summary,
    events_out_of_order,
    duplicated_event,
    state_disagrees,
    updated_at_stale,
    event_without_author,
)
