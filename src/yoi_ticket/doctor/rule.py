"""A doctor rule: a stable code, a severity, a one-line title, a doc and a check.

Rules are plain functions wrapped by :func:`rule`; the registry lists them
explicitly (no discovery by import side effects).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from yoi_ticket.doctor.diagnostics import Diagnostic, Finding, Severity

Scope = Literal["ticket", "store", "local", "git"]
"""When a rule runs: once per ticket, once per store, on the local overlay, or on git."""

Check = Callable[[Any, Any], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    scope: Scope
    title: str
    what: str
    why: str
    example: str
    fix: str
    check: Check

    def run(self, ctx: Any, subject: Any = None) -> list[Diagnostic]:
        return [self.diagnostic(finding) for finding in self.check(ctx, subject)]

    def diagnostic(self, finding: Finding) -> Diagnostic:
        return Diagnostic(
            code=self.code,
            severity=finding.severity or self.severity,
            path=finding.path,
            line=finding.line,
            message=finding.message,
            hint=finding.hint,
        )

    def explain(self) -> str:
        """The rule's doc page as plain text (what, why, example, how to fix)."""
        sections = [
            f"{self.code}: {self.title}",
            f"Severity: {self.severity.value}    Scope: {self.scope}",
            f"What it does\n{_indent(self.what)}",
            f"Why it matters\n{_indent(self.why)}",
            f"Example\n{_indent(self.example)}",
            f"How to fix\n{_indent(self.fix)}",
        ]
        return "\n\n".join(sections) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.strip("\n").split("\n"))


def rule(
    code: str,
    severity: Severity,
    scope: Scope,
    title: str,
    *,
    why: str,
    example: str,
    fix: str,
) -> Callable[[Check], Rule]:
    """Turn a check function into a :class:`Rule`; its docstring says what it checks."""

    def wrap(check: Check) -> Rule:
        what = " ".join((check.__doc__ or "").split())
        return Rule(code, severity, scope, title, what, why.strip(), example, fix.strip(), check)

    return wrap
