"""Human-readable output: diagnostics grouped by file (or, with ``--statistics``, one line
per code), then a summary line.

With ``--quiet`` a run that prints no error prints nothing at all unless it fails; else
the summary line says how many warnings and info were left out. With a baseline the
counts are of new findings, and the line ends with what the baseline matched.
"""

from __future__ import annotations

from itertools import groupby

from yoi_ticket.doctor.diagnostics import Diagnostic, Severity, code_counts, summarize
from yoi_ticket.doctor.report import Report

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def severity_color(severity: Severity) -> str:
    return _COLORS[severity]


def render_text(report: Report, *, color: bool = False, statistics: bool = False) -> str:
    if statistics:
        lines = statistics_lines(report)
        lines += [""] if lines else []
    else:
        lines = []
        for path, group in groupby(report.diagnostics, key=lambda d: d.path):
            lines.append(paint(path, "1", color))
            for diagnostic in group:
                lines.extend(_diagnostic_lines(diagnostic, color))
            lines.append("")
    summary = summary_line(report, color)
    if summary is None:
        return ""
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _diagnostic_lines(diagnostic: Diagnostic, color: bool) -> list[str]:
    where = str(diagnostic.line) if diagnostic.line is not None else "-"
    severity = paint(f"{diagnostic.severity.value:<7}", _COLORS[diagnostic.severity], color)
    out = [f"  {where:>5}  {severity} {paint(diagnostic.code, '1', color)}  {diagnostic.message}"]
    if diagnostic.hint:
        out.append(f"{'':>17}hint: {diagnostic.hint}")
    return out


def statistics_lines(report: Report) -> list[str]:
    """``--statistics``: one line per code, most frequent first: count, code, rule title."""
    counts = code_counts(report.diagnostics)
    width = max((len(str(count)) for _, count in counts), default=1)
    return [f"{count:>{width}}  {code}  {rule_title(code)}" for code, count in counts]


def rule_title(code: str) -> str:
    """The title of the rule registered under ``code`` ("" for a code without a rule)."""
    from yoi_ticket.doctor.registry import get_rule
    from yoi_ticket.errors import UsageError

    try:
        return get_rule(code).title
    except UsageError:
        return ""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 or word == "info" else "s")


def summary_line(report: Report, color: bool) -> str | None:
    """The last line of text and concise output; ``None`` for a quiet run with nothing to
    say (no error shown and the run passes)."""
    counts = summarize(report.diagnostics)
    if report.quiet and not report.diagnostics and not report.failed:
        return None
    notes = [_plural(report.tickets_checked, "ticket") + " checked"]
    if report.hidden and any(report.hidden.values()):
        left_out = [_plural(n, severity) for severity, n in report.hidden.items() if n]
        notes.insert(0, " and ".join(left_out) + " not shown")
    if report.baseline is not None:
        matched, gone = report.baseline.matched, report.baseline.gone
        entries = "entry" if gone == 1 else "entries"
        notes.append(f"baseline: {matched} matched, {gone} {entries} gone")
    new = "new " if report.baseline is not None else ""
    if not report.diagnostics:
        what = "errors" if report.quiet else "problems"
        return paint(f"No {new}{what} found ({'; '.join(notes)}).", "32", color)
    found = ", ".join(
        _plural(counts[severity.value], severity.value).replace(" ", f" {new}", 1)
        for severity in Severity
        if counts[severity.value]
    )
    return f"Found {found} ({'; '.join(notes)})."
