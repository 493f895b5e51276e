"""Diagnostics: small frozen values that rules produce and renderers print."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports; the runner adds the rule's code and default severity."""

    path: str
    line: int | None
    message: str
    hint: str | None = None
    severity: Severity | None = None  # overrides the rule's default when set


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    path: str
    line: int | None
    message: str
    hint: str | None = None

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line or 0, self.code, self.message)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


def summarize(diagnostics: Iterable[Diagnostic]) -> dict[str, int]:
    counts = {severity.value: 0 for severity in Severity}
    for diagnostic in diagnostics:
        counts[diagnostic.severity.value] += 1
    return counts


def fails(diagnostics: list[Diagnostic], fail_on: str) -> bool:
    """True when any diagnostic is at or above ``fail_on`` (``never`` never fails)."""
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(d.severity.rank >= threshold for d in diagnostics)


def counts_fail(counts: Mapping[str, int], fail_on: str) -> bool:
    """True when ``counts`` (severity value -> number) has a finding at or above ``fail_on``."""
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(n and Severity(value).rank >= threshold for value, n in counts.items())


def code_counts(diagnostics: Iterable[Diagnostic]) -> list[tuple[str, int]]:
    """How many findings each code has (``--statistics``), most frequent first, in one pass."""
    counts: dict[str, int] = {}
    for diagnostic in diagnostics:
        counts[diagnostic.code] = counts.get(diagnostic.code, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
