"""Three-way merge of ``thread.md``: the events of both sides, each kept once, in time order.

A thread is append-only, so the usual "conflict" (both sides appended events)
is no conflict at all: the result holds the base events, then every event
either side added, ordered by ``at`` (equal times: base, then ours, then
theirs). Each side's own order is kept, so existing events are never moved.

An event that one side removed or edited is a real conflict: the event is
left between conflict markers (``<<<<<<< ours`` / ``=======`` /
``>>>>>>> theirs``) for the user, while everything around it still merges.

Untouched lines keep their bytes: events are cut from the input texts as
written and only re-joined, so quoting, spacing and separators stay as they were.
"""

from __future__ import annotations

import difflib
import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from yoi_ticket.merge.lines import MergeText
from yoi_ticket.store.thread import SEPARATOR, last_state, parse_thread, parse_time

OURS, THEIRS = "ours", "theirs"
_NO_TIME = float("-inf")


@dataclass(frozen=True)
class Chunk:
    """One event as written: its lines up to the last non-blank one, then the blank gap."""

    core: tuple[str, ...]
    gap: tuple[str, ...]
    key: str  # content identity: lines right-stripped, trailing separator dropped
    header: str
    kind_at: tuple[str, str]
    time: float  # ``at`` as a timestamp; an event without one inherits its predecessor's
    last: bool  # the last event of its file (its gap is the file's ending)


@dataclass(frozen=True)
class ThreadDoc:
    preamble: tuple[str, ...]  # blank lines before the first event
    chunks: tuple[Chunk, ...]


def split_thread(text: str) -> ThreadDoc:
    """Cut ``text`` into events; ``"\\n".join`` of all the lines gives ``text`` back."""
    lines = text.split("\n")
    events = parse_thread(text)
    first = events[0].line - 1 if events else len(lines)
    chunks = []
    previous = _NO_TIME
    for number, event in enumerate(events):
        raw = lines[event.line - 1 : event.end_line]
        end = len(raw)
        while end > 1 and not raw[end - 1].strip():
            end -= 1
        parsed = parse_time(event.at)
        previous = parsed.timestamp() if parsed is not None else previous
        chunks.append(
            Chunk(
                core=tuple(raw[:end]),
                gap=tuple(raw[end:]),
                key=_content_key(raw[:end]),
                header=raw[0].strip(),
                kind_at=(event.kind or "", event.at or ""),
                time=previous,
                last=number == len(events) - 1,
            )
        )
    return ThreadDoc(tuple(lines[:first]), tuple(chunks))


def _content_key(core: Sequence[str]) -> str:
    lines = [line.rstrip() for line in core]
    if len(lines) > 1 and lines[-1] == SEPARATOR:
        lines.pop()
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


@dataclass
class _Node:
    """One event of the result: a base event, or an event a side added."""

    priority: tuple[float, int, int]
    base: Chunk | None = None
    ours: Chunk | None = None
    theirs: Chunk | None = None


def _same_content(base: Chunk, side: Chunk) -> bool:
    return base.key == side.key  # moved


def _same_header(base: Chunk, side: Chunk) -> bool:
    return base.header == side.header  # body edited


def _same_kind_and_time(base: Chunk, side: Chunk) -> bool:
    return base.kind_at == side.kind_at and bool(base.kind_at[1])  # header edited


def _align(base: Sequence[Chunk], side: Sequence[Chunk]) -> tuple[dict[int, int], list[int]]:
    """Map base event index -> side event index (kept or edited); list the side's new events."""
    matcher = difflib.SequenceMatcher(
        None, [c.key for c in base], [c.key for c in side], autojunk=False
    )
    pairs: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            pairs[block.a + offset] = block.b + offset
    for same in (_same_content, _same_header, _same_kind_and_time):
        used = set(pairs.values())
        for index, chunk in enumerate(base):
            if index in pairs:
                continue
            for other, candidate in enumerate(side):
                if other not in used and same(chunk, candidate):
                    pairs[index] = other
                    used.add(other)
                    break
    used = set(pairs.values())
    return pairs, [index for index in range(len(side)) if index not in used]


def _order(nodes: list[_Node], sequences: list[list[int]]) -> list[int] | None:
    """Node indices in time order, keeping each side's order; ``None`` if the sides disagree."""
    successors: dict[int, set[int]] = {index: set() for index in range(len(nodes))}
    for sequence in sequences:
        for before, after in itertools.pairwise(sequence):
            successors[before].add(after)
    indegree = dict.fromkeys(successors, 0)
    for targets in successors.values():
        for target in targets:
            indegree[target] += 1
    ready = [(nodes[i].priority, i) for i, degree in indegree.items() if degree == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, index = heapq.heappop(ready)
        order.append(index)
        for target in successors[index]:
            indegree[target] -= 1
            if indegree[target] == 0:
                heapq.heappush(ready, (nodes[target].priority, target))
    return order if len(order) == len(nodes) else None


def _build_nodes(
    base: ThreadDoc, ours: ThreadDoc, theirs: ThreadDoc
) -> tuple[list[_Node], list[list[int]]]:
    nodes = [_Node((chunk.time, 0, index), base=chunk) for index, chunk in enumerate(base.chunks)]
    sequences = []
    added_ours: dict[str, list[int]] = {}
    for rank, side in ((1, ours), (2, theirs)):
        pairs, added = _align(base.chunks, side.chunks)
        where: dict[int, int] = {side_index: b for b, side_index in pairs.items()}
        for b, side_index in pairs.items():
            setattr(nodes[b], OURS if rank == 1 else THEIRS, side.chunks[side_index])
        for side_index in added:
            chunk = side.chunks[side_index]
            twins = added_ours.get(chunk.key) if rank == 2 else None
            if twins:
                node_index = twins.pop(0)  # added identically on both sides: kept once
                nodes[node_index].theirs = chunk
            else:
                node_index = len(nodes)
                node = _Node((chunk.time, rank, side_index))
                setattr(node, OURS if rank == 1 else THEIRS, chunk)
                nodes.append(node)
                if rank == 1:
                    added_ours.setdefault(chunk.key, []).append(node_index)
            where[side_index] = node_index
        sequences.append([where[i] for i in range(len(side.chunks))])
    return nodes, sequences


def _three_way(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> Sequence[str]:
    """Raw lines: the side that changed them (ours when both did)."""
    return theirs if tuple(ours) == tuple(base) else ours


def conflict_block(ours: Sequence[str], theirs: Sequence[str], marker_size: int = 7) -> list[str]:
    """Lines of a git-style conflict block."""
    return [
        "<" * marker_size + f" {OURS}",
        *ours,
        "=" * marker_size,
        *theirs,
        ">" * marker_size + f" {THEIRS}",
    ]


def has_conflict_markers(text: str, marker_size: int = 7) -> bool:
    return any(line.startswith(("<" * marker_size, ">" * marker_size)) for line in text.split("\n"))


def merge_thread(base: str, ours: str, theirs: str, marker_size: int = 7) -> MergeText | None:
    """Merge three versions of a thread; ``None`` when only a plain line merge can do it."""
    if any(has_conflict_markers(text, marker_size) for text in (base, ours, theirs)):
        return None
    docs = [split_thread(text) for text in (base, ours, theirs)]
    nodes, sequences = _build_nodes(*docs)
    order = _order(nodes, sequences)
    if order is None:
        return None
    conflicts = 0
    pieces: list[tuple[list[str], Chunk, bool]] = []
    for index in order:
        node = nodes[index]
        lines, conflicted = _node_lines(node, marker_size)
        source = node.ours or node.theirs or node.base
        if lines is None or source is None:
            continue
        conflicts += conflicted
        pieces.append((lines, source, bool(conflicted)))
    out = _merge_preamble(docs, marker_size)
    conflicts += out[1]
    text = _join(out[0], pieces, docs)
    return MergeText(text, conflicts)


def _node_lines(node: _Node, marker_size: int) -> tuple[list[str] | None, int]:
    """The lines an event contributes (``None``: removed on both sides) and its conflict count."""
    ours_key = node.ours.key if node.ours else None
    theirs_key = node.theirs.key if node.theirs else None
    if node.base is None or ours_key == theirs_key:
        if node.ours and node.theirs and node.base:
            return list(_three_way(node.base.core, node.ours.core, node.theirs.core)), 0
        chosen = node.ours or node.theirs
        return (list(chosen.core), 0) if chosen else (None, 0)
    ours_lines = list(node.ours.core) if node.ours else []
    theirs_lines = list(node.theirs.core) if node.theirs else []
    return conflict_block(ours_lines, theirs_lines, marker_size), 1


def _merge_preamble(docs: list[ThreadDoc], marker_size: int) -> tuple[list[str], int]:
    base, ours, theirs = (doc.preamble for doc in docs)
    if ours in (theirs, base):
        return list(theirs), 0
    if theirs == base:
        return list(ours), 0
    return conflict_block(ours, theirs, marker_size), 1


def _join(
    preamble: list[str], pieces: list[tuple[list[str], Chunk, bool]], docs: list[ThreadDoc]
) -> str:
    if not pieces:
        return "\n".join(preamble)
    middle_gap = _middle_gap(docs)
    ending = next((doc.chunks[-1].gap for doc in docs[1:] + docs[:1] if doc.chunks), ("",))
    uses_separator = any(c.core[-1].strip() == SEPARATOR for doc in docs for c in doc.chunks)
    lines = list(preamble)
    for number, (core, source, conflicted) in enumerate(pieces):
        lines.extend(core)
        if number == len(pieces) - 1:
            lines.extend(ending)
        elif source.last:
            if uses_separator and not conflicted and core[-1].strip() != SEPARATOR:
                lines.extend(("", SEPARATOR))
            lines.extend(middle_gap)
        else:
            lines.extend(source.gap)
    return "\n".join(lines)


def _middle_gap(docs: list[ThreadDoc]) -> tuple[str, ...]:
    """The blank lines between two events, as the inputs write them (one blank line if unknown)."""
    for doc in docs:
        for chunk in doc.chunks:
            if not chunk.last:
                return chunk.gap
    return ("",)


def final_states(text: str) -> dict[str, str]:
    """Where the thread leaves the item: ``state`` (v2) and ``workflow_state`` (v1)."""
    events = [event for event in parse_thread(text) if event.header_error is None]
    states: dict[str, str] = {}
    final = last_state(events)
    if final is not None:
        states["state"] = final[0]
    for event in events:
        target = event.attrs.get("to")
        field = event.attrs.get("field", "workflow_state")
        if event.kind == "state_changed" and target and field == "workflow_state":
            states["workflow_state"] = target
    return states
