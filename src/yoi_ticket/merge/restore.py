"""Putting back the thread events that merges dropped (``yoi ticket restore-events``).

The events are those YT505 reports (:mod:`yoi_ticket.merge.history` finds them); an
event the merge kept with another body (YT506) is not touched. For each one that the
work tree's ``thread.md`` still lacks:

* The thread is the one at the merge's path; when the ticket has moved since (a later
  layout migration), the work tree's thread holding the most of the parent's other
  events (a tie is not guessed).
* The event goes back in time order, after the last event whose time is not later than
  its own (so after events of the same time). An event without ``at`` takes the time of
  the event before it in the parent, as the merge driver orders them.
* Its lines are the parent's, byte for byte. When the thread separates its events with
  ``---`` lines, an event that had none (the parent's last) gets one, and so does the
  thread's last event when the restored one comes after it.
* ``updated_at`` of the ticket's ``item.md`` takes the newest restored event's time when
  that is later, written as the field was written (quotes kept); otherwise it is left alone.
* Nothing else in either file changes: the new thread is parsed again, and unless it holds
  exactly the old events, in their order, plus the restored ones, nothing is written.

Skipped with a diagnostic, never guessed: a thread that is not plain UTF-8 with LF line
ends, holds a conflict block or an event header that cannot be read, or is reached through
a symbolic link; an event the thread holds in an edited form (its header with another
body); an event whose own header cannot be read; a ticket no longer in the work tree.

Nothing is committed. Files are replaced atomically (a temp file, then a rename), and a
file that changed between reading and writing is left alone.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from yoi_ticket.files import textfile
from yoi_ticket.files.fsutil import read_regular, write_text_atomic
from yoi_ticket.git import GitRepo
from yoi_ticket.merge.conflicts import EventKey, event_key, find_conflict_blocks
from yoi_ticket.merge.history import MergeToCheck, ThreadLoss, find_losses, follow_moves
from yoi_ticket.merge.item import field_time, rewrite_scalar, split_item
from yoi_ticket.merge.thread import Chunk, ThreadDoc, split_thread
from yoi_ticket.store.reader import ITEM, THREAD, Store
from yoi_ticket.store.thread import SEPARATOR, Event, parse_thread, parse_time

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Restored:
    path: str  # the work tree's thread.md, workspace-relative
    header: str
    source: str  # "dropped by merge 1a2b3c4d5e6f from parent 2, 9f8e7d6c5b4a"


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    what: str  # the event's header, or "updated_at"
    reason: str


@dataclass(frozen=True, slots=True)
class FileEdit:
    path: str  # workspace-relative
    old: bytes  # the file as read: it is replaced only if it still holds these bytes
    new: str
    after: str | None = None  # an item.md's thread: not written unless that one was


@dataclass
class RestorePlan:
    merges: int  # how many merges were checked
    restored: list[Restored] = field(default_factory=list)
    updated: list[tuple[str, str, str]] = field(default_factory=list)  # item, old, new time
    skipped: list[Skipped] = field(default_factory=list)
    edits: list[FileEdit] = field(default_factory=list)
    present: int = 0  # dropped events the work tree holds again (restored before, by hand)


def plan_restore(
    workspace: Path,
    repo: GitRepo,
    merges: Sequence[MergeToCheck],
    *,
    progress: Progress | None = None,
) -> RestorePlan:
    """What restoring the events ``merges`` dropped would change in the work tree."""
    store = Store(workspace)
    losses = find_losses(repo, merges, store.root_rel, progress=progress)
    plan = RestorePlan(len(merges))
    targets = _Targets(workspace, store)
    grouped: dict[str, list[ThreadLoss]] = {}
    for loss in losses:
        if loss.lost.kept_as is not None:
            continue  # edited while merging (YT506): the event is there
        target = targets.find(loss)
        if target is None:
            reason = "the ticket is not in the work tree any more (no thread holds its events)"
            plan.skipped.append(Skipped(loss.path, _header(loss.lost.event), reason))
            continue
        grouped.setdefault(target, []).append(loss)
    for path, group in sorted(grouped.items()):
        _plan_thread(workspace, path, group, plan)
    return plan


def apply_plan(workspace: Path, plan: RestorePlan) -> list[str]:
    """Write the plan's edits; the paths written. A file that no longer holds what was read
    is left alone (and said in ``plan.skipped``)."""
    written: list[str] = []
    for edit in plan.edits:
        if edit.after is not None and edit.after not in written:
            reason = f"left alone: {edit.after} was not rewritten"
            plan.skipped.append(Skipped(edit.path, "updated_at", reason))
            continue
        problem = _write(workspace / edit.path, edit)
        if problem is not None:
            plan.skipped.append(Skipped(edit.path, "file", problem))
        else:
            written.append(edit.path)
    return written


def _write(path: Path, edit: FileEdit) -> str | None:
    """Replace ``path`` with the edit, if it still holds what was read; or why not."""
    try:
        current = read_regular(path, textfile.MAX_FILE_BYTES, follow_symlinks=False)
        if current != edit.old:
            return "changed while restoring; left alone"
        write_text_atomic(path, edit.new, mode=stat.S_IMODE(os.lstat(path).st_mode))
    except OSError as exc:
        return f"cannot be rewritten: {exc.strerror or exc}; left alone"
    return None


def plan_diff(plan: RestorePlan, top: Callable[[str], str]) -> str:
    """The plan's edits as a unified diff (paths as ``git diff`` writes them: ``top`` maps
    a workspace-relative path to the repository's), which ``git apply`` takes."""
    out: list[str] = []
    for edit in plan.edits:
        name = top(edit.path)
        old = edit.old.decode("utf-8").splitlines(keepends=True)
        new = edit.new.splitlines(keepends=True)
        for line in difflib.unified_diff(old, new, f"a/{name}", f"b/{name}"):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# --- one thread


def _plan_thread(workspace: Path, path: str, group: list[ThreadLoss], plan: RestorePlan) -> None:
    """Plan the events ``group`` dropped back into the work tree's thread at ``path``."""
    read = _read_text(workspace, path)
    problem = read if isinstance(read, str) else _unsafe_thread(read[1])
    if problem is not None or isinstance(read, str):
        plan.skipped.extend(Skipped(path, _header(loss.lost.event), str(problem)) for loss in group)
        return
    raw, text = read
    events = parse_thread(text)
    keys = [event_key(event) for event in events]
    held = {key[0]: event for key, event in zip(keys, events, strict=True)}
    held_keys = set(keys)
    wanted: dict[EventKey, ThreadLoss] = {}  # one each: two merges may drop the same event
    present: set[EventKey] = set()
    for loss in group:
        event = loss.lost.event
        key = event_key(event)
        if key in wanted or key in present:
            continue
        if key in held_keys:
            present.add(key)
            continue
        reason = _cannot_restore(event, held.get(key[0]))
        if reason is not None:
            plan.skipped.append(Skipped(path, _header(event), reason))
            present.add(key)  # (said once)
        else:
            wanted[key] = loss
    plan.present += len(present & held_keys)
    if not wanted:
        return
    chosen = list(wanted.values())
    new_text, order = insert_events(text, [_chunk(loss.lost.event) for loss in chosen])
    restored_keys = list(wanted)
    expected = [keys[item] if isinstance(item, int) else restored_keys[item[0]] for item in order]
    if [event_key(event) for event in parse_thread(new_text)] != expected:
        reason = "the events could not be inserted without changing the others; not rewritten"
        plan.skipped.extend(Skipped(path, _header(loss.lost.event), reason) for loss in chosen)
        return
    plan.edits.append(FileEdit(path, raw, new_text))
    plan.restored.extend(Restored(path, _header(loss.lost.event), _source(loss)) for loss in chosen)
    _plan_item(workspace, path, [loss.lost.event for loss in chosen], plan)


def _unsafe_thread(text: str) -> str | None:
    """Why a thread must not be rewritten (``None``: it may)."""
    blocks = find_conflict_blocks(text)
    if blocks:
        return f"holds a conflict block (line {blocks[0].line}); not rewritten"
    for event in parse_thread(text):
        if event.header_error is not None:
            return f"line {event.line}: {event.header_error}; not rewritten"
    return None


def _cannot_restore(event: Event, same_header: Event | None) -> str | None:
    if event.header_error is not None:
        return f"the event's header cannot be read ({event.header_error}); not restored"
    if same_header is not None:
        return (
            f"the thread holds this event in an edited form (line {same_header.line}); not replaced"
        )
    return None


_split_cache: dict[str, ThreadDoc] = {}


def _chunk(event: Event) -> Chunk:
    """The event's lines as the parent wrote them (and its time, inherited if it has none)."""
    doc = _split_cache.get(event.text)
    if doc is None:
        if len(_split_cache) > 64:
            _split_cache.clear()
        doc = _split_cache[event.text] = split_thread(event.text)
    index = next(i for i, e in enumerate(parse_thread(event.text)) if e.line == event.line)
    return doc.chunks[index]


def insert_events(text: str, chunks: Sequence[Chunk]) -> tuple[str, list[int | tuple[int]]]:
    """``text`` with ``chunks`` inserted in time order, each after the last event not later
    than it; and the order of the result's events (an int: the old event of that index; a
    1-tuple: the chunk of that index)."""
    doc = split_thread(text)
    existing = doc.chunks
    slots: dict[int, list[int]] = {}
    for number in sorted(range(len(chunks)), key=lambda n: chunks[n].time):  # stable
        time = chunks[number].time
        after = max((i for i, chunk in enumerate(existing) if chunk.time <= time), default=-1)
        slots.setdefault(after, []).append(number)
    order: list[int | tuple[int]] = [(n,) for n in slots.get(-1, [])]
    for index in range(len(existing)):
        order.append(index)
        order.extend((n,) for n in slots.get(index, []))
    separated = any(c.core[-1].strip() == SEPARATOR for c in (*existing, *chunks))
    middle = next((chunk.gap for chunk in existing if not chunk.last), ("",))
    lines = list(doc.preamble if existing else doc.preamble[:-1])
    for position, item in enumerate(order):
        chunk = existing[item] if isinstance(item, int) else chunks[item[0]]
        lines.extend(chunk.core)
        final = position == len(order) - 1
        needs_separator = isinstance(item, tuple) or (chunk.last and not final)
        if separated and needs_separator and chunk.core[-1].strip() != SEPARATOR:
            lines.extend(("", SEPARATOR))
        if final:
            lines.extend(existing[-1].gap if existing else ("",))
        elif isinstance(item, int) and not chunk.last:
            lines.extend(chunk.gap)
        else:
            lines.extend(middle)
    return "\n".join(lines), order


# --- item.md


def _plan_item(workspace: Path, thread: str, events: list[Event], plan: RestorePlan) -> None:
    """``updated_at`` of the ticket's item.md, when a restored event is newer."""
    times = [(t, e.at) for e in events if e.at and (t := parse_time(e.at)) is not None]
    if not times:
        return
    newest, at = max(times, key=lambda pair: pair[0])
    path = thread.rsplit("/", 1)[0] + "/" + ITEM
    read = _read_text(workspace, path)
    if isinstance(read, str):
        plan.skipped.append(Skipped(path, "updated_at", f"{read}; left alone"))
        return
    raw, text = read
    changed = _with_updated_at(text, newest, at)
    if isinstance(changed, str):
        plan.skipped.append(Skipped(path, "updated_at", f"{changed}; left alone"))
    elif changed is not None:
        plan.edits.append(FileEdit(path, raw, changed[0], after=thread))
        plan.updated.append((path, changed[1], at))


def _with_updated_at(text: str, newest: datetime, at: str) -> tuple[str, str] | str | None:
    """``(new text, old value)``; ``None`` when ``updated_at`` is not older; a reason (str)
    when it cannot be changed as written."""
    doc = split_item(text)
    if doc is None:
        return "its frontmatter cannot be read"
    found = doc.field_map().get("updated_at")
    if found is None or len(found.lines) != 1:
        return "it has no one-line updated_at field"
    current = field_time(found)
    if current is None:
        return f"its updated_at ({found.lines[0].strip()}) is not a time"
    if current >= newest:
        return None
    line = rewrite_scalar(found.lines[0], at)
    if line is None:
        return f"its updated_at line ({found.lines[0].strip()}) is not a plain value"
    lines = text.split("\n")
    index = lines.index(found.lines[0], 1)  # the first match is the field: keys are unique
    lines[index] = line
    old = found.value[1] if found.value[0] == "value" else found.lines[0]
    return "\n".join(lines), str(old)


# --- reading the work tree


def _read_text(workspace: Path, path: str) -> tuple[bytes, str] | str:
    """A ticket file as bytes and text, or why it is not rewritten (a str)."""
    full = workspace / path
    if os.path.realpath(full) != os.path.join(os.path.realpath(workspace), path):
        return "is reached through a symbolic link; not rewritten"
    try:
        data = read_regular(full, textfile.MAX_FILE_BYTES, follow_symlinks=False)
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if len(data) > textfile.MAX_FILE_BYTES:
        return f"is larger than {textfile.MAX_FILE_BYTES} bytes; not rewritten"
    for bad, what in ((textfile.UTF8_BOM, "a byte order mark"), (b"\r", "CR"), (b"\0", "NUL")):
        if bad in data:
            return f"holds {what} bytes (only plain UTF-8 with LF line ends is rewritten)"
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"is not valid UTF-8 (byte {exc.start}); not rewritten"


class _Targets:
    """Where a loss's thread is in the work tree: at the merge's path, or (a ticket moved
    since) the thread holding the most of the parent's other events."""

    def __init__(self, workspace: Path, store: Store) -> None:
        self._workspace = workspace
        self._store = store
        self._threads: dict[str, frozenset[EventKey]] | None = None
        self._found: dict[tuple[str, str], str | None] = {}

    def find(self, loss: ThreadLoss) -> str | None:
        if os.path.lexists(self._workspace / loss.path):
            return loss.path
        known = (loss.path, loss.lost.event.text)
        if known not in self._found:
            others = frozenset(event_key(e) for e in parse_thread(loss.lost.event.text))
            others -= {event_key(loss.lost.event)}
            moves = follow_moves({loss.path: others}, self._work_tree_threads())
            self._found[known] = next(iter(moves), None)
        return self._found[known]

    def _work_tree_threads(self) -> dict[str, frozenset[EventKey]]:
        if self._threads is None:
            self._threads = {}
            for location in self._store.scan().locations:
                path = f"{location.path}/{THREAD}"
                decoded = textfile.read(self._workspace / path)
                if decoded.problem is None:
                    keys = frozenset(event_key(e) for e in parse_thread(decoded.text))
                    self._threads[path] = keys
        return self._threads


def _header(event: Event) -> str:
    return event.header.strip()


def _source(loss: ThreadLoss) -> str:
    return f"dropped by {loss.merge.label} from parent {loss.lost.parent + 1}, {loss.parent[:12]}"
