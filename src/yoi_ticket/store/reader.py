"""The tracked ticket store: finding ticket folders in both layouts and reading them.

* v2 (flat): ``<root>/<id>/{item.md,thread.md,artifacts/,resolution.md}``
* v1 (nested): ``<root>/<open|pending|closed>/<id>/...``

Reading never raises on bad content; problems are recorded on the
:class:`~yoi_ticket.store.models.Ticket`. Symlinks that resolve outside the store
(or outside a ticket's folder) are recorded and never followed, and a store root (or
``.yoi``) that resolves outside the workspace is not read at all.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from yoi_ticket.errors import AmbiguousTicketError, TicketNotFoundError, UsageError
from yoi_ticket.files import textfile
from yoi_ticket.files.fsutil import read_regular
from yoi_ticket.store.assembly import build_ticket as build_ticket
from yoi_ticket.store.config import TicketConfig, load_config, outside_reason
from yoi_ticket.store.folders import ARTIFACTS as ARTIFACTS
from yoi_ticket.store.folders import ITEM as ITEM
from yoi_ticket.store.folders import RESOLUTION as RESOLUTION
from yoi_ticket.store.folders import THREAD as THREAD
from yoi_ticket.store.folders import TicketLocation as TicketLocation
from yoi_ticket.store.folders import escape_reason, list_ticket_folder
from yoi_ticket.store.ids import id_spellings, normal_id, unsafe_component_reason
from yoi_ticket.store.item import read_item
from yoi_ticket.store.models import V1_BUCKETS, Layout, Problem, Ticket

TICKET_FILES = (ITEM, THREAD)


@dataclass
class StoreScan:
    """The shape of the store: ticket folders, v1 buckets and stray entries."""

    locations: list[TicketLocation] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)  # workspace-relative bucket folders
    stray_files: list[str] = field(default_factory=list)  # workspace-relative files at the root
    exists: bool = True
    outside: str | None = None  # why the store was not read: it resolves outside the workspace

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
        # A store root (or .yoi) that a symlink takes out of the workspace is never read.
        self.outside = self.config.outside or outside_reason(workspace, self.root_rel)
        self._scan: StoreScan | None = None
        self._buckets: dict[str, bool] = {}

    def rel(self, path: Path | str) -> str:
        """Workspace-relative ``/`` path of an absolute path inside the workspace."""
        return Path(os.path.relpath(path, self.workspace)).as_posix()

    def scan(self, *, refuse_outside: bool = True) -> StoreScan:
        """The store's ticket folders. A store that resolves outside the workspace is
        refused (a usage error), or with ``refuse_outside`` false (doctor, which reports
        it as YT122) an empty scan that says why in ``outside``."""
        if self.outside is not None:
            if refuse_outside:
                raise self.outside_error()
            return StoreScan(exists=False, outside=self.outside)
        if self._scan is None:
            self._scan = self._scan_root()
        return self._scan

    def outside_error(self) -> UsageError:
        return UsageError(
            f"refusing to read the ticket store: {self.outside}",
            hint="make it a folder inside the workspace (not a symlink out of it); "
            "'yoi ticket doctor' reports it as YT122",
        )

    def _scan_root(self) -> StoreScan:
        scan = StoreScan()
        try:
            entries = sorted(os.scandir(self.root), key=_NAME)
        except (FileNotFoundError, NotADirectoryError):
            scan.exists = False
            return scan
        except OSError as exc:
            raise _unreadable(self.root_rel, exc) from None
        real_root = os.path.realpath(self.root)
        prefix = f"{self.root_rel}/"
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if name not in V1_BUCKETS and not entry.is_symlink() and _is_dir(entry):
                # the usual ticket folder (a plain folder, not a bucket), built directly
                scan.locations.append(TicketLocation(name, prefix + name, "v2"))
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
            escapes = escape_reason(entry.path, real_root)
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

    def load_item(self, location: TicketLocation) -> Ticket:
        """Read only a ticket's ``item.md`` (what ``list`` needs): no thread, no artifacts.

        The file is opened without following a symlink; anything but a plain file or a
        missing one (a symlink, a folder, an unreadable file) is left to :meth:`load`,
        so that the same rules decide what is read.
        """
        if location.escapes is not None:
            return self.load(location)
        path = os.path.join(self.workspace, location.path, ITEM)
        try:
            data = read_regular(path, textfile.MAX_FILE_BYTES, follow_symlinks=False)
        except FileNotFoundError:
            data = None
        except OSError:
            return self.load(location)
        item = None
        if data is not None:
            decoded = textfile.decode(data)
            legacy = location.layout == "v1"
            item, _notes = read_item(decoded.text, legacy=legacy, bom=decoded.bom, lines=False)
        return Ticket(
            id=location.id,
            path=location.path,
            layout=location.layout,
            bucket=location.bucket,
            item=item,
            folder_symlink=location.is_symlink,
        )

    def ids(self) -> list[str]:
        return [location.id for location in self.scan().locations]

    def locate(self, ticket_id: str) -> TicketLocation | None:
        """The folder of ``ticket_id`` if it exists (a cheap lookup, no full scan).

        Like :meth:`scan`, an unsafe or hidden name and a v1 bucket are never tickets, and
        a store outside the workspace holds none.
        """
        if unsafe_component_reason(ticket_id) is not None or ticket_id.startswith("."):
            return None
        if self.outside is not None:
            return None
        root = str(self.root)
        for sub, layout, bucket in (
            ("", "v2", None),
            *((f"{b}/", "v1", b) for b in V1_BUCKETS),
        ):
            for spelled in id_spellings(ticket_id):  # one ticket, whatever its normalisation
                path = f"{root}/{sub}{spelled}"
                if not sub and spelled in V1_BUCKETS and _is_bucket(path):
                    continue
                if os.path.isdir(path):
                    is_link = os.path.islink(path)
                    return TicketLocation(
                        id=spelled,
                        path=f"{self.root_rel}/{sub}{spelled}",
                        layout=layout,  # type: ignore[arg-type]
                        bucket=bucket,
                        is_symlink=is_link,
                        escapes=escape_reason(path, os.path.realpath(root)) if is_link else None,
                    )
        return None

    def _exact(self, ticket_id: str) -> TicketLocation | None:
        """The one folder named ``ticket_id``, as :meth:`scan` gives it; ``None`` when there
        is none, or more than one (in both layouts), or a case the scan decides otherwise."""
        location = self.locate(ticket_id)
        if location is None or location.id != ticket_id:  # another spelling: the scan decides
            return None
        candidates = (self.root / ticket_id, *(self.root / b / ticket_id for b in V1_BUCKETS))
        if sum(os.path.lexists(path) for path in candidates) > 1:
            return None
        if location.bucket is not None:
            bucket = self.root / location.bucket
            if bucket.is_symlink() or not _is_bucket(str(bucket)):
                return None
        return location

    _PREFIX_LOOKUPS = 64  # more matching names than this: scan the store

    def _starting(self, prefix: str) -> list[TicketLocation] | None:
        """The tickets whose id starts with ``prefix`` regardless of case, in scan order,
        found from the folder names alone; ``None`` when only a scan can tell (many
        matches, odd entries)."""
        wanted = normal_id(prefix).casefold()
        names: set[str] = set()
        for folder in (self.root, *(self.root / bucket for bucket in V1_BUCKETS)):
            try:
                listed = os.listdir(folder)
            except (FileNotFoundError, NotADirectoryError):
                if folder == self.root:
                    return None  # no store: the scan says how to report it
                continue
            except OSError:
                return None  # unreadable: the scan says how to report it
            names.update(
                n for n in listed if normal_id(n).casefold().startswith(wanted) and n[:1] != "."
            )
        if len(names) > self._PREFIX_LOOKUPS:
            return None
        found = []
        for name in sorted(names):
            location = self._exact(name)
            if location is None:
                return None
            found.append(location)
        return found

    def exists(self, ticket_id: str) -> bool:
        """Whether the ticket is in the store (a store outside the workspace is refused)."""
        if self.outside is not None:
            raise self.outside_error()
        return self.locate(ticket_id) is not None

    def resolve_id(self, ticket_id: str) -> str:
        """``ticket_id`` as the store spells it: a folder of that exact name first, else the
        one folder whose name matches it without regard to case (``00001ksk...`` is
        ``00001KSK...``); ``ticket_id`` unchanged when there is no such folder or more than
        one."""
        if self.exists(ticket_id):
            return ticket_id
        wanted = normal_id(ticket_id).casefold()
        found = {loc.id for loc in self.scan().locations if normal_id(loc.id).casefold() == wanted}
        return found.pop() if len(found) == 1 else ticket_id

    def find(self, id_or_prefix: str) -> TicketLocation:
        """Resolve a ticket id or an unambiguous prefix of one; ids match without regard to
        case, but an exact match wins.

        A whole id is looked up directly (a few ``stat`` calls, not a scan of the store);
        otherwise the folder names are matched first, and only the folders they name are
        looked at, so that a large store is not scanned whole.
        """
        exact_one = self._exact(id_or_prefix) if self.outside is None else None
        if exact_one is not None:
            return exact_one
        found = self._starting(id_or_prefix) if id_or_prefix and self.outside is None else None
        locations = found if found is not None else self.scan().locations
        exact = [loc for loc in locations if loc.id == id_or_prefix]
        if not exact:  # the same id in another Unicode normalisation is the same ticket
            wanted = normal_id(id_or_prefix)
            exact = [loc for loc in locations if normal_id(loc.id) == wanted]
        if len(exact) == 1 or (exact and exact[0].id == id_or_prefix):
            return exact[0]
        if exact:
            shown = ", ".join(repr(loc.path) for loc in exact)
            raise AmbiguousTicketError(
                f"{id_or_prefix!r} names {len(exact)} ticket folders: {shown}",
                hint="'yoi ticket doctor' reports them (YT112); keep one",
            )
        wanted = normal_id(id_or_prefix).casefold()
        matches = [loc for loc in locations if normal_id(loc.id).casefold() == wanted]
        if not matches and wanted:
            matches = [loc for loc in locations if normal_id(loc.id).casefold().startswith(wanted)]
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


_NAME = operator.attrgetter("name")


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
