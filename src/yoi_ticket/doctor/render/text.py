"""Human-readable output: diagnostics grouped by file, then a summary line."""

from __future__ import annotations

from itertools import groupby

from yoi_ticket.doctor.diagnostics import Diagnostic, Severity, summarize
from yoi_ticket.doctor.report import Report

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def render_text(report: Report, *, color: bool = False) -> str:
    lines: list[str] = []
    for path, group in groupby(report.diagnostics, key=lambda d: d.path):
        lines.append(_paint(path, "1", color))
        for diagnostic in group:
            lines.extend(_diagnostic_lines(diagnostic, color))
        lines.append("")
    lines.append(_summary(report, color))
    return "\n".join(lines) + "\n"


def _diagnostic_lines(diagnostic: Diagnostic, color: bool) -> list[str]:
    where = str(diagnostic.line) if diagnostic.line is not None else "-"
    severity = _paint(f"{diagnostic.severity.value:<7}", _COLORS[diagnostic.severity], color)
    out = [f"  {where:>5}  {severity} {_paint(diagnostic.code, '1', color)}  {diagnostic.message}"]
    if diagnostic.hint:
        out.append(f"{'':>17}hint: {diagnostic.hint}")
    return out


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 or word == "info" else "s")


def _summary(report: Report, color: bool) -> str:
    counts = summarize(report.diagnostics)
    checked = _plural(report.tickets_checked, "ticket") + " checked"
    if not report.diagnostics:
        return _paint(f"No problems found ({checked}).", "32", color)
    found = ", ".join(
        _plural(counts[severity.value], severity.value)
        for severity in Severity
        if counts[severity.value]
    )
    return f"Found {found} ({checked})."
