"""A doctor rule: a stable code, a severity, a one-line title, a doc and a check.

Rules are plain functions wrapped by :func:`rule`; each rule module lists its rules
in ``RULES`` and the registry maps each code family to its modules (no discovery by
import side effects). A rule of scope ``ticket`` is a :class:`TicketRule`, checked
once per ticket; every other scope makes a :class:`RunRule`, checked once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

from yoi_ticket.doctor.diagnostics import Diagnostic, Finding, Severity

if TYPE_CHECKING:
    from yoi_ticket.doctor.context import DoctorContext
    from yoi_ticket.store.models import Ticket

Scope = Literal["ticket", "store", "local", "git"]
"""When a rule runs: once per ticket, once per store, on the local overlay, or on git."""
RunScope = Literal["store", "local", "git"]

TicketCheck = Callable[["DoctorContext", "Ticket"], Iterable[Finding]]
"""The check of a ticket rule: the context and one ticket."""
RunCheck = Callable[["DoctorContext", None], Iterable[Finding]]
"""The check of a store, local or git rule: the context (the subject is always ``None``)."""


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
    text_only: bool
    """The check needs no more of a ticket than its file names and raw text (see
    :func:`yoi_ticket.doctor.sources.text_ticket`)."""
    safe_fix: str | None
    """What ``doctor --fix`` removes for a finding of this rule (see
    :mod:`yoi_ticket.doctor.fixes`), if anything."""
    name: str
    """The name of the check function (``dangling_relation``)."""

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


@dataclass(frozen=True)
class TicketRule(Rule):
    check: TicketCheck

    def run(self, ctx: DoctorContext, ticket: Ticket) -> list[Diagnostic]:
        return [self.diagnostic(finding) for finding in self.check(ctx, ticket)]


@dataclass(frozen=True)
class RunRule(Rule):
    check: RunCheck

    def run(self, ctx: DoctorContext) -> list[Diagnostic]:
        return [self.diagnostic(finding) for finding in self.check(ctx, None)]


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.strip("\n").split("\n"))


@overload
def rule(
    code: str,
    severity: Severity,
    scope: Literal["ticket"],
    title: str,
    *,
    why: str,
    example: str,
    fix: str,
    text_only: bool = False,
    safe_fix: str | None = None,
) -> Callable[[TicketCheck], TicketRule]: ...


@overload
def rule(
    code: str,
    severity: Severity,
    scope: RunScope,
    title: str,
    *,
    why: str,
    example: str,
    fix: str,
    text_only: bool = False,
    safe_fix: str | None = None,
) -> Callable[[RunCheck], RunRule]: ...


def rule(
    code: str,
    severity: Severity,
    scope: Scope,
    title: str,
    *,
    why: str,
    example: str,
    fix: str,
    text_only: bool = False,
    safe_fix: str | None = None,
) -> Callable[[TicketCheck], TicketRule] | Callable[[RunCheck], RunRule]:
    """Turn a check function into a rule; its docstring says what it checks. ``code`` is
    the one place a rule's code is written."""

    def fields(check: Callable[..., Iterable[Finding]]) -> dict[str, Any]:
        return {
            "code": code,
            "severity": severity,
            "scope": scope,
            "title": title,
            "what": " ".join((check.__doc__ or "").split()),
            "why": why.strip(),
            "example": example,
            "fix": fix.strip(),
            "text_only": text_only,
            "safe_fix": safe_fix,
            "name": check.__name__,
        }

    def ticket_rule(check: TicketCheck) -> TicketRule:
        return TicketRule(**fields(check), check=check)

    def run_rule(check: RunCheck) -> RunRule:
        return RunRule(**fields(check), check=check)

    return ticket_rule if scope == "ticket" else run_rule
