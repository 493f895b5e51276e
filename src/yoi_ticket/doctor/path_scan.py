"""The machine-local path scan of one doctor run, which YT303 and YT304 share (see
docs/leaks.md): the detector of :mod:`yoi_ticket.doctor.machine_paths` with this run's
data dir, runtime dir and workspace path, the structured places of a ticket that may
hold a path, and the prose lines that do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from yoi_ticket.doctor.diagnostics import Finding
from yoi_ticket.doctor.leak_scan import (
    RELATIONS,
    Place,
    artifact_places,
    frontmatter_places,
    normalise_key,
)
from yoi_ticket.doctor.machine_paths import MachinePaths, PathHit
from yoi_ticket.doctor.sources import TicketSource
from yoi_ticket.files import textfile
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import ITEM, THREAD

_WORKSPACE_DIRS = re.compile(r"[/\\](\.(?:worktrees?|yoi)(?:[/\\].*)?)$")
# Fields that hold a path (YT303 for a machine-local one), and fields of free text where a
# path is quoted prose (YT304). Any other field counts as a path field when its whole value
# is one path (``log: /home/alice/x.log``) and as free text otherwise.
PATH_KEYS = frozenset({"worktree", "cwd", "socket", "path", "dir", "workdir"})
PATH_KEY_SUFFIXES = ("_path", "_dir")
FREE_TEXT_KEYS = frozenset(
    {
        "summary",
        "note",
        "notes",
        "role_plan",
        "title",
        "description",
        "intake_summary",
        "body",
        "comment",
        "message",
        "reason",
        "details",
        "text",
    }
)


def path_valued(keys: tuple[str, ...], value: str) -> bool:
    """Whether the field at ``keys`` holds a path rather than free text (see above)."""
    name = normalise_key(keys[-1]) if keys else ""
    if name in PATH_KEYS or name.endswith(PATH_KEY_SUFFIXES):
        return True
    if name in FREE_TEXT_KEYS:
        return False
    return len(value.split()) == 1


@dataclass(frozen=True, slots=True)
class FieldHit:
    """A machine-local path in a structured place, and whether the field holds a path."""

    place: Place
    hit: PathHit
    line: int | None
    path_valued: bool


class PathScan:
    """The machine-local path detector of one run (patterns plus the data dir, runtime dir
    and workspace path), and the per-ticket work that YT303 and YT304 share: the lines of
    ``item.md`` and ``thread.md`` that may hold a path, found once per ticket (only the
    current ticket is kept)."""

    def __init__(self, workspace: Path, detector: MachinePaths) -> None:
        self.workspace = workspace
        self.detector = detector
        self._roots = {str(workspace), os.path.realpath(workspace)}
        self._ticket: Ticket | None = None  # the ticket of the last marked lines
        self._marked: tuple[list[tuple[int, str]], list[tuple[int, str]]] = ([], [])
        self._hits_ticket: Ticket | None = None  # the ticket of the last field_hits
        self._hits: list[FieldHit] = []

    @classmethod
    def for_workspace(cls, workspace: Path) -> PathScan:
        locations = Locations.from_env()
        detector = MachinePaths(
            (
                (str(locations.data_dir), "the yoi data dir"),
                (str(locations.runtime_dir), "the yoi runtime dir"),
                (str(workspace), "this workspace's absolute path"),
            )
        )
        return cls(workspace, detector)

    def marked(self, ticket: Ticket) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
        """The lines (index from 0, text) of ``item.md`` and of ``thread.md`` that may hold
        a machine-local path (:meth:`MachinePaths.marked_lines`)."""
        if self._ticket is not ticket:
            detector = self.detector
            self._marked = (
                detector.marked_lines(ticket.item_text),
                detector.marked_lines(ticket.thread_text),
            )
            self._ticket = ticket
        return self._marked

    def prechecked(self, ticket: Ticket) -> tuple[bool, bool]:
        """Whether item.md and thread.md may hold a machine-local path."""
        item, thread = self.marked(ticket)
        if self.detector.multiline:  # a local dir spans lines: test the whole texts
            detector = self.detector
            return detector.may_contain(ticket.item_text), detector.may_contain(ticket.thread_text)
        return bool(item), bool(thread)

    def candidates(self, ticket: Ticket) -> Iterator[Place]:
        """Structured places whose value is a string that may hold a machine-local path;
        whole files are tested first, so a clean ticket costs two regular-expression scans.
        An event header is a whole line of the thread: it may hold a path when its line does."""
        detector = self.detector
        places: list[Iterator[Place]] = []
        item_may, thread_may = self.prechecked(ticket)
        if item_may:
            places.append(frontmatter_places(ticket))
        if thread_may:
            if detector.multiline:
                events = [e for e in ticket.events if detector.may_contain(e.header)]
            else:
                lines = {index + 1 for index, _ in self.marked(ticket)[1]}
                events = [e for e in ticket.events if e.line in lines]
            places.append(
                Place(THREAD, "event header", (key,), value, event.line)
                for event in events
                for key, value in event.attrs.items()
            )
        # The JSON text holds every string value as written or with an escape ("\\"), which
        # may_contain counts as a possible path too.
        if (ticket.relations or ticket.plan) and detector.may_contain(ticket.records_text):
            places.append(artifact_places(ticket))
        for group in places:
            for place in group:
                if isinstance(place.value, str) and detector.may_contain(place.value):
                    yield place

    def prose_findings(self, ticket: Ticket) -> Iterator[Finding]:
        """The prose findings (YT304) in the item.md body and the event bodies (not in headers)."""
        item, thread = self.marked(ticket)
        if ticket.item is not None and item:
            body_line = ticket.item.body_line
            lines = [(index, line) for index, line in item if index + 1 >= body_line]
            yield from self._prose(ticket.file_path(ITEM), lines, 1, frozenset())
        if thread:
            headers = frozenset(
                e.line for e in ticket.events if e.header.lstrip().startswith("<!--")
            )
            yield from self._prose(ticket.file_path(THREAD), thread, 1, headers)

    def field_hits(self, ticket: Ticket, source: TicketSource) -> list[FieldHit]:
        """The machine-local paths in the structured places of ``ticket``, found once per
        ticket for YT303 (path fields) and YT304 (free-text fields)."""
        if self._hits_ticket is not ticket:
            self._hits = list(self._field_hits(ticket, source))
            self._hits_ticket = ticket
        return self._hits

    def _field_hits(self, ticket: Ticket, source: TicketSource) -> Iterator[FieldHit]:
        relations: RelationsLines | None = None  # read only when a relation holds a path
        for place in self.candidates(ticket):
            for hit in self.detector.find(place.value):
                line = place.line
                if place.file == RELATIONS:
                    relations = relations or RelationsLines(source, ticket)
                    line = relations.line_of(hit.path) or line
                yield FieldHit(place, hit, line, path_valued(place.keys, place.value))

    def decode_if_marked(self, data: bytes) -> str | None:
        """The text of ``data`` if its bytes may hold a machine-local path (else not decoded)."""
        return textfile.decode(data).text if self.detector.may_contain_bytes(data) else None

    def prose(self, path: str, text: str, first_line: int) -> Iterator[Finding]:
        """Findings (YT304) for the certain machine-local paths in ``text``, which starts at
        line ``first_line`` of ``path``."""
        return self._prose(path, self.detector.marked_lines(text), first_line, frozenset())

    def _prose(
        self, path: str, lines: list[tuple[int, str]], first_line: int, skip: frozenset[int]
    ) -> Iterator[Finding]:
        for offset, line in lines:
            if first_line + offset in skip:
                continue
            for hit in self.detector.find(line, certain_only=True):
                yield Finding(
                    path,
                    first_line + offset,
                    f"machine-local path {hit.path!r} ({hit.kind}) in text",
                    self.hint(hit, prose=True),
                )

    def hint(self, hit: PathHit, *, prose: bool = False) -> str:
        relative = self._workspace_relative(hit.path) or _worktree_relative(hit.path)
        if relative is not None:
            return f"write the workspace-relative path {relative!r} instead"
        if prose:
            return "quote workspace-relative paths, or leave the machine-specific part out"
        return (
            "use a workspace-relative path or remove it; machine-specific locations (Pod "
            "sockets, worktrees of a local Pod) belong in the local overlay, not in tracked files"
        )

    def _workspace_relative(self, path: str) -> str | None:
        for root in self._roots:
            if path == root:
                return "."
            if path.startswith(root.rstrip("/") + "/"):
                return path[len(root.rstrip("/")) + 1 :]
        return None


def _worktree_relative(path: str) -> str | None:
    """``.worktree/x`` for ``/home/alice/src/repo/.worktree/x`` (another machine's checkout)."""
    match = _WORKSPACE_DIRS.search(path)
    return match.group(1).replace("\\", "/") if match else None


class RelationsLines:
    """The lines of one ticket's relations.json, read (from the run's source) only when a
    machine-local path was found in a relation, and at most once."""

    def __init__(self, source: TicketSource, ticket: Ticket) -> None:
        self._source = source
        self._path = ticket.file_path(RELATIONS)
        self._lines: list[str] | None = None

    def line_of(self, needle: str) -> int | None:
        """The line of relations.json holding ``needle`` as JSON writes it."""
        if self._lines is None:
            data = self._source.read(self._path)
            self._lines = textfile.decode(data).text.split("\n") if data is not None else []
        encoded = needle.replace("\\", "\\\\")
        return next((n for n, text in enumerate(self._lines, start=1) if encoded in text), None)
