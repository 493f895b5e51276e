"""Reading a large store in worker processes, one per CPU (forked, Linux only).

Doctor and ``list`` read every ticket; on a large store that work is split into
chunks that forked workers read while the parent collects the results, in order.
Workers see the parent's state through the fork (nothing is pickled on the way in);
only their results come back pickled. ``YOI_JOBS=N`` sets the number of workers,
``YOI_JOBS=1`` keeps everything in one process.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

JOBS_ENV = "YOI_JOBS"
PARALLEL_MIN_TICKETS = 300  # below this, starting workers costs about what it saves
MAX_JOBS = 8


def jobs_for(total: int) -> int:
    """How many worker processes to read ``total`` tickets with (1: none)."""
    configured = os.environ.get(JOBS_ENV, "").strip()
    if configured.isdigit() and int(configured) >= 1:
        jobs = int(configured)
    elif total < PARALLEL_MIN_TICKETS:
        return 1
    else:
        jobs = min(len(os.sched_getaffinity(0)), MAX_JOBS) if can_fork() else 1
    if jobs > 1 and not can_fork():
        return 1
    return min(jobs, max(total, 1))


def can_fork() -> bool:
    """Whether forked workers are safe here: Linux, Python 3.11+ (frozen dataclasses with
    slots pickle since 3.11) and no other thread (a fork copies only the calling one)."""
    import threading

    return (
        sys.platform.startswith("linux")
        and sys.version_info >= (3, 11)
        and threading.active_count() == 1
    )


def chunk_bounds(
    total: int, jobs: int, *, smallest: int = 25, largest: int = 100
) -> list[tuple[int, int]]:
    """``(start, end)`` ranges of at most ``largest`` items: small enough that no worker
    waits long for the other at the end, large enough to keep the traffic low."""
    size = max(smallest, min(largest, total // (jobs * 8)))
    return [(i, min(i + size, total)) for i in range(0, total, size)]


_WORK: Callable[[Any], Any] | None = None  # what the workers run, seen through the fork


def forked_map(work: Callable[[T], R], items: Sequence[T], jobs: int) -> Iterator[R]:
    """``work(item)`` for every item, computed in ``jobs`` forked processes, in order.

    ``work`` and everything it reaches are inherited by the workers, not pickled; each
    result is pickled back. The garbage collector of the workers skips what they inherit.
    """
    import multiprocessing

    global _WORK
    _WORK = work
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_ignore_sigint) as pool:
            yield from pool.imap(_call, items)
    finally:
        gc.unfreeze()
        _WORK = None


def _call(item: Any) -> Any:
    assert _WORK is not None
    return _WORK(item)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
