"""What rules see: the workspace, its store, options, the source tickets are read from,
the git repository, a summary of every ticket, and the values rules share (the local
overlay, the machine-local path scan), each a typed attribute computed once per run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from yoi_ticket.doctor.repository import RunRepository
from yoi_ticket.doctor.sources import TicketSource
from yoi_ticket.store.config import TicketConfig
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import Store, StoreScan

if TYPE_CHECKING:
    from yoi_ticket.doctor.local_view import LocalView
    from yoi_ticket.doctor.path_scan import PathScan


@dataclass(frozen=True)
class DoctorOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None  # None: the [doctor] config's, else "error"
    no_local: bool = False
    staged: bool = False
    hook: bool = False  # pre-commit: staged while git commits, else the work tree (doctor.hook)
    against: str | None = None
    merge_commit: str | None = None
    merges: str | None = None  # a revision range whose every merge is checked for lost events
    paths: tuple[str, ...] = ()  # workspace-relative paths to restrict the check to
    fix: bool = False
    dry_run: bool = False
    # Report and fail only on findings not in this baseline file (None: the [doctor]
    # config's, unless no_baseline); write_baseline records this run's findings there.
    baseline: Path | None = None
    write_baseline: Path | None = None
    no_baseline: bool = False
    quiet: bool = False  # report errors only (the exit decision still counts every finding)


@dataclass(frozen=True, slots=True)
class RelationRef:
    source: str  # owning ticket id
    kind: str
    target: str
    path: str  # workspace-relative relations.json
    line: int | None

    def __reduce__(self) -> tuple[type[RelationRef], tuple[str, str, str, str, int | None]]:
        # Worker processes send summaries back pickled: by value is 2-3x faster.
        return (RelationRef, (self.source, self.kind, self.target, self.path, self.line))


@dataclass(slots=True)
class TicketSummary:
    """The little that store-wide rules need to know about each ticket."""

    id: str
    path: str
    layout: str
    state: str | None
    relations: tuple[RelationRef, ...] = ()

    def __reduce__(
        self,
    ) -> tuple[type[TicketSummary], tuple[str, str, str, str | None, tuple[RelationRef, ...]]]:
        return (TicketSummary, (self.id, self.path, self.layout, self.state, self.relations))


@dataclass
class StoreIndex:
    scan: StoreScan
    summaries: list[TicketSummary] = field(default_factory=list)
    _states: dict[str, str | None] = field(default_factory=dict, repr=False)
    _states_for: int = field(default=-1, repr=False)

    def add(self, ticket: Ticket) -> None:
        relations = tuple(
            RelationRef(
                source=ticket.id,
                kind=relation.kind or "",
                target=relation.target or "",
                path=ticket.file_path("artifacts/relations.json"),
                line=relation.line,
            )
            for relation in ticket.relations
            if relation.target
        )
        self.summaries.append(
            TicketSummary(ticket.id, ticket.path, ticket.layout, ticket.state, relations)
        )

    def all_ids(self) -> set[str]:
        return {location.id for location in self.scan.locations}

    def state_of(self, ticket_id: str) -> tuple[bool, str | None]:
        """Whether ``ticket_id`` is among the summaries, and its state (the lookup is built
        again only when summaries were added since)."""
        if self._states_for != len(self.summaries):
            self._states = {summary.id: summary.state for summary in self.summaries}
            self._states_for = len(self.summaries)
        if ticket_id in self._states:
            return True, self._states[ticket_id]
        return False, None


@dataclass
class DoctorContext:
    """One doctor run: where, with which options, read from which source, and what the
    rules share, each value typed and computed at most once per run."""

    workspace: Path
    store: Store
    options: DoctorOptions
    index: StoreIndex
    source: TicketSource
    """The one way rules read a ticket's files (work tree, text only, or the git index)."""
    git: RunRepository
    """The workspace's git repository, opened on first use."""
    merge_progress: Callable[[int, int], None] | None = None
    """Told ``(done, total)`` while the merges of ``--merges`` are checked."""

    @property
    def config(self) -> TicketConfig:
        return self.store.config

    @cached_property
    def layout(self) -> str:
        """The store's layout, worked out once (it looks at every ticket location)."""
        return self.index.scan.layout

    @cached_property
    def local(self) -> LocalView:
        """The local overlay and the Pod registry, read on first use (local rules, YT302,
        ``--fix``)."""
        from yoi_ticket.doctor.local_view import read_local_view

        return read_local_view(self.workspace)

    @cached_property
    def paths(self) -> PathScan:
        """The machine-local path scan of this run (YT303, YT304)."""
        from yoi_ticket.doctor.path_scan import PathScan

        return PathScan.for_workspace(self.workspace)

    def forkable(self) -> bool:
        """Whether worker processes may start from this context: nothing open that a fork
        must not share (a git process, say)."""
        return not self.git.is_open
