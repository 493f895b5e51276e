"""``--format sarif``: SARIF 2.1.0 with one rule entry per reported code."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from yoi_ticket import __version__
from yoi_ticket.doctor.diagnostics import Severity
from yoi_ticket.doctor.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# RFC 3986 path characters left as they are (':' is encoded: in the first segment of a
# relative reference it would read as a URI scheme).
_URI_SAFE = "/-._~!$&'()*+,;=@"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(report: Report) -> str:
    severities = {d.code: d.severity for d in report.diagnostics}
    codes = sorted(severities)
    index = {code: number for number, code in enumerate(codes)}
    rules = [_rule_entry(code, severities[code]) for code in codes]
    results = []
    for diagnostic in report.diagnostics:
        location: dict[str, Any] = {
            "artifactLocation": _artifact_location(report.repo_path(diagnostic.path))
        }
        if diagnostic.line is not None and diagnostic.line >= 1:
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


def _rule_entry(code: str, severity: Severity) -> dict[str, Any]:
    from yoi_ticket.doctor.registry import get_rule
    from yoi_ticket.errors import UsageError

    try:
        rule = get_rule(code)
    except UsageError:  # a code no rule is registered under: describe it by its code
        return {
            "id": code,
            "shortDescription": {"text": code},
            "fullDescription": {"text": code},
            "help": {"text": code},
            "defaultConfiguration": {"level": _LEVEL[severity]},
        }
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.what or rule.title},
        "help": {"text": rule.explain()},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
    }


def _artifact_location(path: str) -> dict[str, str]:
    """A valid URI reference: workspace-relative paths against ``%SRCROOT%``, others as
    ``file:`` URIs; characters such as spaces, ``%`` and ``#`` are percent-encoded."""
    # surrogateescape: a file name that is not UTF-8 gets its own bytes percent-encoded.
    uri = quote(path, safe=_URI_SAFE, errors="surrogateescape")
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + uri}
    return {"uri": uri, "uriBaseId": "%SRCROOT%"}
