"""The diagnostics of a run, kept small until they are written out.

A large store has hundreds of thousands of findings. The runner hands them over in
runs (the findings of a chunk of tickets, or of the run-wide rules), each sorted and
kept as a compressed pickle of plain tuples (about 15 bytes a finding); :class:`Findings`
merges the runs in the documented order (path, line, code, message) as it is read, and
decodes only the runs the merge has reached, so that a renderer writes findings as
they come instead of holding all of them. Reading is repeatable: every pass decodes
the runs again. Identical findings (from any runs) are written once.

:class:`Findings` is a :class:`~collections.abc.Sequence`, equal to a list of the same
diagnostics, so that callers of the API can treat it as the list it used to be.
"""

from __future__ import annotations

import heapq
import pickle
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import overload

from yoi_ticket.doctor.diagnostics import Diagnostic, Severity

Row = tuple[str, str, str, "int | None", str, "str | None"]
OrderKey = tuple[str, int, str, str, bool, str, bool, str]
_SEVERITIES = {severity.value: severity for severity in Severity}


def order_key(diagnostic: Diagnostic) -> OrderKey:
    """:meth:`Diagnostic.sort_key`, with ties broken by every other field: equal keys mean
    equal diagnostics, so a merge sees duplicates side by side."""
    line, hint = diagnostic.line, diagnostic.hint
    return (
        diagnostic.path,
        line or 0,
        diagnostic.code,
        diagnostic.message,
        line is None,
        diagnostic.severity.value,
        hint is None,
        hint or "",
    )


def _row(d: Diagnostic) -> Row:
    return (d.code, d.severity.value, d.path, d.line, d.message, d.hint)


def _diagnostic(row: Row) -> Diagnostic:
    code, severity, path, line, message, hint = row
    return Diagnostic(code, _SEVERITIES[severity], path, line, message, hint)


class Run:
    """Sorted, distinct diagnostics, compressed; picklable (workers send runs back)."""

    __slots__ = ("blob", "count", "first")

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        ordered = sorted(set(diagnostics), key=order_key)
        self.count = len(ordered)
        self.first: OrderKey | None = order_key(ordered[0]) if ordered else None
        rows = [_row(d) for d in ordered]
        self.blob = zlib.compress(pickle.dumps(rows, pickle.HIGHEST_PROTOCOL), 1)

    def __reduce__(self) -> tuple[Callable[..., Run], tuple[bytes, int, OrderKey | None]]:
        return (_restore, (self.blob, self.count, self.first))

    def __iter__(self) -> Iterator[Diagnostic]:
        if self.count:
            yield from map(_diagnostic, pickle.loads(zlib.decompress(self.blob)))


def _restore(blob: bytes, count: int, first: OrderKey | None) -> Run:
    run = Run.__new__(Run)
    run.blob, run.count, run.first = blob, count, first
    return run


class Findings(Sequence[Diagnostic]):
    """The sorted, distinct diagnostics of a run, merged from :class:`Run` values as they
    are read; ``keep`` (if given) leaves out those it rejects (``doctor PATH...``)."""

    def __init__(
        self, runs: Iterable[Run] = (), keep: Callable[[Diagnostic], bool] | None = None
    ) -> None:
        self._runs = sorted((r for r in runs if r.count), key=lambda r: r.first or ())
        self._keep = keep
        self._counts: dict[str, int] | None = None  # severity -> count, once read through
        self._codes: dict[str, int] | None = None  # code -> count
        self._length: int | None = None

    def __iter__(self) -> Iterator[Diagnostic]:
        counts = {severity.value: 0 for severity in Severity}
        codes: dict[str, int] = {}
        last: Diagnostic | None = None
        for diagnostic in _merge(self._runs):
            if diagnostic == last or (self._keep is not None and not self._keep(diagnostic)):
                continue
            last = diagnostic
            counts[diagnostic.severity.value] += 1
            codes[diagnostic.code] = codes.get(diagnostic.code, 0) + 1
            yield diagnostic
        self._counts, self._codes = counts, codes
        self._length = sum(counts.values())

    def severity_counts(self) -> dict[str, int]:
        """How many findings each severity has (read through once, then remembered)."""
        if self._counts is None:
            for _ in self:
                pass
        assert self._counts is not None
        return dict(self._counts)

    def code_counts(self) -> dict[str, int]:
        """How many findings each code has (read through once, then remembered)."""
        if self._codes is None:
            for _ in self:
                pass
        assert self._codes is not None
        return dict(self._codes)

    def __len__(self) -> int:
        if self._length is None:
            self.severity_counts()
        assert self._length is not None
        return self._length

    def __bool__(self) -> bool:
        return self._length != 0 if self._length is not None else next(iter(self), None) is not None

    @overload
    def __getitem__(self, index: int) -> Diagnostic: ...

    @overload
    def __getitem__(self, index: slice) -> list[Diagnostic]: ...

    def __getitem__(self, index: int | slice) -> Diagnostic | list[Diagnostic]:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += len(self)
        found = next(islice(self, index, None), None) if index >= 0 else None
        if found is None:
            raise IndexError("finding index out of range")
        return found

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like a list

    def __repr__(self) -> str:
        return f"Findings({list(self)!r})"


def _merge(runs: list[Run]) -> Iterator[Diagnostic]:
    """The diagnostics of ``runs`` (sorted by their first key) in order. A run is decoded
    only once the merge reaches its first key, so runs that follow one another (the
    chunks of a store, in folder order) are decoded one or two at a time."""
    heap: list[tuple[OrderKey, int, Diagnostic, Iterator[Diagnostic]]] = []
    opened = 0
    while heap or opened < len(runs):
        while opened < len(runs) and (not heap or (runs[opened].first or ()) <= heap[0][0]):
            iterator = iter(runs[opened])
            head = next(iterator, None)
            if head is not None:
                heapq.heappush(heap, (order_key(head), opened, head, iterator))
            opened += 1
        if not heap:
            continue
        _key, number, diagnostic, iterator = heap[0]
        yield diagnostic
        following = next(iterator, None)
        if following is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (order_key(following), number, following, iterator))


def as_list(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` as a plain list (for the few steps that need one, such as --fix)."""
    return diagnostics if isinstance(diagnostics, list) else list(diagnostics)
