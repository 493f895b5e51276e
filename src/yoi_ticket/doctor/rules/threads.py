"""YT2xx: thread events, structured artifacts, and signs of a bad merge resolution."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from yoi_ticket.doctor.context import DoctorContext, RelationRef
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.rule import rule
from yoi_ticket.store.models import PLAN_KINDS, RELATION_KINDS, Ticket, as_text
from yoi_ticket.store.reader import ARTIFACTS, ITEM, THREAD
from yoi_ticket.store.thread import Event, last_state, parse_time

E, W = Severity.ERROR, Severity.WARNING
RELATIONS_PATH = f"{ARTIFACTS}/relations.json"
PLAN_PATH = f"{ARTIFACTS}/orchestration-plan.jsonl"
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
    why="Tools find events by their one-line header comment; a header they cannot read hides "
    "the event (and everything in it) from every reader.",
    example="<!-- event: comment author: hare at: 2026-06-07T22:02:25Z   (not closed by -->)",
    fix="Rewrite the header as '<!-- event: KIND author: NAME at: TIME -->' on one line; "
    "quote values with spaces in double quotes.",
)
def malformed_header(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports thread event headers that cannot be parsed, and text before the first event."""
    for event in ticket.events:
        if event.header_error is not None:
            yield Finding(
                ticket.file_path(THREAD),
                event.line,
                event.header_error,
                "write the header as '<!-- event: KIND author: NAME at: TIME -->'",
            )


@rule(
    "YT202",
    E,
    "ticket",
    "Event without a valid `at` time",
    why="Events are ordered and merged by their `at` time; an event without one cannot be "
    "placed in the thread's history.",
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
    why="A state change without from/to/reason/author cannot be audited or replayed, and the "
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
    why="Review events carry `status: approve|request_changes`; the Orchestrator merges on "
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
    why="The Intake summary is what the Orchestrator reads to route a ticket; an empty or "
    "anonymous one gives it nothing to act on.",
    example="<!-- event: intake_summary at: 2026-06-07T22:02:25Z -->  (no body)",
    fix="Add the author and write the summary in the event body.",
)
def empty_intake_summary(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ``intake_summary`` events with no author or an empty body."""
    for event in _parsed(ticket):
        if event.kind == "intake_summary":
            if not event.author:
                yield Finding(
                    ticket.file_path(THREAD),
                    event.line,
                    "intake_summary has no author",
                    "add 'author: NAME' to the header",
                )
            if not event.body.strip():
                yield Finding(
                    ticket.file_path(THREAD),
                    event.line,
                    "intake_summary has no body",
                    "write the summary below the header",
                )


@rule(
    "YT206",
    E,
    "ticket",
    "relations.json is invalid",
    why="relations.json drives dependency ordering; if it does not parse or an entry is "
    "malformed, dependencies are silently ignored.",
    example='{"version": 1, "relations": [{"kind": "depends", "target": "..."}]}',
    fix='Use {"version": 1, "relations": [{"ticket_id", "kind", "target", "note", "author", '
    '"at"}]} with kind one of depends_on, blocks, related, supersedes, duplicate_of.',
)
def relations_invalid(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports unparseable ``relations.json`` files and entries with a wrong owner or kind."""
    path = ticket.file_path(RELATIONS_PATH)
    for problem in ticket.problems:
        if problem.kind == "relations":
            yield Finding(
                path,
                problem.line,
                problem.message,
                'the file is {"version": 1, "relations": [{"ticket_id", "kind", "target", '
                '"note", "author", "at"}, ...]}',
            )
    for relation in ticket.relations:
        if relation.ticket_id != ticket.id:
            yield Finding(
                path,
                relation.line,
                f"relation ticket_id {relation.ticket_id!r} is not the owning ticket {ticket.id!r}"
                if relation.ticket_id
                else "relation has no ticket_id",
                f'set "ticket_id": "{ticket.id}"',
            )
        if relation.kind not in RELATION_KINDS:
            yield Finding(
                path,
                relation.line,
                f"relation kind {relation.kind!r} is not one of {', '.join(RELATION_KINDS)}"
                if relation.kind
                else "relation has no kind",
                f"use one of {', '.join(RELATION_KINDS)}",
            )
        if not relation.target:
            yield Finding(
                path, relation.line, "relation has no target", 'add "target": "<ticket id>"'
            )


@rule(
    "YT207",
    E,
    "ticket",
    "Relation targets its own ticket",
    why="A ticket cannot depend on, block or duplicate itself; such an entry is a typo that "
    "hides the intended relation.",
    example='{"ticket_id": "00001KVZKSV6C", "kind": "depends_on", "target": "00001KVZKSV6C"}',
    fix="Point the relation at the intended ticket, or remove it.",
)
def relation_to_self(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports relations whose target is the owning ticket."""
    for relation in ticket.relations:
        if relation.target == ticket.id:
            yield Finding(
                ticket.file_path(RELATIONS_PATH),
                relation.line,
                f"{relation.kind} relation targets its own ticket",
                "point the relation at the intended ticket, or remove it",
            )


@rule(
    "YT208",
    W,
    "store",
    "Relation target does not exist",
    why="A relation to a ticket that is not in the store is either a typo or a ticket that "
    "was removed or never merged; dependency ordering cannot use it. (A warning, because "
    "partial checkouts and pruned stores legitimately contain such references.)",
    example='"target": "00001KVZBCQH4"   (no such folder)',
    fix="Fix the target id, or remove the relation if the ticket is gone for good.",
)
def dangling_relation(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports relations whose target id is not a ticket of this store."""
    ids = ctx.index.all_ids()
    for summary in ctx.index.summaries:
        for relation in summary.relations:
            if relation.target != relation.source and relation.target not in ids:
                yield Finding(
                    relation.path,
                    relation.line,
                    f"{relation.kind} relation to {relation.target!r}, which is not in the store",
                    "fix the target id or remove the relation",
                )


@rule(
    "YT209",
    E,
    "store",
    "depends_on/blocks relations form a cycle",
    why="A dependency cycle means none of the tickets in it can ever be started first; the "
    "Orchestrator will wait forever.",
    example="A depends_on B, B depends_on A",
    fix="Remove or reverse one relation of the cycle.",
)
def relation_cycle(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports cycles of the ordering graph (``A depends_on B`` and ``B blocks A`` both put B
    first); a relation to the ticket itself is left to YT207."""
    edges: dict[str, list[RelationRef]] = defaultdict(list)  # ticket -> tickets it waits for
    for summary in ctx.index.summaries:
        for relation in summary.relations:
            if relation.target == relation.source:
                continue  # a relation to itself is YT207
            if relation.kind == "depends_on":
                edges[relation.source].append(relation)
            elif relation.kind == "blocks":
                flipped = RelationRef(
                    relation.target, "blocks", relation.source, relation.path, relation.line
                )
                edges[relation.target].append(flipped)
    for cycle in _cycles(edges):
        first = cycle[0]
        names = " -> ".join([*(ref.source for ref in cycle), first.source])
        yield Finding(
            first.path,
            first.line,
            f"dependency cycle: {names}",
            "remove or reverse one depends_on/blocks relation of the cycle",
        )


def _cycles(edges: dict[str, list[RelationRef]]) -> list[list[RelationRef]]:
    """One representative cycle per strongly connected component (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = [ref.target for ref in edges.get(node, [])]
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    cycles = []
    for component in components:
        members = set(component)
        start = min(members)
        if len(members) == 1 and not any(r.target == start for r in edges.get(start, [])):
            continue
        cycles.append(_walk_cycle(start, members, edges))
    return cycles


def _walk_cycle(
    start: str, members: set[str], edges: dict[str, list[RelationRef]]
) -> list[RelationRef]:
    """A path of relations inside one component that returns to ``start``."""
    from collections import deque

    previous: dict[str, RelationRef] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for ref in sorted(edges.get(node, []), key=lambda r: r.target):
            if ref.target not in members:
                continue
            if ref.target == start:
                path = [ref]
                while path[0].source != start:
                    path.insert(0, previous[path[0].source])
                return path
            if ref.target not in seen:
                seen.add(ref.target)
                previous[ref.target] = ref
                queue.append(ref.target)
    return []  # pragma: no cover - a strongly connected component always has a cycle


@rule(
    "YT210",
    E,
    "ticket",
    "orchestration-plan.jsonl line is invalid",
    why="The Orchestrator replays the plan line by line; an unparseable or unknown record "
    "is skipped and its scheduling constraint is lost.",
    example='{"id": "orch-1", "ticket_id": "00001KVZKSV6C", "kind": "maybe_later"}',
    fix="Make each line one JSON object with id, ticket_id and a known kind (before, after, "
    "blocked_by, blocks, conflicts_with, do_not_parallelize, waiting_capacity_note, "
    "accepted_plan).",
)
def plan_invalid(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports plan lines that are not JSON objects, lack an id or ticket_id, or have an
    unknown kind."""
    path = ticket.file_path(PLAN_PATH)
    for problem in ticket.problems:
        if problem.kind == "plan":
            yield Finding(
                path,
                problem.line,
                problem.message,
                'each line is one JSON object: {"id": ..., "ticket_id": ..., "kind": ...}',
            )
    for record in ticket.plan:
        if not record.id:
            yield Finding(path, record.line, "plan record has no id", 'add "id": "<record id>"')
        if not record.ticket_id:
            yield Finding(
                path,
                record.line,
                "plan record has no ticket_id",
                f'add "ticket_id": "{ticket.id}"',
            )
        if record.kind not in PLAN_KINDS:
            yield Finding(
                path,
                record.line,
                f"plan record kind {record.kind!r} is not one of {', '.join(PLAN_KINDS)}",
                f"use one of {', '.join(PLAN_KINDS)}",
            )


@rule(
    "YT211",
    E,
    "ticket",
    "orchestration plan record is about another ticket",
    why="Each ticket's plan holds only its own records; a record naming another ticket was "
    "written to the wrong folder (or copied along) and constrains the wrong ticket.",
    example='.yoi/tickets/A/artifacts/orchestration-plan.jsonl: {"ticket_id": "B", ...}',
    fix="Move the record to the named ticket's plan, or fix its ticket_id.",
)
def plan_other_ticket(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports plan records whose ``ticket_id`` is not the owning ticket."""
    for record in ticket.plan:
        if record.ticket_id and record.ticket_id != ticket.id:
            yield Finding(
                ticket.file_path(PLAN_PATH),
                record.line,
                f"plan record ticket_id {record.ticket_id!r} is not the owning ticket "
                f"{ticket.id!r}",
                f"move the record to the plan of {record.ticket_id}, or fix its ticket_id",
            )


@rule(
    "YT212",
    E,
    "ticket",
    "Artifact resolves outside its folder",
    why="An artifact (or ticket file) that is a symlink out of its folder lets a checkout "
    "read or overwrite arbitrary files; it is reported and never followed.",
    example=".yoi/tickets/X/artifacts/log -> /home/alice/.ssh/id_ed25519",
    fix="Replace the symlink with a copy of the content it should hold, or remove it.",
)
def artifact_escapes(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports symlinks in a ticket folder or its ``artifacts/`` that resolve outside it."""
    for name in ticket.escapes:
        if name == ".":
            continue
        yield Finding(
            ticket.file_path(name),
            None,
            f"{name} is a symlink resolving outside its folder (or a broken/looping link); "
            "not followed",
            f"git rm {ticket.file_path(name)} and commit the real content instead",
        )


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
    # Equal events have equal kinds and times: events are grouped by those first, and
    # attributes and bodies are compared only within a group (a clean thread has none).
    seen: dict[tuple[str | None, str | None], list[Event]] = {}
    for event in _parsed(ticket):
        group = seen.setdefault((event.kind, event.at), [])
        first = next((e for e in group if _same_event(e, event)), None) if group else None
        if first is not None:
            yield Finding(
                ticket.file_path(THREAD),
                event.line,
                f"{event.kind} event duplicates the event at line {first.line}",
                "delete the duplicate",
            )
        else:
            group.append(event)


def _same_event(one: Event, other: Event) -> bool:
    """Same header attributes (in any order) and the same body, blank ends aside."""
    return one.attrs == other.attrs and one.body.strip() == other.body.strip()


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
    why="Every event records who wrote it; anonymous events cannot be audited and break "
    "tools that attribute work to Pods and people.",
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
    relations_invalid,
    relation_to_self,
    dangling_relation,
    relation_cycle,
    plan_invalid,
    plan_other_ticket,
    artifact_escapes,
    events_out_of_order,
    duplicated_event,
    state_disagrees,
    updated_at_stale,
    event_without_author,
)
