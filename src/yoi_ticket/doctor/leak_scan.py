"""Leak scanning for the YT3xx rules (see docs/leaks.md for every decision).

Which keys hold local state (claims, sessions, runtime), the structured places of a
ticket (frontmatter fields, nested ones too, event header attributes, the records of
the two structured artifacts) walked once per ticket, and the per-run scan for
machine-local paths that YT303 and YT304 share.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yoi_ticket.doctor.diagnostics import Finding
from yoi_ticket.doctor.machine_paths import MachinePaths, PathHit
from yoi_ticket.doctor.sources import TicketSource
from yoi_ticket.files import textfile
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.store.item import FrontmatterLines
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import ARTIFACTS, ITEM, THREAD

if TYPE_CHECKING:
    from pydantic import BaseModel

RELATIONS = f"{ARTIFACTS}/relations.json"
PLAN = f"{ARTIFACTS}/orchestration-plan.jsonl"

# --- which keys hold local state ------------------------------------------------------

CLAIM_KEYS = frozenset(
    {
        "claim",
        "claims",
        "claimed",
        "claimed_by",
        "claimed_at",
        "claimed_on",
        "claimant",
        "claim_holder",
        "claim_owner",
        "local_claim",
        "local_claims",
        "local_assignment",
        "local_assignee",
        "lease",
        "leased_by",
        "leased_at",
        "lock_holder",
        "lock_owner",
        "locked_by",
        "locked_at",
        "pod",
        "pods",
        "assigned_pod",
        "current_pod",
        "active_pod",
        "owner_pod",
        "worker_pod",
        "agent_pod",
    }
)
SESSION_KEYS = frozenset(
    {"session", "session_id", "session_origin", "role_session", "role_sessions", "tmux_session"}
)
RUNTIME_KEYS = frozenset(
    {
        "pid",
        "ppid",
        "worker_pid",
        "process_id",
        "launch_pid",
        "pending_launch",
        "socket",
        "socket_path",
        "sock",
        "heartbeat",
        "heartbeat_at",
        "last_heartbeat",
        "hostname",
        "host_name",
        "data_dir",
        "overlay",
        "overlay_path",
        "workspace_key",
    }
)
# Any key starting with one of these is local state too (pod_name, claim_status, lease_id...).
LOCAL_KEY_PREFIXES = (
    ("claim_", CLAIM_KEYS),
    ("claimed_", CLAIM_KEYS),
    ("lease_", CLAIM_KEYS),
    ("pod_", CLAIM_KEYS),
    ("local_claim", CLAIM_KEYS),
    ("session_", SESSION_KEYS),
    ("runtime_", RUNTIME_KEYS),
    ("socket_", RUNTIME_KEYS),
    ("heartbeat_", RUNTIME_KEYS),
)
# Values of these keys are never taken for a Pod assignment (YT302): attribution of past
# work stays true after the Pod is gone, and vocabulary fields hold fixed words.
ATTRIBUTION_KEYS = frozenset({"author", "authors", "created_by", "reviewer", "reviewers"})
VOCABULARY_KEYS = frozenset(
    {
        "event",
        "at",
        "field",
        "from",
        "to",
        "state",
        "status",
        "workflow_state",
        "kind",
        "id",
        "ticket_id",
        "target",
        "slug",
        "title",
        "priority",
        "readiness",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalise_key(key: str) -> str:
    """``claimedBy``, ``Claimed-By`` and ``claimed_by`` are one key."""
    return _CAMEL.sub("_", key).replace("-", "_").lower()


@functools.lru_cache(maxsize=4096)
def local_state_kind(key: str) -> frozenset[str] | None:
    """The key family (claim, session or runtime) of a local-state key, else ``None``."""
    for part in normalise_key(key).split("."):
        for family in (CLAIM_KEYS, SESSION_KEYS, RUNTIME_KEYS):
            if part in family:
                return family
        for prefix, family in LOCAL_KEY_PREFIXES:
            if part.startswith(prefix):
                return family
    return None


def may_name_pod(key: str) -> bool:
    """Whether the value of ``key`` could be a Pod assignment (YT302 looks at it)."""
    name = normalise_key(key).split(".")[-1]
    if name in ATTRIBUTION_KEYS or name in VOCABULARY_KEYS:
        return False
    return not (name.endswith("_by") and local_state_kind(name) is None)


# --- walking the structured places of a ticket -----------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """One value in a structured place: where it is and under which keys."""

    file: str  # relative to the ticket folder: item.md, thread.md, artifacts/...
    where: str  # "frontmatter", "event header", "relation", "plan record"
    keys: tuple[str, ...]  # key path, outermost first
    value: Any
    line: int | None


def walk(value: Any, keys: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (key path, leaf value) of nested mappings and lists, and every mapping key."""
    if isinstance(value, dict):
        if not value and keys:
            yield keys, value
        for key, child in value.items():
            yield from walk(child, (*keys, str(key)))
    elif isinstance(value, list):
        if not value and keys:
            yield keys, value
        for child in value:
            yield from walk(child, keys)
    else:
        yield keys, value


def frontmatter_places(ticket: Ticket) -> Iterator[Place]:
    if ticket.item is None or not ticket.item.frontmatter_ok:
        return
    finder: FrontmatterLines | None = None
    for top, value in ticket.fields.items():
        top_line = ticket.field_line(top)
        if top_line is None or not isinstance(value, (list, dict)):
            for keys, leaf in walk(value, (top,)):
                yield Place(ITEM, "frontmatter", keys, leaf, top_line)
            continue
        finder = finder or FrontmatterLines(ticket.item_text, ticket.item.body_line)
        finder.start(top_line)
        previous: tuple[str, ...] = (top,)
        for keys, leaf in walk(value, (top,)):
            # The items of one list share their keys: the key is looked for once.
            line = finder.key(keys[-1]) if keys != previous else finder.cursor
            previous = keys
            if isinstance(leaf, str) and leaf:
                line = finder.value(leaf)
            yield Place(ITEM, "frontmatter", keys, leaf, line)


def header_places(ticket: Ticket) -> Iterator[Place]:
    for event in ticket.events:
        for key, value in event.attrs.items():
            yield Place(THREAD, "event header", (key,), value, event.line)


def record_values(record: BaseModel) -> dict[str, Any]:
    """The fields of a relation or plan record, declared and extra, without doctor's ``line``."""
    data = {k: v for k, v in record.__dict__.items() if v is not None and k != "line"}
    data.update(record.model_extra or {})
    return data


def artifact_places(ticket: Ticket) -> Iterator[Place]:
    for relation in ticket.relations:
        for keys, leaf in walk(record_values(relation)):
            yield Place(RELATIONS, "relation", keys, leaf, relation.line)
    for record in ticket.plan:
        for keys, leaf in walk(record_values(record)):
            yield Place(PLAN, "plan record", keys, leaf, record.line)


def local_keys(value: Any, keys: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The outermost local-state keys in nested mappings (and lists), with their values."""
    if isinstance(value, dict):
        for key, child in value.items():
            path = (*keys, str(key))
            if local_state_kind(str(key)) is not None:
                yield path, child
            elif isinstance(child, (dict, list)):
                yield from local_keys(child, path)
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, (dict, list)):
                yield from local_keys(child, keys)


def local_key_places(ticket: Ticket) -> Iterator[Place]:
    """Places whose key (the outermost one of a nested value) is local state."""
    if ticket.item is not None and ticket.item.frontmatter_ok:
        finder: FrontmatterLines | None = None
        top: str | None = None
        for keys, value in local_keys(ticket.fields):
            line = ticket.field_line(keys[0])
            if len(keys) > 1 and line is not None:
                finder = finder or FrontmatterLines(ticket.item_text, ticket.item.body_line)
                if keys[0] != top:
                    top = keys[0]
                    finder.start(line)
                line = finder.key(keys[-1])
            yield Place(ITEM, "frontmatter", keys, value, line)
    for event in ticket.events:
        for key, value in event.attrs.items():
            if local_state_kind(key) is not None:
                yield Place(THREAD, "event header", (key,), value, event.line)
    for relation in ticket.relations:
        if relation.model_extra:
            for keys, value in local_keys(relation.model_extra):
                yield Place(RELATIONS, "relation", keys, value, relation.line)
    for record in ticket.plan:
        if record.model_extra:
            for keys, value in local_keys(record.model_extra):
                yield Place(PLAN, "plan record", keys, value, record.line)


def key_text(keys: tuple[str, ...]) -> str:
    return ".".join(keys)


def shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def place_family(place: Place) -> frozenset[str] | None:
    """The local-state family of the innermost local-state key of ``place``, if any."""
    for key in reversed(place.keys):
        family = local_state_kind(key)
        if family is not None:
            return family
    return None


def name_matcher(names: list[bytes]) -> Callable[[bytes], bool]:
    """A test for "one of ``names`` occurs" on undecoded file content."""
    if len(names) <= 16:
        return lambda data: any(name in data for name in names)
    pattern = re.compile(b"|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return lambda data: pattern.search(data) is not None


# --- machine-local paths (YT303, YT304) --------------------------------------------------------

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
    and workspace path), and the per-ticket test that YT303 and YT304 share."""

    def __init__(self, workspace: Path, detector: MachinePaths) -> None:
        self.workspace = workspace
        self.detector = detector
        self._roots = {str(workspace), os.path.realpath(workspace)}
        self._ticket: Ticket | None = None  # the ticket of the last precheck
        self._may: tuple[bool, bool] = (False, False)
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

    def prechecked(self, ticket: Ticket) -> tuple[bool, bool]:
        """Whether item.md and thread.md may hold a machine-local path, computed once per
        ticket for YT303 and YT304 (only the current ticket is kept)."""
        if self._ticket is not ticket:
            detector = self.detector
            self._may = (
                detector.may_contain(ticket.item_text),
                detector.may_contain(ticket.thread_text),
            )
            self._ticket = ticket
        return self._may

    def candidates(self, ticket: Ticket) -> Iterator[Place]:
        """Structured places whose value is a string that may hold a machine-local path;
        whole files are tested first, so a clean ticket costs two regular-expression scans."""
        detector = self.detector
        places: list[Iterator[Place]] = []
        item_may, thread_may = self.prechecked(ticket)
        if item_may:
            places.append(frontmatter_places(ticket))
        if thread_may:
            places.append(
                Place(THREAD, "event header", (key,), value, event.line)
                for event in ticket.events
                if detector.may_contain(event.header)
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
        """Findings for the certain machine-local paths in ``text`` (YT304)."""
        for offset, line in enumerate(text.split("\n")):
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
