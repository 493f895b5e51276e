"""Running the selected rules over a workspace and collecting sorted diagnostics.

A large store read from the working tree is checked by worker processes, one per
CPU (forked, Linux only): each worker reads a share of the tickets and runs the
ticket rules on them; the summaries and diagnostics come back to this process,
which runs the store, local and git rules as always. ``YOI_JOBS=1`` keeps
everything in one process. The result is the same either way: diagnostics are
sorted, and summaries keep the order of the store scan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from yoi_ticket.doctor.context import DoctorContext, DoctorOptions, StoreIndex, TicketSummary
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.findings import Findings, finding_run
from yoi_ticket.doctor.registry import select_rules, split_rules
from yoi_ticket.doctor.repository import RunRepository
from yoi_ticket.doctor.rule import Rule, TicketRule
from yoi_ticket.doctor.sources import TextOnlySource, TicketSource, WorkTreeSource
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.parallel import (
    chunk_bounds,
    forked_map,
    jobs_for,
)
from yoi_ticket.store.reader import Store, StoreScan, TicketLocation
from yoi_ticket.store.runs import Run

Progress = Callable[[int, int], None]

RUN_FINDINGS = 2000  # findings per compressed run in one process
_RUN_SCOPES = ("store", "local", "git")  # the order rules checked once per run run in


def selected_rules(options: DoctorOptions) -> list[Rule]:
    """The rules a run with ``options`` checks (selected once per run)."""
    return select_rules(options.select, options.ignore, local=not options.no_local)


def make_context(
    workspace: Path,
    options: DoctorOptions,
    rules: list[Rule] | None = None,
    *,
    store: Store | None = None,
    scan: StoreScan | None = None,
    source: TicketSource | None = None,
    git: RunRepository | None = None,
) -> DoctorContext:
    """The context of one run; every run builds its context here. A plain run reads the
    work tree (as text only when every rule in ``rules`` needs no more, see
    :attr:`Rule.text_only`) and opens git on first use; ``--staged`` passes its ``scan``,
    its index ``source`` and the open repository."""
    store = store if store is not None else Store(workspace)
    if source is None:
        text_only = bool(rules) and all(r.text_only for r in rules or ()) and not options.paths
        source = TextOnlySource(store) if text_only else WorkTreeSource(store)
    if git is None:
        git = RunRepository(
            workspace,
            against=options.against,
            merge_commit=options.merge_commit,
            merges=options.merges,
        )
    index = StoreIndex(scan if scan is not None else store.scan(refuse_outside=False))
    return DoctorContext(workspace, store, options, index, source, git)


def run(
    ctx: DoctorContext,
    rules: list[Rule],
    *,
    locations: list[TicketLocation] | None = None,
    progress: Progress | None = None,
) -> Findings:
    """Run ``rules``; the tickets at ``locations`` (default: the store's, restricted to
    ``--paths``) are read from ``ctx.source``, checked one at a time and then dropped.
    Their findings are kept compressed, a run of them at a time, until they are read
    (see :mod:`yoi_ticket.doctor.findings`)."""
    ticket_rules, run_rules = split_rules(rules)
    runs: list[Run[Diagnostic]] = []
    if locations is None:
        locations = _restrict(ctx.index.scan.locations, ctx.options.paths)
    total = len(locations)
    jobs = _jobs(ctx, total)
    if jobs > 1:
        runs.extend(_run_in_workers(ctx, ticket_rules, locations, jobs, progress))
    else:
        ticket = ctx.source.ticket
        found: list[Diagnostic] = []
        for done, location in enumerate(locations, start=1):
            check_ticket(ctx, ticket_rules, ticket(location), found)
            if len(found) >= RUN_FINDINGS:
                runs.append(finding_run(found))
                found = []
            if progress is not None:
                progress(done, total)
        runs.append(finding_run(found))
    run_wide: list[Diagnostic] = []
    for scope in _RUN_SCOPES:
        for rule in run_rules:
            if rule.scope == scope:
                run_wide.extend(rule.run(ctx))
    runs.append(finding_run(run_wide))
    if not ctx.options.paths:
        return Findings(runs)
    wanted = _wanted(ctx.options.paths)
    return Findings(runs, lambda d: _inside(d.path, wanted))


def check_ticket(
    ctx: DoctorContext, rules: list[TicketRule], ticket: Ticket, diagnostics: list[Diagnostic]
) -> None:
    """Run the ticket rules on one ticket and add it to the index (most rules find nothing:
    no list is built for them)."""
    for rule in rules:
        for finding in rule.check(ctx, ticket):
            diagnostics.append(rule.diagnostic(finding))
    ctx.index.add(ticket)


def path_filter(paths: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a path is one of ``paths``, lies inside one, or holds one (as a ticket
    folder holds a file given)."""
    wanted = _wanted(paths)
    holders = _holders(wanted)
    return lambda path: path.rstrip("/") in holders or _inside(path, wanted)


def _wanted(paths: tuple[str, ...]) -> set[str]:
    """``paths`` as a set without trailing ``/``; ``""`` stands for the whole workspace."""
    return {"" if path in (".", "") else path.rstrip("/") for path in paths}


def _parents(path: str) -> list[str]:
    """``a/b/c`` -> ``["a", "a/b"]``."""
    parts = path.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def _inside(path: str, wanted: set[str]) -> bool:
    """Whether ``path`` is in ``wanted`` or lies inside a folder in it."""
    path = path.rstrip("/")
    return "" in wanted or path in wanted or any(p in wanted for p in _parents(path))


def _holders(wanted: set[str]) -> set[str]:
    return {parent for path in wanted for parent in _parents(path)}


def _restrict(locations: list[TicketLocation], paths: tuple[str, ...]) -> list[TicketLocation]:
    """The tickets under ``paths`` or holding one of them (in time linear in both, which
    the pre-commit hook needs: ``--all-files`` names thousands of files)."""
    if not paths:
        return locations
    keep = path_filter(paths)
    return [location for location in locations if keep(location.path)]


# --- worker processes


def _jobs(ctx: DoctorContext, total: int) -> int:
    """How many worker processes to check ``total`` tickets with (1: none). Nothing may be
    shared with workers but what a fork copies: nothing open (a git process, say)."""
    jobs = jobs_for(total)
    return jobs if jobs == 1 or ctx.forkable() else 1


def _run_in_workers(
    ctx: DoctorContext,
    rules: list[TicketRule],
    locations: list[TicketLocation],
    jobs: int,
    progress: Progress | None,
) -> list[Run[Diagnostic]]:
    """Check ``locations`` in ``jobs`` forked processes; add their summaries to ``ctx``.
    Each chunk's findings come back as one compressed :class:`Run`."""
    runs: list[Run[Diagnostic]] = []
    done = 0
    worker = _RangeChecker(ctx, rules, locations)
    for found, summaries in forked_map(worker, chunk_bounds(len(locations), jobs), jobs):
        runs.append(found)
        ctx.index.summaries.extend(summaries)
        done += len(summaries)
        if progress is not None:
            progress(done, len(locations))
    return runs


class _RangeChecker:
    """In a worker: read and check some tickets exactly as the one-process loop does."""

    def __init__(
        self, parent: DoctorContext, rules: list[TicketRule], locations: list[TicketLocation]
    ) -> None:
        self.parent = parent
        self.rules = rules
        self.locations = locations
        self.ctx: DoctorContext | None = None  # a worker's own copy, with its own shared values

    def __call__(self, bounds: tuple[int, int]) -> tuple[Run[Diagnostic], list[TicketSummary]]:
        if self.ctx is None:  # values computed on first use are not copied
            self.ctx = dataclasses.replace(self.parent)
        ctx = self.ctx
        ctx.index = StoreIndex(self.parent.index.scan)  # the summaries of this range go back
        diagnostics: list[Diagnostic] = []
        ticket = ctx.source.ticket
        for location in self.locations[bounds[0] : bounds[1]]:
            check_ticket(ctx, self.rules, ticket(location), diagnostics)
        return finding_run(diagnostics), ctx.index.summaries
