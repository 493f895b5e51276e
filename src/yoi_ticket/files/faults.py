"""Fault points: stop a process between two steps of an overlay change, on request.

Crash tests choose a point and what happens there with ``YOI_FAULT``::

    YOI_FAULT=claim.after_temp_write:die        # SIGKILL itself right there
    YOI_FAULT=launch.after_pending_write:pause  # write the ready file, then wait
    YOI_FAULT=session.after_replace:die@3       # the third time the point is reached

Several ``point:action`` entries are separated by commas. ``die`` kills the
process with SIGKILL (no clean-up runs, exactly like a crash). ``pause`` writes
``<pid> <point>`` to the file named by ``YOI_FAULT_READY`` and waits until that
file is removed (then carries on) or the process is killed; it gives up waiting
after ``YOI_FAULT_PAUSE`` seconds (default 120) and carries on.

The variable is read once, at import; with no plan :func:`point` returns at
once. Entries that cannot be read are ignored, so a test must check that its
fault really fired (the process died by SIGKILL, or the ready file appeared).
The points are listed in ``docs/reliability.md``.
"""

from __future__ import annotations

import os
import sys
import time

FAULT_ENV = "YOI_FAULT"
READY_ENV = "YOI_FAULT_READY"
PAUSE_ENV = "YOI_FAULT_PAUSE"
DIE = "die"
PAUSE = "pause"
DEFAULT_PAUSE = 120.0
_POLL = 0.01


def parse_plan(text: str) -> dict[str, tuple[str, int]]:
    """``{point: (action, nth hit)}`` from a ``YOI_FAULT`` value; bad entries are skipped."""
    plan: dict[str, tuple[str, int]] = {}
    for entry in text.split(","):
        name, _, action = entry.strip().rpartition(":")
        action, _, nth = action.partition("@")
        if not name or action not in (DIE, PAUSE):
            continue
        if nth and not nth.isdigit():
            continue
        plan[name] = (action, int(nth) if nth else 1)
    return plan


_PLAN = parse_plan(os.environ.get(FAULT_ENV, ""))
_hits: dict[str, int] = {}


def point(prefix: str | None, step: str | None = None) -> None:
    """Fault point ``prefix.step`` (or just ``prefix``): nothing happens unless it is planned."""
    if not _PLAN or prefix is None:
        return
    name = f"{prefix}.{step}" if step else prefix
    planned = _PLAN.get(name)
    if planned is None:
        return
    action, nth = planned
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] != nth:
        return
    if action == DIE:
        die()
    else:
        pause(name)


def die() -> None:
    """Kill this process at once, as a crash would (no ``finally``, no ``atexit``)."""
    if sys.platform != "win32":
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(10)  # pragma: no cover - the signal arrives first
    os._exit(128 + 9)  # pragma: no cover - Windows


def pause(name: str) -> None:
    """Announce ``name`` in the ready file, then wait until it is removed (or time runs out)."""
    ready = os.environ.get(READY_ENV)
    try:
        limit = float(os.environ.get(PAUSE_ENV, DEFAULT_PAUSE))
    except ValueError:
        limit = DEFAULT_PAUSE
    if ready:
        temp = f"{ready}.{os.getpid()}.tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {name}\n")
        os.replace(temp, ready)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and (ready is None or os.path.exists(ready)):
        time.sleep(_POLL)
