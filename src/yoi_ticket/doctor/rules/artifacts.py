"""YT206-YT212: the structured artifacts (relations.json, orchestration-plan.jsonl) and
the relations between tickets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from yoi_ticket.doctor.context import DoctorContext, RelationRef
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.rule import rule
from yoi_ticket.store.models import PLAN_KINDS, RELATION_KINDS, PlanRecord, Relation, Ticket
from yoi_ticket.store.reader import ARTIFACTS

E, W = Severity.ERROR, Severity.WARNING
FIELD_LIMIT = 1024  # bytes of UTF-8: upstream's limit for a relation's one-line fields
NOTE_LIMIT = 16 * 1024
RELATIONAL_PLAN_KINDS = (
    "before",
    "after",
    "blocked_by",
    "blocks",
    "conflicts_with",
    "do_not_parallelize",
)
RELATIONS_PATH = f"{ARTIFACTS}/relations.json"
PLAN_PATH = f"{ARTIFACTS}/orchestration-plan.jsonl"


@rule(
    "YT206",
    E,
    "ticket",
    "relations.json is invalid",
    why="Upstream: yes. "
    "relations.json drives dependency ordering; if it does not parse or an entry is "
    "malformed, dependencies are silently ignored.",
    example='{"version": 1, "relations": [{"kind": "depends", "target": "..."}]}',
    fix='Use {"version": 1, "relations": [{"ticket_id", "kind", "target", "note", "author", '
    '"at"}]} with kind one of depends_on, blocks, related, supersedes, duplicate_of; '
    "ticket_id, kind, target, author and at non-empty single lines of at most 1 KiB, a note "
    "of at most 16 KiB, no NUL character, and each (kind, target) once.",
)
def relations_invalid(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports unparseable ``relations.json`` files and entries with a wrong owner or kind,
    without author or at, with a field upstream rejects (multi-line, too long, a NUL), or
    repeating an earlier entry's (kind, target). A ticket_id or kind of the wrong shape is
    already not the owner or a known kind, and reported as that."""
    path = ticket.file_path(RELATIONS_PATH)
    nul = "\\u0000" in ticket.records_text  # JSON can only write a NUL escaped
    seen: dict[tuple[str | None, str | None], int | None] = {}
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
        yield from _relation_shape(path, relation, nul)
        key = (relation.kind, relation.target)
        if key in seen:
            first = seen[key]
            yield Finding(
                path,
                relation.line,
                f"{relation.kind} relation to {relation.target!r} repeats the one "
                + (f"at line {first}" if first is not None else "before it"),
                "remove the repeated relation (merge their notes into one)",
            )
        else:
            seen[key] = relation.line


def _relation_shape(path: str, relation: Relation, nul: bool) -> Iterator[Finding]:
    """Findings for a relation's author/at and the size and lines of its fields."""
    for name in ("author", "at"):
        if not getattr(relation, name):
            yield Finding(path, relation.line, f"relation has no {name}", f'add "{name}": ...')
    for name in ("target", "author", "at", "note"):
        value = getattr(relation, name)
        if not value:
            continue
        limit = NOTE_LIMIT if name == "note" else FIELD_LIMIT
        if _too_long(value, limit):
            yield Finding(
                path,
                relation.line,
                f"relation {name} is longer than {limit // 1024} KiB",
                f"shorten the {name}",
            )
        if name != "note" and ("\n" in value or "\r" in value):
            yield Finding(
                path, relation.line, f"relation {name} is more than one line", "use one line"
            )
    if nul and any("\x00" in value for value in _strings(relation.model_dump())):
        yield Finding(path, relation.line, "relation holds a NUL character", "remove the \\u0000")


def _too_long(value: str, limit: int) -> bool:
    """Whether ``value`` is more than ``limit`` bytes of UTF-8 (encoded only when it may be)."""
    return len(value) > limit or (len(value) * 4 > limit and len(value.encode()) > limit)


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@rule(
    "YT207",
    E,
    "ticket",
    "Relation targets its own ticket",
    why="Upstream: yes. "
    "A ticket cannot depend on, block or duplicate itself; such an entry is a typo that "
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
    why="Upstream: yes. "
    "A relation to a ticket that is not in the store is either a typo or a ticket that "
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
    why="Upstream: yes. "
    "A dependency cycle means none of the tickets in it can ever be started first; the "
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
    # Each node's targets, listed once: the walk comes back to a node once per edge, and
    # listing them there was quadratic in a ticket with thousands of relations.
    targets_of = {node: [ref.target for ref in refs] for node, refs in edges.items()}
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
            targets = targets_of.get(node, ())
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
                path = [ref]  # built backwards, then turned around
                while path[-1].source != start:
                    path.append(previous[path[-1].source])
                path.reverse()
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
    why="Upstream: yes. "
    "The Orchestrator replays the plan line by line; an unparseable or unknown record "
    "is skipped and its scheduling constraint is lost.",
    example='{"id": "orch-1", "ticket_id": "00001KVZKSV6C", "kind": "maybe_later"}',
    fix="Make each line one JSON object with single-line id, ticket_id, author and at and a "
    "known kind (before, after, blocked_by, blocks, conflicts_with, do_not_parallelize "
    "with a related_ticket; waiting_capacity_note with a note; accepted_plan with an "
    "accepted_plan.summary).",
)
def plan_invalid(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports plan lines that are not JSON objects, lack an id, ticket_id, author or at
    (or have one of more than one line), have an unknown kind, or lack what their kind
    needs (related_ticket, note, accepted_plan.summary)."""
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
        yield from _plan_shape(path, record)


def _plan_shape(path: str, record: PlanRecord) -> Iterator[Finding]:
    """Findings for a plan record's author/at, multi-line fields and kind-specific fields."""
    extra = record.model_extra or {}
    for name in ("author", "at"):
        value = extra.get(name)
        if not isinstance(value, str) or not value.strip():
            yield Finding(
                path,
                record.line,
                f"plan record has no {name}"
                if value is None or value == ""
                else f"plan record {name} is not a non-empty string",
                f'add "{name}": ...',
            )
    for name, value in (
        ("id", record.id),
        ("ticket_id", record.ticket_id),
        ("author", extra.get("author")),
        ("at", extra.get("at")),
    ):
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            yield Finding(
                path,
                record.line,
                f"plan record {name} is more than one line",
                "write it on one line",
            )
    kind = record.kind
    if kind in RELATIONAL_PLAN_KINDS and not _text(extra.get("related_ticket")):
        yield Finding(
            path,
            record.line,
            f"{kind} plan record has no related_ticket",
            'add "related_ticket": "<ticket id>"',
        )
    elif kind == "waiting_capacity_note" and not _text(extra.get("note")):
        yield Finding(path, record.line, f"{kind} plan record has no note", 'add "note": ...')
    elif kind == "accepted_plan":
        plan = extra.get("accepted_plan")
        if not isinstance(plan, dict) or not _text(plan.get("summary")):
            yield Finding(
                path,
                record.line,
                "accepted_plan record has no accepted_plan.summary",
                'add "accepted_plan": {"summary": ...}',
            )


def _text(value: object) -> bool:
    """Whether ``value`` is a string that is not blank."""
    return isinstance(value, str) and bool(value.strip())


@rule(
    "YT211",
    E,
    "ticket",
    "orchestration plan record is about another ticket",
    why="Upstream: yes. "
    "Each ticket's plan holds only its own records; a record naming another ticket was "
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


RULES = (
    relations_invalid,
    relation_to_self,
    dangling_relation,
    relation_cycle,
    plan_invalid,
    plan_other_ticket,
    artifact_escapes,
)
