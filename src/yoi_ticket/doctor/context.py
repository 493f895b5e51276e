"""What rules see: the workspace, its store, options, and a summary of every ticket."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from yoi_ticket.store.config import TicketConfig
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import Store, StoreScan

LAST_READ_KEY = "ticket.last_read"
T = TypeVar("T")


@dataclass(frozen=True)
class DoctorOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None  # None: the [doctor] config's, else "error"
    no_local: bool = False
    staged: bool = False
    against: str | None = None
    merge_commit: str | None = None
    paths: tuple[str, ...] = ()  # workspace-relative paths to restrict the check to
    fix: bool = False
    dry_run: bool = False


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


@dataclass
class DoctorContext:
    workspace: Path
    store: Store
    options: DoctorOptions
    index: StoreIndex
    cache: dict[str, Any] = field(default_factory=dict)
    _layout: str | None = field(default=None, repr=False)

    @property
    def config(self) -> TicketConfig:
        return self.store.config

    @property
    def layout(self) -> str:
        """The store's layout, worked out once (it looks at every ticket location)."""
        if self._layout is None:
            self._layout = self.index.scan.layout
        return self._layout

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """Compute a shared value once per run (e.g. the Pod names the overlay knows)."""
        if key not in self.cache:
            self.cache[key] = factory()
        value: T = self.cache[key]
        return value

    def remember_read(self, ticket: Ticket, path: str, data: bytes | None) -> None:
        """Keep the bytes of one file of ``ticket`` (work-tree path relative to the
        workspace; ``None``: unreadable) for the next rule that reads it: YT304 and YT502
        both read ``resolution.md``. Only the last file read is kept."""
        self.cache[LAST_READ_KEY] = (ticket, path, data)

    def recall_read(self, ticket: Ticket, path: str) -> tuple[bool, bytes | None]:
        """``(True, bytes)`` when :meth:`remember_read` kept this file of this ticket."""
        kept = self.cache.get(LAST_READ_KEY)
        if kept is not None and kept[0] is ticket and kept[1] == path:
            return True, kept[2]
        return False, None
