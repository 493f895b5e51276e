"""Renderers: pure functions from a doctor report to text (text, json, github, sarif)."""

from __future__ import annotations

from collections.abc import Callable

from yoi_ticket.doctor.report import Report

FORMATS = ("text", "json", "github", "sarif")


def render(fmt: str, report: Report, *, color: bool = False) -> str:
    """Render ``report`` in ``fmt`` (one of :data:`FORMATS`)."""
    renderer: Callable[[Report], str]
    if fmt == "text":
        from yoi_ticket.doctor.render.text import render_text

        return render_text(report, color=color)
    if fmt == "json":
        from yoi_ticket.doctor.render.json import render_json as renderer
    elif fmt == "github":
        from yoi_ticket.doctor.render.github import render_github as renderer
    elif fmt == "sarif":
        from yoi_ticket.doctor.render.sarif import render_sarif as renderer
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return renderer(report)
