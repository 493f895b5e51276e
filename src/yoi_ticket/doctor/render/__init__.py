"""Renderers: pure functions from a doctor report to text (text, concise, json, github,
sarif), written a piece at a time (:func:`write`) or returned whole (:func:`render`),
and the warnings a rendering gives (SARIF's left-out results)."""

from __future__ import annotations

from collections.abc import Callable

from yoi_ticket.doctor.report import Report

FORMATS = ("text", "concise", "json", "github", "sarif")
STATISTICS_FORMATS = ("text", "concise", "json")
"""The formats ``--statistics`` works with."""


Write = Callable[[str], None]
"""Where a renderer writes its text, a piece at a time."""


def render(fmt: str, report: Report, *, color: bool = False, statistics: bool = False) -> str:
    """Render ``report`` in ``fmt`` (one of :data:`FORMATS`); ``statistics``: the count of
    findings per code (text and concise instead of the findings, json in addition)."""
    parts: list[str] = []
    write(fmt, report, parts.append, color=color, statistics=statistics)
    return "".join(parts)


def write(
    fmt: str, report: Report, out: Write, *, color: bool = False, statistics: bool = False
) -> None:
    """What :func:`render` returns, written to ``out`` as it is made: the findings of a
    large run are read and written one after the other, never held as one text."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if statistics and fmt not in STATISTICS_FORMATS:
        raise ValueError(f"no statistics in format {fmt!r}")
    if fmt == "text":
        from yoi_ticket.doctor.render.text import write_text

        write_text(report, out, color=color, statistics=statistics)
    elif fmt == "concise":
        from yoi_ticket.doctor.render.concise import write_concise

        write_concise(report, out, color=color, statistics=statistics)
    elif fmt == "json":
        from yoi_ticket.doctor.render.json import write_json

        write_json(report, out, statistics=statistics)
    elif fmt == "github":
        from yoi_ticket.doctor.render.github import write_github

        write_github(report, out)
    else:
        from yoi_ticket.doctor.render.sarif import write_sarif

        write_sarif(report, out)


def render_warnings(fmt: str, report: Report) -> list[str]:
    """What rendering ``report`` in ``fmt`` leaves out, one warning each (SARIF only)."""
    if fmt != "sarif":
        return []
    from yoi_ticket.doctor.render.sarif import left_out, truncation_warning

    omitted = left_out(report)
    return [truncation_warning(omitted, len(report.diagnostics))] if omitted else []
