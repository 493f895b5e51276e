"""Renderers: pure functions from a doctor report to text (text, concise, json, github,
sarif), and the warnings a rendering gives (SARIF's left-out results)."""

from __future__ import annotations

from collections.abc import Callable

from yoi_ticket.doctor.report import Report

FORMATS = ("text", "concise", "json", "github", "sarif")
STATISTICS_FORMATS = ("text", "concise", "json")
"""The formats ``--statistics`` works with."""


def render(fmt: str, report: Report, *, color: bool = False, statistics: bool = False) -> str:
    """Render ``report`` in ``fmt`` (one of :data:`FORMATS`); ``statistics``: the count of
    findings per code (text and concise instead of the findings, json in addition)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if statistics and fmt not in STATISTICS_FORMATS:
        raise ValueError(f"no statistics in format {fmt!r}")
    if fmt == "text":
        from yoi_ticket.doctor.render.text import render_text

        return render_text(report, color=color, statistics=statistics)
    if fmt == "concise":
        from yoi_ticket.doctor.render.concise import render_concise

        return render_concise(report, color=color, statistics=statistics)
    if fmt == "json":
        from yoi_ticket.doctor.render.json import render_json

        return render_json(report, statistics=statistics)
    renderer: Callable[[Report], str]
    if fmt == "github":
        from yoi_ticket.doctor.render.github import render_github as renderer
    else:
        from yoi_ticket.doctor.render.sarif import render_sarif as renderer
    return renderer(report)


def render_warnings(fmt: str, report: Report) -> list[str]:
    """What rendering ``report`` in ``fmt`` leaves out, one warning each (SARIF only)."""
    if fmt != "sarif":
        return []
    from yoi_ticket.doctor.render.sarif import left_out, truncation_warning

    omitted = left_out(report)
    return [truncation_warning(omitted, len(report.diagnostics))] if omitted else []
