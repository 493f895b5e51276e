"""Adversarial ticket shapes of a given size: the inputs that once made a doctor rule or a
parser quadratic (many equal headers, events without ``at``, one huge event, thousands of
relations, deep plans, ...). Shared by the step-count tests and ``bench/shapes.py``.

Each shape is a function of ``n`` (its size: events, relations, lines, ...) that returns
the files of one ticket; :func:`write_shape` puts them into a workspace with the other
tickets a shape needs (a ring of relations spans ``n`` tickets).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

TICKET = "00001KSKBPDVG"
AT = "2026-06-01T00:00:00Z"
ITEM = (
    "---\n"
    'title: "Hostile shape"\n'
    'state: "planning"\n'
    'created_at: "2026-06-01T00:00:00Z"\n'
    'updated_at: "2026-06-01T00:00:00Z"\n'
    "---\n\n"
    "A ticket of an adversarial shape.\n"
)


@dataclass
class Shape:
    """The files of one ticket (names relative to its folder) and its other tickets."""

    files: dict[str, str]
    others: dict[str, dict[str, str]] = field(default_factory=dict)  # ticket id -> files


def ticket_id(number: int) -> str:
    """A canonical 13-character id for ``number`` (Crockford base32, zero padded)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    digits = ""
    value = number + 1_700_000_000_000
    while value:
        value, digit = divmod(value, 32)
        digits = alphabet[digit] + digits
    return digits.rjust(13, "0")


def event(kind: str, body: str, *, at: str | None = AT, author: str = "hare") -> str:
    at_part = f" at: {at}" if at is not None else ""
    return f"<!-- event: {kind} author: {author}{at_part} -->\n\n{body}\n\n---\n\n"


def _ticket(thread: str, **artifacts: str) -> dict[str, str]:
    files = {"item.md": ITEM, "thread.md": thread, "artifacts/.gitkeep": ""}
    files.update({f"artifacts/{name}": text for name, text in artifacts.items()})
    return files


def equal_headers(n: int) -> Shape:
    """``n`` events of one kind, author and time, each with its own body."""
    return Shape(_ticket("".join(event("comment", f"note {i}") for i in range(n))))


def duplicated_events(n: int) -> Shape:
    """``n`` copies of one event (every copy after the first is a duplicate)."""
    return Shape(_ticket(event("review", "looks good") * n))


def without_at(n: int) -> Shape:
    """``n`` events without ``at``, each with its own body."""
    return Shape(_ticket("".join(event("comment", f"note {i}", at=None) for i in range(n))))


def huge_event(n: int) -> Shape:
    """One event whose body has ``n`` lines."""
    body = "".join(f"line {i} of the one huge event body\n" for i in range(n))
    return Shape(_ticket(event("comment", body)))


def comments_on_one_line(n: int) -> Shape:
    """One line holding ``n`` comment openers (``<!--``)."""
    return Shape(_ticket(event("comment", "<!-- x " * n)))


def unclosed_fences(n: int) -> Shape:
    """``n`` fence openers that no line closes, between ``n`` events."""
    return Shape(_ticket("".join(event("comment", f"```text {i}") for i in range(n))))


def many_attributes(n: int) -> Shape:
    """One header with ``n`` attributes (half of them quoted)."""
    pairs = " ".join(f'k{i}: "v {i}"' if i % 2 else f"k{i}: v{i}" for i in range(n))
    header = f"<!-- event: comment author: hare at: {AT} {pairs} -->\n\nbody\n"
    return Shape(_ticket(header))


def relations(n: int) -> Shape:
    """``n`` depends_on relations from one ticket to ``n`` tickets that do not exist."""
    entries = [
        {
            "ticket_id": TICKET,
            "kind": "depends_on",
            "target": ticket_id(i),
            "note": "",
            "author": "hare",
            "at": AT,
        }
        for i in range(n)
    ]
    text = json.dumps({"version": 1, "relations": entries}, indent=2) + "\n"
    return Shape(_ticket(event("create", "created"), **{"relations.json": text}))


def relation_ring(n: int) -> Shape:
    """``n`` tickets, each depending on the next, the last on the first: one long cycle."""
    ids = [TICKET, *(ticket_id(i) for i in range(1, n))]

    def files(index: int) -> dict[str, str]:
        relation = {
            "ticket_id": ids[index],
            "kind": "depends_on",
            "target": ids[(index + 1) % n],
            "author": "hare",
            "at": AT,
        }
        text = json.dumps({"version": 1, "relations": [relation]}) + "\n"
        return _ticket(event("create", "created"), **{"relations.json": text})

    return Shape(files(0), {ids[i]: files(i) for i in range(1, n)})


def deep_plans(n: int) -> Shape:
    """``n`` plan records, each an accepted plan nested 60 levels deep (under the limit)."""
    nested: object = {"summary": "the plan"}
    for _ in range(60):
        nested = {"step": nested}
    lines = []
    for i in range(n):
        record = {
            "id": f"plan-{i}",
            "ticket_id": TICKET,
            "kind": "accepted_plan",
            "author": "hare",
            "at": AT,
            "accepted_plan": {"summary": f"plan {i}", "detail": nested},
        }
        lines.append(json.dumps(record))
    text = "\n".join(lines) + "\n"
    return Shape(_ticket(event("create", "created"), **{"orchestration-plan.jsonl": text}))


def separators(n: int) -> Shape:
    """``n`` empty events: separator lines and blank lines only after one header."""
    return Shape(_ticket(event("create", "created") + "---\n\n" * n))


def paths_on_one_line(n: int) -> Shape:
    """One line of ``n`` home-directory paths in one token (``!/root/!/root/...``)."""
    return Shape(_ticket(event("comment", "!/root/" * n)))


def slashes_on_one_line(n: int) -> Shape:
    """One line of ``n`` path starts, no socket among them (``=/=/=/...``)."""
    return Shape(_ticket(event("comment", "/tmp/x " + "=/" * n)))


def urls_on_one_line(n: int) -> Shape:
    """One line of ``n`` URLs with home paths, and sockets, in one token."""
    return Shape(_ticket(event("comment", "x://h/home/a/s.sock;" * n)))


def nested_frontmatter(n: int) -> Shape:
    """A frontmatter list of ``n`` mappings, each with a path, a Pod and an escaped value."""
    entries = "".join(
        f'  - name: "entry \\t{i}"\n    path: /home/alice/{i}\n    pod_{i}: coder-{i}\n'
        for i in range(n)
    )
    item = ITEM.replace("---\n\n", f"notes:\n{entries}---\n\n", 1)
    files = _ticket(event("create", "created"))
    files["item.md"] = item
    return Shape(files)


def relations_without_targets(n: int) -> Shape:
    """``n`` relations without a target (their lines are found by walking the JSON)."""
    entries = [{"ticket_id": TICKET, "kind": "related", "note": '"target": x'} for _ in range(n)]
    text = json.dumps({"version": 1, "relations": entries}, indent=2) + "\n"
    return Shape(_ticket(event("create", "created"), **{"relations.json": text}))


# The size each shape is checked at for its step count (tests/doctor/test_linear_time.py,
# bench/stress.py): smaller where one unit is costly (a ticket, a frontmatter entry).
STEP_SIZES = {
    "relation ring": 40,
    "nested frontmatter": 100,
    "deep plans": 50,
    "relations without targets": 150,
}
DEFAULT_STEP_SIZE = 400
GROWTH = 8  # the larger run is this many times the size
GROWTH_LIMIT = 9  # ... and may take at most this many times the steps

SHAPES: dict[str, Callable[[int], Shape]] = {
    "equal headers": equal_headers,
    "duplicated events": duplicated_events,
    "events without at": without_at,
    "one huge event": huge_event,
    "comment openers on one line": comments_on_one_line,
    "unclosed fences": unclosed_fences,
    "many header attributes": many_attributes,
    "relations": relations,
    "relation ring": relation_ring,
    "deep plans": deep_plans,
    "separators": separators,
    "paths on one line": paths_on_one_line,
    "slashes on one line": slashes_on_one_line,
    "urls on one line": urls_on_one_line,
    "nested frontmatter": nested_frontmatter,
    "relations without targets": relations_without_targets,
}


def write_shape(workspace: Path, shape: Shape) -> Path:
    """Write ``shape`` as the ticket store of ``workspace`` (which need not exist)."""
    store = workspace / ".yoi" / "tickets"
    for ticket, files in {TICKET: shape.files, **shape.others}.items():
        for name, text in files.items():
            path = store / ticket / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return workspace


class TooManySteps(Exception):
    """The call took more steps than its limit (it was stopped there)."""


def count_steps(call: Callable[[], object], limit: int | None = None) -> int:
    """The Python steps ``call()`` takes: every function call and every line run (the trace
    events of ``sys.settrace``). Deterministic for given code and input, unlike a time:
    tests compare how it grows with the input. Work done inside one C call (a regex
    scan, a string search) is one step, so a quadratic C scan is seen only by the bench.

    Past ``limit`` steps the call is stopped and :class:`TooManySteps` raised, so that a
    quadratic rule fails a test at once instead of running for hours.
    """
    steps = 0
    stopped = False

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., object]:
        nonlocal steps, stopped
        steps += 1
        if limit is not None and steps > limit:
            stopped = True
            raise TooManySteps(f"more than {limit:,} steps")
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        call()
    except TooManySteps:
        pass
    finally:
        sys.settrace(previous)
    if stopped:  # also when the code under test caught the exception
        raise TooManySteps(f"more than {limit:,} steps")
    return steps


def doctor_steps(workspace: Path, limit: int | None = None) -> int:
    """The steps of one ``doctor --no-local`` run (one process, no workers) on ``workspace``."""
    from yoi_ticket.doctor.api import run_doctor
    from yoi_ticket.doctor.context import DoctorOptions

    jobs = os.environ.get("YOI_JOBS")
    os.environ["YOI_JOBS"] = "1"
    try:
        return count_steps(lambda: run_doctor(workspace, DoctorOptions(no_local=True)), limit)
    finally:
        if jobs is None:
            del os.environ["YOI_JOBS"]
        else:
            os.environ["YOI_JOBS"] = jobs


def linear_steps(root: Path, name: str, scale: int = 1) -> tuple[int, int]:
    """The steps of doctor on shape ``name`` at its step size times ``scale``, and at
    :data:`GROWTH` times that; raises :class:`TooManySteps` past :data:`GROWTH_LIMIT` times
    the first count (a rule slower than linear)."""
    size = STEP_SIZES.get(name, DEFAULT_STEP_SIZE) * scale
    small = doctor_steps(write_shape(root / f"{name}-{size}".replace(" ", "-"), SHAPES[name](size)))
    large_size = GROWTH * size
    workspace = write_shape(
        root / f"{name}-{large_size}".replace(" ", "-"), SHAPES[name](large_size)
    )
    return small, doctor_steps(workspace, limit=GROWTH_LIMIT * small)
