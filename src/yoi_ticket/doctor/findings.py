"""The diagnostics of a run, kept small until they are written out.

A large store has hundreds of thousands of findings. The runner hands them over in
runs (:mod:`yoi_ticket.store.runs`: the findings of a chunk of tickets, or of the
run-wide rules, each sorted and compressed, about 15 bytes a finding); :class:`Findings`
merges the runs in the documented order (path, line, code, message) as it is read, and
decodes only the runs the merge has reached, so that a renderer writes findings as
they come instead of holding all of them. Reading is repeatable: every pass decodes
the runs again. Identical findings (from any runs) are written once.

:class:`Findings` is a :class:`~collections.abc.Sequence`, equal to a list of the same
diagnostics, so that callers of the API can treat it as the list it used to be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, overload

from yoi_ticket.doctor.diagnostics import Diagnostic, Severity
from yoi_ticket.store import runs
from yoi_ticket.store.runs import Run

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


def _row(d: Diagnostic) -> tuple[Any, ...]:
    return (d.code, d.severity.value, d.path, d.line, d.message, d.hint)


def _diagnostic(row: tuple[Any, ...]) -> Diagnostic:
    code, severity, path, line, message, hint = row
    return Diagnostic(code, _SEVERITIES[severity], path, line, message, hint)


CODEC: runs.Codec[Diagnostic] = runs.Codec(order_key, _row, _diagnostic)


def finding_run(diagnostics: Iterable[Diagnostic]) -> Run[Diagnostic]:
    """The findings of a chunk of tickets (or of the run-wide rules) as one :class:`Run`."""
    return Run(diagnostics, CODEC)


class Findings(Sequence[Diagnostic]):
    """The sorted, distinct diagnostics of a run, merged from :class:`Run` values as they
    are read; ``keep`` (if given) leaves out those it rejects (``doctor PATH...``)."""

    def __init__(
        self,
        found: Iterable[Run[Diagnostic]] = (),
        keep: Callable[[Diagnostic], bool] | None = None,
    ) -> None:
        self._runs = runs.ordered(found)
        self._keep = keep
        self._counts: dict[str, int] | None = None  # severity -> count, once read through
        self._codes: dict[str, int] | None = None  # code -> count
        self._length: int | None = None

    def __iter__(self) -> Iterator[Diagnostic]:
        counts = {severity.value: 0 for severity in Severity}
        codes: dict[str, int] = {}
        for diagnostic in runs.merge(self._runs, CODEC):
            if self._keep is not None and not self._keep(diagnostic):
                continue
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


def as_list(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` as a plain list (for the few steps that need one, such as --fix)."""
    return diagnostics if isinstance(diagnostics, list) else list(diagnostics)
