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
import gc
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from yoi_ticket.doctor.context import DoctorContext, DoctorOptions, StoreIndex, TicketSummary
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.registry import select_rules
from yoi_ticket.doctor.rule import Rule
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import Store, TicketLocation

Progress = Callable[[int, int], None]
Loader = Callable[[DoctorContext, TicketLocation], Ticket]
"""How a ticket is read for the checks: the whole ticket, or its text only (YT5 rules)."""


def load_ticket(ctx: DoctorContext, location: TicketLocation) -> Ticket:
    return ctx.store.load(location)


JOBS_ENV = "YOI_JOBS"
PARALLEL_MIN_TICKETS = 300  # below this, starting workers costs about what it saves
MAX_JOBS = 8


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
    loader: Loader = load_ticket,
) -> list[Diagnostic]:
    """Run every selected rule; tickets (``tickets``, or the store's, read by ``loader``)
    are checked one at a time and then dropped."""
    rules = select_rules(ctx.options.select, ctx.options.ignore, local=not ctx.options.no_local)
    by_scope: dict[str, list[Rule]] = {"ticket": [], "store": [], "local": [], "git": []}
    for rule in rules:
        by_scope[rule.scope].append(rule)
    diagnostics: list[Diagnostic] = []
    if tickets is None:
        locations = _restrict(ctx.index.scan.locations, ctx.options.paths)
        total = len(locations)
        jobs = _jobs(ctx, total)
        if jobs > 1:
            diagnostics.extend(
                _run_in_workers(ctx, by_scope["ticket"], locations, loader, jobs, progress)
            )
        else:
            tickets = (loader(ctx, location) for location in locations)
    for done, ticket in enumerate(tickets or (), start=1):
        check_ticket(ctx, by_scope["ticket"], ticket, diagnostics)
        ctx.index.add(ticket)
        if progress is not None:
            progress(done, total or done)
    for scope in ("store", "local", "git"):
        for rule in by_scope[scope]:
            diagnostics.extend(rule.run(ctx))
    if ctx.options.paths:
        diagnostics = [d for d in diagnostics if _under(d.path, ctx.options.paths)]
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def check_ticket(
    ctx: DoctorContext, rules: list[Rule], ticket: Ticket, diagnostics: list[Diagnostic]
) -> None:
    """Run the ticket rules on one ticket (most find nothing: no list is built for them)."""
    for rule in rules:
        for finding in rule.check(ctx, ticket):
            diagnostics.append(rule.diagnostic(finding))


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


# --- worker processes


def _jobs(ctx: DoctorContext, total: int) -> int:
    """How many worker processes to check ``total`` tickets with (1: none)."""
    configured = os.environ.get(JOBS_ENV, "").strip()
    if configured.isdigit() and int(configured) >= 1:
        jobs = int(configured)
    elif total < PARALLEL_MIN_TICKETS:
        return 1
    else:
        jobs = min(len(os.sched_getaffinity(0)), MAX_JOBS) if _can_fork() else 1
    # Nothing may be shared with workers but what a fork copies: no cached values
    # (an open git process, say) and no other threads.
    if jobs > 1 and (ctx.cache or not _can_fork()):
        return 1
    return min(jobs, max(total, 1))


def _can_fork() -> bool:
    import threading

    return (
        sys.platform.startswith("linux")
        and sys.version_info >= (3, 11)  # frozen dataclasses with slots pickle since 3.11
        and threading.active_count() == 1
    )


_JOB: tuple[DoctorContext, list[Rule], list[TicketLocation], Loader] | None = None  # for workers


def _run_in_workers(
    ctx: DoctorContext,
    rules: list[Rule],
    locations: list[TicketLocation],
    loader: Loader,
    jobs: int,
    progress: Progress | None,
) -> list[Diagnostic]:
    """Check ``locations`` in ``jobs`` forked processes; add their summaries to ``ctx``."""
    import multiprocessing

    global _JOB
    size = max(25, min(100, len(locations) // (jobs * 8)))
    ranges = [(i, min(i + size, len(locations))) for i in range(0, len(locations), size)]
    diagnostics: list[Diagnostic] = []
    done = 0
    _JOB = (ctx, rules, locations, loader)  # workers see it through the fork, nothing pickled
    gc.freeze()  # what the workers inherit is never scanned by their garbage collector
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_ignore_sigint) as pool:
            for found, summaries in pool.imap(_check_range, ranges):
                diagnostics.extend(found)
                ctx.index.summaries.extend(summaries)
                done += len(summaries)
                if progress is not None:
                    progress(done, len(locations))
    finally:
        gc.unfreeze()
        _JOB = None
    return diagnostics


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


_WORKER_CONTEXT: DoctorContext | None = None  # a worker's own copy, with its own cache


def _check_range(bounds: tuple[int, int]) -> tuple[list[Diagnostic], list[TicketSummary]]:
    """In a worker: read and check some tickets exactly as the one-process loop does."""
    global _WORKER_CONTEXT
    assert _JOB is not None
    parent, rules, locations, loader = _JOB
    if _WORKER_CONTEXT is None:
        _WORKER_CONTEXT = dataclasses.replace(parent, cache={})
    ctx = _WORKER_CONTEXT
    ctx.index = StoreIndex(parent.index.scan)  # the summaries of this range go back
    diagnostics: list[Diagnostic] = []
    for location in locations[bounds[0] : bounds[1]]:
        ticket = loader(ctx, location)
        check_ticket(ctx, rules, ticket, diagnostics)
        ctx.index.add(ticket)
    return diagnostics, ctx.index.summaries
