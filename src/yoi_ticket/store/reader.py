"""The tracked ticket store: finding ticket folders in both layouts and reading them.

* v2 (flat): ``<root>/<id>/{item.md,thread.md,artifacts/,resolution.md}``
* v1 (nested): ``<root>/<open|pending|closed>/<id>/...``

Reading never raises on bad content; problems are recorded on the
:class:`~yoi_ticket.store.models.Ticket`. Symlinks that resolve outside the store
(or outside a ticket's folder) are recorded and never followed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from yoi_ticket.errors import AmbiguousTicketError, TicketNotFoundError, UsageError
from yoi_ticket.files import textfile
from yoi_ticket.store import artifacts
from yoi_ticket.store.config import TicketConfig, load_config
from yoi_ticket.store.ids import unsafe_component_reason
from yoi_ticket.store.item import read_item
from yoi_ticket.store.models import V1_BUCKETS, Layout, PlanRecord, Problem, Relation, Ticket
from yoi_ticket.store.thread import parse_thread

ITEM = "item.md"
THREAD = "thread.md"
ARTIFACTS = "artifacts"
RESOLUTION = "resolution.md"
TICKET_FILES = (ITEM, THREAD)


@dataclass(frozen=True, slots=True)
class TicketLocation:
    """Where a ticket folder is: its id (folder name) and workspace-relative path."""

    id: str
    path: str
    layout: Layout
    bucket: str | None = None
    is_symlink: bool = False
    escapes: str | None = None  # why a symlinked folder is not followed


@dataclass
class StoreScan:
    """The shape of the store: ticket folders, v1 buckets and stray entries."""

    locations: list[TicketLocation] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)  # workspace-relative bucket folders
    stray_files: list[str] = field(default_factory=list)  # workspace-relative files at the root
    exists: bool = True

    @property
    def layout(self) -> Layout:
        """``v1`` when every ticket sits in a v1 bucket, else ``v2``."""
        if self.locations and all(loc.layout == "v1" for loc in self.locations):
            return "v1"
        return "v2"


class Store:
    """The ticket store of one workspace (working tree)."""

    def __init__(self, workspace: Path, config: TicketConfig | None = None) -> None:
        self.workspace = workspace
        self.config = config if config is not None else load_config(workspace)
        self.root_rel = self.config.store_root
        self.root = workspace / self.root_rel
        self._scan: StoreScan | None = None
        self._buckets: dict[str, bool] = {}

    def rel(self, path: Path | str) -> str:
        """Workspace-relative ``/`` path of an absolute path inside the workspace."""
        return Path(os.path.relpath(path, self.workspace)).as_posix()

    def scan(self) -> StoreScan:
        if self._scan is None:
            self._scan = self._scan_root()
        return self._scan

    def _scan_root(self) -> StoreScan:
        scan = StoreScan()
        try:
            entries = sorted(os.scandir(self.root), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            scan.exists = False
            return scan
        except OSError as exc:
            raise _unreadable(self.root_rel, exc) from None
        real_root = os.path.realpath(self.root)
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if not _is_dir(entry):
                if _is_dead_link(entry):
                    scan.locations.append(self._location(entry, real_root, "v2", None, ""))
                else:
                    scan.stray_files.append(f"{self.root_rel}/{entry.name}")
                continue
            if entry.name in V1_BUCKETS and not entry.is_symlink() and _is_bucket(entry.path):
                scan.buckets.append(f"{self.root_rel}/{entry.name}")
                try:
                    children = sorted(os.scandir(entry.path), key=lambda e: e.name)
                except OSError as exc:
                    raise _unreadable(f"{self.root_rel}/{entry.name}", exc) from None
                for child in children:
                    if child.name.startswith(".") or not (_is_dir(child) or _is_dead_link(child)):
                        continue
                    scan.locations.append(
                        self._location(child, real_root, "v1", entry.name, entry.name + "/")
                    )
                continue
            scan.locations.append(self._location(entry, real_root, "v2", None, ""))
        return scan

    def _location(
        self, entry: os.DirEntry[str], real_root: str, layout: Layout, bucket: str | None, sub: str
    ) -> TicketLocation:
        escapes = None
        is_link = entry.is_symlink()
        if is_link:
            escapes = _escape_reason(entry.path, real_root)
        return TicketLocation(
            id=entry.name,
            path=f"{self.root_rel}/{sub}{entry.name}",
            layout=layout,
            bucket=bucket,
            is_symlink=is_link,
            escapes=escapes,
        )

    def folder_of(self, path: str) -> str | None:
        """The ticket folder holding ``path`` (both workspace-relative, ``/``-separated):
        ``<root>/<id>``, or ``<root>/<bucket>/<id>`` in a v1 bucket; ``None`` for a path
        outside the store, directly in its root or under a hidden name. Judged from the
        names and one look into each bucket folder, without a scan."""
        prefix = self.root_rel.rstrip("/") + "/"
        if not path.startswith(prefix):
            return None
        parts = path[len(prefix) :].split("/", 2)
        if len(parts) < 2 or parts[0].startswith("."):
            return None
        if self._holds_folders(parts[0]):
            if len(parts) < 3 or parts[1].startswith("."):
                return None
            return f"{prefix}{parts[0]}/{parts[1]}"
        return prefix + parts[0]

    def _holds_folders(self, name: str) -> bool:
        """Whether ``<root>/<name>`` is a v1 bucket (not a ticket folder named ``open``)."""
        if name not in self._buckets:
            self._buckets[name] = name in V1_BUCKETS and _is_bucket(str(self.root / name))
        return self._buckets[name]

    def iter_tickets(self) -> Iterator[Ticket]:
        for location in self.scan().locations:
            yield self.load(location)

    def load(self, location: TicketLocation) -> Ticket:
        """Read one ticket folder from the working tree."""
        folder = os.path.join(self.workspace, location.path)
        if location.escapes is not None:
            return Ticket(
                id=location.id,
                path=location.path,
                layout=location.layout,
                bucket=location.bucket,
                folder_symlink=True,
                escapes=["."],
            )
        try:
            listing = list_ticket_folder(folder)
        except OSError as exc:
            return Ticket(
                id=location.id,
                path=location.path,
                layout=location.layout,
                bucket=location.bucket,
                problems=[Problem(kind="unreadable", file=".", message=str(exc.strerror or exc))],
            )
        names, escapes, artifact_names = listing.entries, listing.escapes, listing.artifacts

        def read(name: str) -> textfile.Decoded | None:
            if name not in names or name in escapes:
                return None
            entry = names[name]
            if entry.is_dir():
                return textfile.Decoded("", f"{name} is a directory, not a file")
            return textfile.read(entry.path, listed_regular=_is_regular(entry))

        def read_artifact(name: str) -> textfile.Decoded | None:
            if name not in artifact_names:
                return None
            return textfile.read(os.path.join(folder, ARTIFACTS, name))

        return build_ticket(
            location,
            frozenset(names),
            read,
            artifact_names,
            read_artifact,
            escapes=escapes,
        )

    def ids(self) -> list[str]:
        return [location.id for location in self.scan().locations]

    def locate(self, ticket_id: str) -> TicketLocation | None:
        """The folder of ``ticket_id`` if it exists (a cheap lookup, no full scan).

        Like :meth:`scan`, an unsafe or hidden name and a v1 bucket are never tickets.
        """
        if unsafe_component_reason(ticket_id) is not None or ticket_id.startswith("."):
            return None
        for sub, layout, bucket in (
            ("", "v2", None),
            *((f"{b}/", "v1", b) for b in V1_BUCKETS),
        ):
            path = self.root / f"{sub}{ticket_id}"
            if not sub and ticket_id in V1_BUCKETS and _is_bucket(str(path)):
                continue
            if path.is_dir():
                return TicketLocation(
                    id=ticket_id,
                    path=f"{self.root_rel}/{sub}{ticket_id}",
                    layout=layout,  # type: ignore[arg-type]
                    bucket=bucket,
                    is_symlink=path.is_symlink(),
                    escapes=(
                        _escape_reason(str(path), os.path.realpath(self.root))
                        if path.is_symlink()
                        else None
                    ),
                )
        return None

    def exists(self, ticket_id: str) -> bool:
        return self.locate(ticket_id) is not None

    def resolve_id(self, ticket_id: str) -> str:
        """``ticket_id`` as the store spells it: a folder of that exact name first, else the
        one folder whose name matches it without regard to case (``00001ksk...`` is
        ``00001KSK...``); ``ticket_id`` unchanged when there is no such folder or more than
        one."""
        if self.exists(ticket_id):
            return ticket_id
        wanted = ticket_id.casefold()
        found = {loc.id for loc in self.scan().locations if loc.id.casefold() == wanted}
        return found.pop() if len(found) == 1 else ticket_id

    def find(self, id_or_prefix: str) -> TicketLocation:
        """Resolve a ticket id or an unambiguous prefix of one; ids match without regard to
        case, but an exact match wins."""
        locations = self.scan().locations
        exact = [loc for loc in locations if loc.id == id_or_prefix]
        if exact:
            return exact[0]
        wanted = id_or_prefix.casefold()
        matches = [loc for loc in locations if loc.id.casefold() == wanted]
        if not matches and wanted:
            matches = [loc for loc in locations if loc.id.casefold().startswith(wanted)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise TicketNotFoundError(
                f"no ticket matches {id_or_prefix!r}",
                hint="run 'yoi ticket list' to see the ticket ids",
            )
        shown = ", ".join(sorted(loc.id for loc in matches)[:5])
        more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
        raise AmbiguousTicketError(
            f"{id_or_prefix!r} matches {len(matches)} tickets: {shown}{more}",
            hint="give more characters of the id",
        )


def build_ticket(
    location: TicketLocation,
    files: frozenset[str],
    read: Callable[[str], textfile.Decoded | None],
    artifact_names: list[str],
    read_artifact: Callable[[str], textfile.Decoded | None],
    *,
    escapes: list[str] | None = None,
) -> Ticket:
    """Assemble a :class:`Ticket` from file readers (working tree or git index)."""
    problems: list[Problem] = []
    item = None
    item_text = ""
    decoded = read(ITEM)
    if decoded is not None:
        if decoded.problem:
            problems.append(
                Problem(kind="unreadable", file=ITEM, message=decoded.problem, line=decoded.line)
            )
        item_text = decoded.text
        # A v1-era item is read as upstream read it then when its YAML fails (line by line).
        item, notes = read_item(decoded.text, legacy=location.layout == "v1", bom=decoded.bom)
        problems.extend(
            Problem(kind=note.kind, file=ITEM, line=note.line, message=note.message)
            for note in notes
        )
    thread_text = ""
    events = []
    decoded = read(THREAD)
    if decoded is not None:
        if decoded.problem:
            problems.append(
                Problem(kind="unreadable", file=THREAD, message=decoded.problem, line=decoded.line)
            )
        thread_text = decoded.text
        events = parse_thread(decoded.text)
    relations: list[Relation] = []
    relations_present = False
    records_text = ""
    decoded = read_artifact(artifacts.RELATIONS_FILE)
    if decoded is not None:
        relations_present = True
        name = f"{ARTIFACTS}/{artifacts.RELATIONS_FILE}"
        if decoded.problem:
            problems.append(
                Problem(kind="unreadable", file=name, message=decoded.problem, line=decoded.line)
            )
        relations, found = artifacts.parse_relations(decoded.text)
        records_text = decoded.text
        problems.extend(Problem(kind="relations", file=name, line=ln, message=m) for ln, m in found)
    plan: list[PlanRecord] = []
    decoded = read_artifact(artifacts.PLAN_FILE)
    if decoded is not None:
        name = f"{ARTIFACTS}/{artifacts.PLAN_FILE}"
        if decoded.problem:
            problems.append(
                Problem(kind="unreadable", file=name, message=decoded.problem, line=decoded.line)
            )
        plan, found = artifacts.parse_plan(decoded.text)
        records_text = f"{records_text}\n{decoded.text}" if records_text else decoded.text
        problems.extend(Problem(kind="plan", file=name, line=ln, message=m) for ln, m in found)
    return Ticket(
        id=location.id,
        path=location.path,
        layout=location.layout,
        bucket=location.bucket,
        files=files,
        item=item,
        item_text=item_text,
        thread_text=thread_text,
        events=events,
        relations=relations,
        relations_present=relations_present,
        records_text=records_text,
        plan=plan,
        artifacts=artifact_names,
        escapes=escapes or [],
        problems=problems,
        folder_symlink=location.is_symlink,
    )


def _is_regular(entry: os.DirEntry[str]) -> bool:
    """Whether the listing says ``entry`` is a regular file (no system call on Linux)."""
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_dead_link(entry: os.DirEntry[str]) -> bool:
    """A broken or looping symlink: it may stand for a ticket folder, so it is reported."""
    return entry.is_symlink() and not os.path.exists(entry.path)


def _unreadable(folder: str, exc: OSError) -> UsageError:
    """The store cannot be listed at all (permissions, a symlink loop): an environment error."""
    return UsageError(
        f"cannot read the ticket store folder {folder}: {exc.strerror or exc}",
        hint="check its permissions, or where it links to",
    )


def _is_bucket(path: str) -> bool:
    """A v1 bucket holds ticket folders, not ticket files."""
    return not any(os.path.exists(os.path.join(path, name)) for name in TICKET_FILES)


def _escape_reason(path: str, real_container: str) -> str | None:
    """Why the symlink at ``path`` may not be followed, or ``None`` if it stays inside."""
    try:
        target = os.path.realpath(path, strict=True)
    except (OSError, RuntimeError):
        return "it is a broken symlink or a symlink loop"
    if target != real_container and not target.startswith(real_container + os.sep):
        return f"it resolves outside its folder, to {target}"
    return None


@dataclass(frozen=True, slots=True)
class FolderListing:
    """A ticket folder's entries, what in it escapes (never followed), and its artifact files."""

    entries: dict[str, os.DirEntry[str]]
    escapes: list[str]  # sorted; "artifacts/<name>" for entries below artifacts/
    artifacts: list[str]  # files below artifacts/, relative, sorted


def list_ticket_folder(folder: str) -> FolderListing:
    """List a ticket folder without following any symlink out of it (raises ``OSError``)."""
    entries = {entry.name: entry for entry in os.scandir(folder)}
    links = [entry for entry in entries.values() if entry.is_symlink()]
    real_folder = os.path.realpath(folder) if links else folder
    escapes = [e.name for e in links if _escape_reason(e.path, real_folder) is not None]
    artifacts: list[str] = []
    if ARTIFACTS in entries and ARTIFACTS not in escapes and entries[ARTIFACTS].is_dir():
        artifacts, below = _walk_artifacts(entries[ARTIFACTS].path)
        escapes.extend(f"{ARTIFACTS}/{name}" for name in below)
    return FolderListing(entries, sorted(escapes), artifacts)


def _walk_artifacts(root: str) -> tuple[list[str], list[str]]:
    """Files under ``artifacts/`` (relative, sorted) and entries escaping it; links not followed."""
    real_root: str | None = None  # resolved when the first symlink needs it
    files: list[str] = []
    escapes: list[str] = []
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_symlink():
                if real_root is None:
                    real_root = os.path.realpath(root)
                if _escape_reason(entry.path, real_root) is not None:
                    escapes.append(rel)
                elif os.path.isfile(entry.path):
                    files.append(rel)
            elif entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, rel + "/"))
            else:
                files.append(rel)
    files.sort()
    return files, sorted(escapes)
