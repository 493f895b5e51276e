"""``--format json``: the stable, versioned shape of SPEC section 8, with keys added:
``summary.tickets`` (tickets checked), ``summary.baseline`` (``null``, or the baseline's
``file``, ``matched`` and ``gone``), ``summary.hidden`` (``null``, or with ``--quiet`` the
warnings and info left out) and, with ``--statistics``, ``statistics``: one
``{"code", "title", "count"}`` per code, most frequent first."""

from __future__ import annotations

import json
from typing import Any

from yoi_ticket import JSON_VERSION
from yoi_ticket.doctor.diagnostics import code_counts, summarize
from yoi_ticket.doctor.report import Report


def render_json(report: Report, *, statistics: bool = False) -> str:
    summary: dict[str, Any] = dict(summarize(report.diagnostics))
    summary["tickets"] = report.tickets_checked
    summary["baseline"] = None if report.baseline is None else report.baseline.to_json()
    summary["hidden"] = None if report.hidden is None else dict(report.hidden)
    document: dict[str, Any] = {
        "version": JSON_VERSION,
        "workspace": report.workspace,
        "diagnostics": [diagnostic.to_json() for diagnostic in report.diagnostics],
        "summary": summary,
    }
    if statistics:
        from yoi_ticket.doctor.render.text import rule_title

        document["statistics"] = [
            {"code": code, "title": rule_title(code), "count": count}
            for code, count in code_counts(report.diagnostics)
        ]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
