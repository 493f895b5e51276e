"""``--format sarif``: SARIF 2.1.0 with one rule entry per reported code."""

from __future__ import annotations

import json
from typing import Any

from yoi_ticket import __version__
from yoi_ticket.doctor.diagnostics import Severity
from yoi_ticket.doctor.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(report: Report) -> str:
    from yoi_ticket.doctor.registry import get_rule

    codes = sorted({d.code for d in report.diagnostics})
    index = {code: number for number, code in enumerate(codes)}
    rules: list[dict[str, Any]] = []
    for code in codes:
        rule = get_rule(code)
        rules.append(
            {
                "id": code,
                "name": rule.check.__name__,
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.what},
                "help": {"text": rule.explain()},
                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            }
        )
    results = []
    for diagnostic in report.diagnostics:
        location: dict[str, Any] = {
            "artifactLocation": {"uri": diagnostic.path, "uriBaseId": "%SRCROOT%"}
        }
        if diagnostic.line is not None:
            location["region"] = {"startLine": diagnostic.line}
        text = diagnostic.message + (f" (hint: {diagnostic.hint})" if diagnostic.hint else "")
        results.append(
            {
                "ruleId": diagnostic.code,
                "ruleIndex": index[diagnostic.code],
                "level": _LEVEL[diagnostic.severity],
                "message": {"text": text},
                "locations": [{"physicalLocation": location}],
            }
        )
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "yoi-ticket",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
