"""``doctor --staged``: check what the next commit would record, as fast as a hook must be.

Only the tickets the commit touches are read, and they are read from the git
index (never from the work tree, so an unstaged fix or defect does not
count). The store's shape (ids, buckets) comes from one listing of the store
folder, corrected by the index for the touched folders. Store-wide checks
that a change can break (duplicate ids, dangling relations, including
relations of other tickets to a ticket the commit removes) are kept, and only
findings about the touched tickets are reported.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from yoi_ticket.doctor.context import DoctorContext, DoctorOptions, RelationRef, TicketSummary
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.report import Report
from yoi_ticket.doctor.repository import RunRepository
from yoi_ticket.doctor.runner import Progress, make_context, path_filter, run, selected_rules
from yoi_ticket.doctor.sources import IndexSource
from yoi_ticket.git import GitRepo, IndexListing, require_repo
from yoi_ticket.store import artifacts
from yoi_ticket.store.models import V1_BUCKETS
from yoi_ticket.store.reader import ARTIFACTS, Store, StoreScan, TicketLocation


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
    shape = StagedShape(store)
    touched = repo.staged_paths(shape.root)
    folders = sorted({folder for path in touched if (folder := shape.folder_of(path))})
    strays = [path for path in touched if shape.folder_of(path) is None]
    listing = repo.index_listing([*folders, *strays])
    present, removed = shape.apply(folders, listing)
    if options.paths:  # only the touched tickets under PATHs; removals count wherever they are
        keep = path_filter(options.paths)
        folders = [folder for folder in folders if keep(folder)]
        strays = [path for path in strays if keep(path)]
        present = [location for location in present if keep(location.path)]
    # Findings are kept by _concerns() below, not by the paths filter of a plain run.
    options = dataclasses.replace(options, no_local=True, paths=())
    rules = selected_rules(options)
    git = RunRepository(
        workspace,
        against=options.against,
        merge_commit=options.merge_commit,
        repo=repo,
        unmerged=listing.unmerged,  # unmerged paths are always among the staged
    )
    source = IndexSource(repo, listing.under(location.path for location in present))
    ctx = make_context(
        workspace, options, rules, store=store, scan=shape.scan, source=source, git=git
    )
    ctx.git.check_options()
    allowed = [*folders, *strays, *_add_referrers(ctx, repo, shape, removed)]
    diagnostics = run(ctx, rules, locations=present, progress=progress)
    if shape.scan.outside is not None:  # a store that is not read concerns every commit
        allowed.append(store.root_rel)
    git_codes = {rule.code for rule in rules if rule.scope == "git"}
    kept = [d for d in diagnostics if d.code in git_codes or _concerns(d, allowed)]
    return Report(workspace=os.fspath(workspace), diagnostics=kept, tickets_checked=len(present))


def _add_referrers(
    ctx: DoctorContext, repo: GitRepo, shape: StagedShape, removed: set[str]
) -> list[str]:
    """Add the relations of other tickets that point at removed tickets; their paths."""
    if not removed:
        return []
    relations = f"{ARTIFACTS}/{artifacts.RELATIONS_FILE}"
    specs = [f":(glob){shape.root}/*/{relations}"]
    specs += [f":(glob){shape.root}/{bucket}/*/{relations}" for bucket in V1_BUCKETS]
    paths = repo.grep_index(sorted(removed), specs)
    folders = sorted({folder for path in paths if (folder := shape.folder_of(path))})
    referrers = [shape.location(folder) for folder in folders]
    blobs = IndexSource(repo, repo.index_listing(folders).under(folders))
    allowed = []
    for location in referrers:
        ticket = blobs.ticket(location)
        path = ticket.file_path(relations)
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
    """Whether a finding is about a touched path (git-state findings always count)."""
    path = diagnostic.path.rstrip("/")
    return any(
        path == prefix or path.startswith(prefix + "/") or prefix.startswith(path + "/")
        for prefix in allowed
    )


class StagedShape:
    """The store's shape as the commit will record it: ticket folders, buckets, stray files.

    It starts from a scan of the work tree's store folder (one directory listing,
    far cheaper than listing an index of 30,000 entries) and takes the index's word
    for every folder the commit touches: added folders appear, removed ones go.
    """

    def __init__(self, store: Store) -> None:
        self.root = store.root_rel.rstrip("/")
        self._prefix = self.root + "/"
        self._store = store
        found = store.scan(refuse_outside=False)
        self.scan = StoreScan(
            locations=list(found.locations),
            buckets=list(found.buckets),
            stray_files=list(found.stray_files),
            exists=found.exists,
            outside=found.outside,
        )

    def folder_of(self, path: str) -> str | None:
        """The ticket folder holding ``path`` (workspace-relative), if any."""
        return self._store.folder_of(path)

    def location(self, folder: str) -> TicketLocation:
        first, _, rest = folder[len(self._prefix) :].partition("/")
        if rest:
            return TicketLocation(rest, folder, "v1", first)
        return TicketLocation(first, folder, "v2")

    def apply(
        self, folders: list[str], listing: IndexListing
    ) -> tuple[list[TicketLocation], set[str]]:
        """Make the touched ``folders`` what the index says; the ones present in the index,
        and the ids of the ones the commit removes (unless the id lives on elsewhere)."""
        staged = {folder for e in listing.under(folders) if (folder := self.folder_of(e.path))}
        known = {location.path: location for location in self.scan.locations}
        present = [known.get(folder) or self.location(folder) for folder in folders]
        present = [location for location in present if location.path in staged]
        gone = {folder for folder in folders if folder not in staged}
        self.scan.locations = [loc for loc in self.scan.locations if loc.path not in gone]
        self.scan.locations += [loc for loc in present if loc.path not in known]
        self.scan.locations.sort(key=lambda location: location.path)
        ids = {location.id for location in self.scan.locations}
        return present, {self.location(f).id for f in gone} - ids
