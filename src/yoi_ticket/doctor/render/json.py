"""``--format json``: the stable, versioned shape of SPEC section 8."""

from __future__ import annotations

import json

from yoi_ticket import JSON_VERSION
from yoi_ticket.doctor.diagnostics import summarize
from yoi_ticket.doctor.report import Report


def render_json(report: Report) -> str:
    document = {
        "version": JSON_VERSION,
        "workspace": report.workspace,
        "diagnostics": [diagnostic.to_json() for diagnostic in report.diagnostics],
        "summary": summarize(report.diagnostics),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
