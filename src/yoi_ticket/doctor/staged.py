"""``doctor --staged``: check what the next commit would record, as fast as a hook must be.

Only the tickets the commit touches are read, and they are read from the git
index (never from the work tree, so an unstaged fix or defect does not
count). The store's shape (ids, buckets) comes from one ``git ls-files``;
store-wide checks that a change can break (duplicate ids, dangling
relations, including relations of other tickets to a ticket the commit
removes) are kept, and only findings about the touched tickets are reported.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
from pathlib import Path

from yoi_ticket import artifacts, textfile
from yoi_ticket.doctor.context import (
    DoctorContext,
    DoctorOptions,
    RelationRef,
    StoreIndex,
    TicketSummary,
)
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.registry import get_rule
from yoi_ticket.doctor.report import Report
from yoi_ticket.doctor.rules.conflicts import FILE_READER_KEY, GIT_KEY, UNMERGED_KEY
from yoi_ticket.doctor.runner import Progress, run
from yoi_ticket.gitrepo import GitRepo, IndexEntry, IndexListing, require_repo
from yoi_ticket.models import V1_BUCKETS, Ticket
from yoi_ticket.store import ARTIFACTS, TICKET_FILES, Store, StoreScan, TicketLocation, build_ticket

_STAGE_PREFERENCE = (0, 2, 3, 1)  # merged, else ours, theirs, base


def run_staged(
    workspace: Path, options: DoctorOptions, *, progress: Progress | None = None
) -> Report:
    """Check the staged versions of the tickets the next commit touches."""
    repo = require_repo(workspace, "--staged")
    try:
        return _run(repo, workspace, options, progress)
    finally:
        repo.close()


def _run(
    repo: GitRepo, workspace: Path, options: DoctorOptions, progress: Progress | None
) -> Report:
    store = Store(workspace)
    root = store.root_rel.rstrip("/")
    touched = repo.staged_paths(root)
    listing = repo.index_listing(root) if touched else IndexListing("")
    index = StagedIndex(root, listing)
    folders = sorted({folder for path in touched if (folder := index.folder_of(path))})
    existing = {loc.path: loc for loc in index.scan.locations}
    present = [existing[folder] for folder in folders if folder in existing]
    blobs = BlobIndex(repo, listing.under(loc.path for loc in present))
    tickets = [blobs.ticket(location) for location in present]
    ctx = DoctorContext(
        workspace, store, dataclasses.replace(options, no_local=True), StoreIndex(index.scan)
    )
    ctx.cache[GIT_KEY] = repo
    ctx.cache[UNMERGED_KEY] = listing.unmerged
    ctx.cache[FILE_READER_KEY] = blobs.read
    removed = _removed_ids(folders, existing, index.scan)
    allowed = [*folders, *(p for p in touched if index.folder_of(p) is None)]
    allowed += _add_referrers(ctx, repo, index, removed)
    diagnostics = run(ctx, tickets=tickets, total=len(tickets), progress=progress)
    kept = [d for d in diagnostics if _concerns(d, allowed)]
    return Report(workspace=os.fspath(workspace), diagnostics=kept, tickets_checked=len(tickets))


def _removed_ids(
    folders: list[str], existing: dict[str, TicketLocation], scan: StoreScan
) -> set[str]:
    """Ids of touched ticket folders that the commit removes (and that live nowhere else)."""
    ids = {loc.id for loc in scan.locations}
    return {
        posixpath.basename(folder)
        for folder in folders
        if folder not in existing and posixpath.basename(folder) not in ids
    }


def _add_referrers(
    ctx: DoctorContext, repo: GitRepo, index: StagedIndex, removed: set[str]
) -> list[str]:
    """Add the relations of other tickets that point at removed tickets; their paths."""
    if not removed:
        return []
    root = index.root
    specs = [f"{root}/*/{ARTIFACTS}/{artifacts.RELATIONS_FILE}"]
    specs += [f"{root}/{b}/*/{ARTIFACTS}/{artifacts.RELATIONS_FILE}" for b in V1_BUCKETS]
    paths = repo.grep_index(sorted(removed), [f":(glob){spec}" for spec in specs])
    folders = sorted({folder for path in paths if (folder := index.folder_of(path))})
    locations = {loc.path: loc for loc in index.scan.locations}
    referrers = [locations[f] for f in folders if f in locations]
    blobs = BlobIndex(repo, index.listing.under(loc.path for loc in referrers))
    allowed = []
    for location in referrers:
        ticket = blobs.ticket(location)
        path = ticket.file_path(f"{ARTIFACTS}/{artifacts.RELATIONS_FILE}")
        refs = tuple(
            RelationRef(ticket.id, r.kind or "", r.target, path, r.line)
            for r in ticket.relations
            if r.target in removed
        )
        if refs:
            ctx.index.summaries.append(
                TicketSummary(ticket.id, ticket.path, ticket.layout, ticket.state, refs)
            )
            allowed.append(path)
    return allowed


def _concerns(diagnostic: Diagnostic, allowed: list[str]) -> bool:
    """Git-state findings always count; others only when they are about a touched path."""
    if get_rule(diagnostic.code).scope == "git":
        return True
    path = diagnostic.path.rstrip("/")
    return any(
        path == prefix or path.startswith(prefix + "/") or prefix.startswith(path + "/")
        for prefix in allowed
    )


class StagedIndex:
    """The store's shape as the index records it: ticket folders, buckets, stray files."""

    def __init__(self, root: str, listing: IndexListing) -> None:
        self.root = root
        self.listing = listing
        self._prefix = prefix = root + "/"
        folders, files = listing.children(root)
        self._not_buckets = {  # v1 bucket names that are ticket folders themselves
            name
            for name in V1_BUCKETS
            if any(listing.has(f"{prefix}{name}/{file}") for file in TICKET_FILES)
        }
        scan = StoreScan()
        scan.stray_files = [prefix + name for name in files if not name.startswith(".")]
        for name in folders:
            if name.startswith("."):
                continue
            if name in V1_BUCKETS and name not in self._not_buckets:
                scan.buckets.append(prefix + name)
                for child in listing.children(prefix + name)[0]:
                    if not child.startswith("."):
                        path = f"{prefix}{name}/{child}"
                        scan.locations.append(TicketLocation(child, path, "v1", name))
            else:
                scan.locations.append(TicketLocation(name, prefix + name, "v2"))
        scan.locations.sort(key=lambda loc: loc.path)
        self.scan = scan

    def folder_of(self, path: str) -> str | None:
        """The ticket folder holding ``path`` (workspace-relative), if any."""
        if not path.startswith(self._prefix):
            return None
        parts = path[len(self._prefix) :].split("/", 2)
        if len(parts) < 2 or parts[0].startswith("."):
            return None
        first = parts[0]
        if first in V1_BUCKETS and first not in self._not_buckets:
            if len(parts) < 3 or parts[1].startswith("."):
                return None
            return f"{self._prefix}{first}/{parts[1]}"
        return self._prefix + first


class BlobIndex:
    """Staged blobs of some ticket folders, and tickets built from them."""

    def __init__(self, repo: GitRepo, entries: list[IndexEntry]) -> None:
        self._repo = repo
        chosen: dict[str, IndexEntry] = {}
        for entry in entries:
            if entry.is_gitlink:
                continue
            current = chosen.get(entry.path)
            rank = _STAGE_PREFERENCE.index(entry.stage)
            if current is None or rank < _STAGE_PREFERENCE.index(current.stage):
                chosen[entry.path] = entry
        self.entries = chosen
        self._dirs: set[str] = set()
        for path in chosen:
            parent = posixpath.dirname(path)
            while parent and parent not in self._dirs:
                self._dirs.add(parent)
                parent = posixpath.dirname(parent)

    def read(self, path: str) -> bytes | None:
        """The staged bytes of ``path`` (symlinks followed inside their folder), or ``None``."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        if entry.is_symlink:
            target = self._link_target(entry)
            entry = self.entries.get(target) if target else None
            if entry is None or entry.is_symlink:
                return None
        return self._repo.blob(entry.sha)

    def _link_target(self, entry: IndexEntry) -> str | None:
        target = self._repo.blob(entry.sha).decode("utf-8", "surrogateescape")
        if target.startswith("/"):
            return None
        return posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), target))

    def _escapes(self, path: str, container: str) -> bool:
        entry = self.entries[path]
        if not entry.is_symlink:
            return False
        target = self._link_target(entry)
        return (
            target is None
            or not target.startswith(container + "/")
            or target not in self.entries
            or self.entries[target].is_symlink
        )

    def ticket(self, location: TicketLocation) -> Ticket:
        folder = location.path
        prefix = folder + "/"
        names: set[str] = set()
        artifact_names: list[str] = []
        escapes: list[str] = []
        artifacts_prefix = f"{ARTIFACTS}/"
        for path in self.entries:
            if not path.startswith(prefix):
                continue
            relative = path[len(prefix) :]
            names.add(relative.split("/", 1)[0])
            if relative.startswith(artifacts_prefix):
                name = relative[len(artifacts_prefix) :]
                if self._escapes(path, folder + "/" + ARTIFACTS):
                    escapes.append(relative)
                else:
                    artifact_names.append(name)
            elif "/" not in relative and self._escapes(path, folder):
                escapes.append(relative)

        def read(name: str) -> textfile.Decoded | None:
            path = f"{prefix}{name}"
            if name not in names or name in escapes:
                return None
            if path in self._dirs:
                return textfile.Decoded("", f"{name} is a directory, not a file")
            data = self.read(path)
            return textfile.decode(data) if data is not None else None

        def read_artifact(name: str) -> textfile.Decoded | None:
            if name not in artifact_names:
                return None
            data = self.read(f"{prefix}{ARTIFACTS}/{name}")
            return textfile.decode(data) if data is not None else None

        return build_ticket(
            location,
            frozenset(names),
            read,
            sorted(artifact_names),
            read_artifact,
            escapes=sorted(escapes),
        )
