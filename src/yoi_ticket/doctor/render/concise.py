"""``--format concise``: one ``path:line:col: CODE message`` line per finding, as ruff's
concise output, for editors, quickfix lists and problem matchers; then the summary line.

Paths are the text renderer's (relative to the workspace). Doctor knows lines, not
columns: the column is always 1, and a finding about a whole file or folder is given
line 1 too, so that every line has the same shape. Control characters in the path or
the message become spaces: one finding is one line. ``--statistics`` prints the
per-code counts instead, as text does.
"""

from __future__ import annotations

from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.render.text import paint, severity_color, statistics_lines, summary_line
from yoi_ticket.doctor.report import Report

_CONTROL_TO_SPACE = {code: " " for code in (*range(32), *range(127, 160))}


def render_diagnostic(diagnostic: Diagnostic, *, color: bool = False) -> str:
    """One finding on one line."""
    path = diagnostic.path.translate(_CONTROL_TO_SPACE)
    line = diagnostic.line if diagnostic.line is not None and diagnostic.line >= 1 else 1
    code = paint(diagnostic.code, severity_color(diagnostic.severity), color)
    message = diagnostic.message.translate(_CONTROL_TO_SPACE)
    return f"{paint(path, '1', color)}:{line}:1: {code} {message}"


def render_concise(report: Report, *, color: bool = False, statistics: bool = False) -> str:
    if statistics:
        lines = statistics_lines(report)
    else:
        lines = [render_diagnostic(diagnostic, color=color) for diagnostic in report.diagnostics]
    summary = summary_line(report, color)
    if summary is None:
        return ""
    lines.append(summary)
    return "\n".join(lines) + "\n"
