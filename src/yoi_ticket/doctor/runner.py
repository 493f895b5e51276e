"""Running the selected rules over a workspace and collecting sorted diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from yoi_ticket.doctor.context import DoctorContext, DoctorOptions, StoreIndex
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.registry import select_rules
from yoi_ticket.doctor.rule import Rule
from yoi_ticket.models import Ticket
from yoi_ticket.store import Store, TicketLocation

Progress = Callable[[int, int], None]


def make_context(
    workspace: Path, options: DoctorOptions, store: Store | None = None
) -> DoctorContext:
    store = store if store is not None else Store(workspace)
    return DoctorContext(workspace, store, options, StoreIndex(store.scan()))


def run(
    ctx: DoctorContext,
    *,
    tickets: Iterable[Ticket] | None = None,
    total: int | None = None,
    progress: Progress | None = None,
) -> list[Diagnostic]:
    """Run every selected rule; tickets are read one at a time and then dropped."""
    rules = select_rules(ctx.options.select, ctx.options.ignore)
    by_scope: dict[str, list[Rule]] = {"ticket": [], "store": [], "local": [], "git": []}
    for rule in rules:
        by_scope[rule.scope].append(rule)
    if ctx.options.no_local:
        by_scope["local"] = []
    diagnostics: list[Diagnostic] = []
    if tickets is None:
        locations = _restrict(ctx.index.scan.locations, ctx.options.paths)
        tickets = (ctx.store.load(location) for location in locations)
        total = len(locations)
    for done, ticket in enumerate(tickets, start=1):
        for rule in by_scope["ticket"]:
            diagnostics.extend(rule.run(ctx, ticket))
        ctx.index.add(ticket)
        if progress is not None:
            progress(done, total or done)
    for scope in ("store", "local", "git"):
        for rule in by_scope[scope]:
            diagnostics.extend(rule.run(ctx))
    if ctx.options.paths:
        diagnostics = [d for d in diagnostics if _under(d.path, ctx.options.paths)]
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(
        prefix in (".", "") or path == prefix or path.startswith(prefix.rstrip("/") + "/")
        for prefix in prefixes
    )


def _restrict(locations: list[TicketLocation], paths: tuple[str, ...]) -> list[TicketLocation]:
    if not paths:
        return locations
    return [
        location
        for location in locations
        if _under(location.path, paths) or any(_under(p, (location.path,)) for p in paths)
    ]
