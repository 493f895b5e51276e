"""Merge conflicts in ticket files: conflict blocks, leftover merge files, lost events.

A conflict block is what git writes into a file it could not merge::

    <<<<<<< HEAD
    our lines
    ||||||| base          (only with merge.conflictStyle diff3 or zdiff3)
    base lines
    =======
    their lines
    >>>>>>> topic

Only whole blocks count: an opening marker, the optional base section, the
separator and the closing marker, in that order and of one marker size (7 by
default, more with the ``conflict-marker-size`` attribute). A lone
``=======`` line, such as a Markdown heading underline, is never one.
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from yoi_ticket.store.thread import Event

MARKER_PRECHECK = "<<<<<<<"
MARKER_PRECHECK_BYTES = MARKER_PRECHECK.encode()
_CANDIDATE_RE = re.compile(r"\n[<|=>]{7}")  # cheap: only line starts that may be markers
_MARKER_RE = re.compile(r"(<{7,}|\|{7,}|={7,}|>{7,})([ \t][^\n]*)?\r?(?=\n|$)")
_LEFTOVER_RE = re.compile(
    r"\.(?:orig|rej)$"  # git mergetool backups, rejected hunks of git apply --reject
    r"|\.(?:BASE|LOCAL|REMOTE|BACKUP)\."  # thread.md.BASE.md (older mergetools)
    r"|_(?:BASE|LOCAL|REMOTE|BACKUP)_\d+(?:\.[^.]*)?$"  # thread_BASE_12345.md (git mergetool)
)
_OURS, _BASE, _THEIRS = 1, 2, 3
DIFF_LINES = 2000  # lines of each body that body_diff compares, past their common ends


@dataclass(frozen=True, slots=True)
class ConflictBlock:
    line: int  # 1-based line of the opening marker
    end_line: int  # 1-based line of the closing marker
    marker_size: int
    has_base: bool  # diff3/zdiff3 style (a ``|||||||`` base section)
    ours: str  # label after the opening marker ("HEAD")
    theirs: str  # label after the closing marker ("topic")


@dataclass
class _Open:
    line: int
    label: str
    state: int = _OURS
    has_base: bool = False


def find_conflict_blocks(text: str) -> list[ConflictBlock]:
    """Every whole conflict block in ``text`` (``\\n`` line ends), by opening line."""
    if MARKER_PRECHECK not in text:
        return []
    blocks: list[ConflictBlock] = []
    pending: dict[int, _Open] = {}  # marker size -> the block being read
    line, position = 1, 0
    for match in _marker_lines(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        marker, label = match.group(1), (match.group(2) or "").strip()
        size, kind = len(marker), marker[0]
        block = pending.get(size)
        if kind == "<":
            pending[size] = _Open(line, label)
        elif block is None:
            continue
        elif kind == "|" and block.state == _OURS:
            block.state, block.has_base = _BASE, True
        elif kind == "=" and not label and block.state in (_OURS, _BASE):
            block.state = _THEIRS
        elif kind == ">" and block.state == _THEIRS:
            blocks.append(ConflictBlock(block.line, line, size, block.has_base, block.label, label))
            del pending[size]
    blocks.sort(key=lambda b: (b.line, b.marker_size))
    return blocks


def _marker_lines(text: str) -> Iterator[re.Match[str]]:
    """Lines made of a marker (7 or more of one of ``<|=>``) and an optional label."""
    first = _MARKER_RE.match(text)
    if first is not None:
        yield first
    for candidate in _CANDIDATE_RE.finditer(text):
        match = _MARKER_RE.match(text, candidate.start() + 1)
        if match is not None:
            yield match


def has_conflict_markers(data: bytes) -> bool:
    """Cheap precheck on raw bytes before decoding: could there be a conflict block?"""
    return MARKER_PRECHECK_BYTES in data


def is_merge_leftover(name: str) -> bool:
    """A file that merge tools leave next to the file they merged (``thread.md.orig``...)."""
    return _LEFTOVER_RE.search(name.rsplit("/", 1)[-1]) is not None


# --- events lost by a merge resolution


EventKey = tuple[str, str]


def event_key(event: Event) -> EventKey:
    """What makes two events the same event: the header (attributes) and the body."""
    if event.header_error is None:
        header = " ".join(f"{key}={value}" for key, value in sorted(event.attrs.items()))
    else:
        header = event.header.strip()
    body = "\n".join(line.rstrip() for line in event.body.strip().split("\n"))
    return header, body


@dataclass(frozen=True, slots=True)
class LostEvent:
    parent: int  # index of the parent that had the event
    event: Event  # as it appears in that parent
    kept_as: Event | None = None  # the result's event with the same header (body edited)


def lost_events(
    base: Sequence[Event] | None,
    parents: Sequence[Sequence[Event] | None],
    result: Sequence[Event],
) -> list[LostEvent]:
    """Events of a parent that the merge result dropped or edited, though no side deleted
    or edited them.

    An event present in parent P and absent from the result is lost unless
    another parent deleted it on purpose: it was in the merge base and that
    parent no longer has it (an edited event counts as deleted and re-added).
    A lost event whose header is still in the result, on an event that P does
    not have as it is, was kept with an edited body (``kept_as``); otherwise it
    was dropped. ``None`` stands for a file missing on that side.
    """
    base_keys = _keys(base)
    parent_keys = [_keys(events) for events in parents]
    result_keyed = [(event_key(event), event) for event in result]
    result_keys = {key for key, _ in result_keyed}
    lost: list[LostEvent] = []
    reported: set[EventKey] = set()
    for number, events in enumerate(parents):
        edited: dict[str, deque[Event]] | None = None  # header -> result events P lacks
        for event in events or ():
            key = event_key(event)
            if key in result_keys or key in reported:
                continue
            deleted = key in base_keys and any(
                key not in keys for other, keys in enumerate(parent_keys) if other != number
            )
            if deleted:
                continue
            if edited is None:
                edited = {}
                for result_key, kept in result_keyed:
                    if result_key not in parent_keys[number]:
                        edited.setdefault(result_key[0], deque()).append(kept)
            candidates = edited.get(key[0])
            lost.append(LostEvent(number, event, candidates.popleft() if candidates else None))
            reported.add(key)
    return lost


def body_diff(old: Event, new: Event, limit: int = 4, width: int = 60) -> str:
    """A one-line summary of how ``new``'s body differs from ``old``'s: the removed (``-``)
    and added (``+``) lines that are not blank, at most ``limit`` of them, each cut to
    ``width`` characters."""
    before = [line.rstrip() for line in old.body.strip().split("\n")]
    after = [line.rstrip() for line in new.body.strip().split("\n")]
    # difflib is quadratic in the lines it compares: the lines both bodies start and end
    # with are dropped first, and at most DIFF_LINES of what is left are compared.
    same = 0
    while same < min(len(before), len(after)) and before[same] == after[same]:
        same += 1
    before, after = before[same:], after[same:]
    same = 0
    while same < min(len(before), len(after)) and before[-1 - same] == after[-1 - same]:
        same += 1
    before, after = before[: len(before) - same], after[: len(after) - same]
    cut = len(before) > DIFF_LINES or len(after) > DIFF_LINES
    changes = [
        line
        for line in difflib.unified_diff(before[:DIFF_LINES], after[:DIFF_LINES], lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---")) and line[1:].strip()
    ]
    shown = [
        change if len(change) <= width else change[: width - 3] + "..."
        for change in changes[:limit]
    ]
    more = len(changes) - len(shown)
    text = "; ".join(repr(change) for change in shown)
    if cut:
        return (f"{text}; and" if text else "changes in") + f" more than {DIFF_LINES} lines"
    text = text or "blank lines and spaces only"
    return text + (f"; and {more} more changed line(s)" if more > 0 else "")


def _keys(events: Iterable[Event] | None) -> set[EventKey]:
    return {event_key(event) for event in events or ()}
