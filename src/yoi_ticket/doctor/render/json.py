"""``--format json``: the stable, versioned shape of SPEC section 8, with keys added:
``summary.tickets`` (tickets checked), ``summary.baseline`` (``null``, or the baseline's
``file``, ``matched`` and ``gone``), ``summary.hidden`` (``null``, or with ``--quiet`` the
warnings and info left out) and, with ``--statistics``, ``statistics``: one
``{"code", "title", "count"}`` per code, most frequent first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yoi_ticket import JSON_VERSION
from yoi_ticket.doctor.diagnostics import code_counts, summarize
from yoi_ticket.doctor.report import Report


def render_json(report: Report, *, statistics: bool = False) -> str:
    parts: list[str] = []
    write_json(report, parts.append, statistics=statistics)
    return "".join(parts)


def write_json(report: Report, out: Callable[[str], None], *, statistics: bool = False) -> None:
    """:func:`render_json`, written as the findings come (laid out as ``json.dumps`` with
    ``indent=2`` lays it out): the summary after them, when their counts are known."""
    from yoi_ticket.files.jsontext import write_document

    head = {"version": JSON_VERSION, "workspace": report.workspace}
    entries = (diagnostic.to_json() for diagnostic in report.diagnostics)
    write_document(out, head, "diagnostics", entries, lambda: _tail(report, statistics))
    out("\n")


def _tail(report: Report, statistics: bool) -> dict[str, Any]:
    summary: dict[str, Any] = dict(summarize(report.diagnostics))
    summary["tickets"] = report.tickets_checked
    summary["baseline"] = None if report.baseline is None else report.baseline.to_json()
    summary["hidden"] = None if report.hidden is None else dict(report.hidden)
    tail: dict[str, Any] = {"summary": summary}
    if statistics:
        from yoi_ticket.doctor.render.text import rule_title

        tail["statistics"] = [
            {"code": code, "title": rule_title(code), "count": count}
            for code, count in code_counts(report.diagnostics)
        ]
    return tail
