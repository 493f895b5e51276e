"""``--format sarif``: SARIF 2.1.0 with one rule entry per reported code, within GitHub
code scanning's limits.

Code scanning rejects a run of more than 25,000 results, so a run holds at most
:data:`MAX_RESULTS`: errors first, then warnings, then notes (each in report order), and
what is left out is said on stderr (:func:`left_out`) and in the run's
``toolExecutionNotifications``. Each result carries the baseline fingerprint of its
finding in ``partialFingerprints`` (key :data:`SARIF_FINGERPRINT`), which does not
change when lines move.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from yoi_ticket import __version__
from yoi_ticket.doctor.baseline import SARIF_FINGERPRINT, Fingerprinted
from yoi_ticket.doctor.diagnostics import Severity
from yoi_ticket.doctor.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# RFC 3986 path characters left as they are (':' is encoded: in the first segment of a
# relative reference it would read as a URI scheme).
_URI_SAFE = "/-._~!$&'()*+,;=@"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
MAX_RESULTS = 25_000
"""GitHub code scanning's limit of results per run (a larger run is rejected)."""


def left_out(report: Report, limit: int = MAX_RESULTS) -> int:
    """How many findings the SARIF run leaves out to stay within ``limit``."""
    return max(0, len(report.diagnostics) - limit)


def kept_results(report: Report, limit: int = MAX_RESULTS) -> list[Fingerprinted]:
    """At most ``limit`` findings: errors first, then warnings, then info, in one pass
    (each severity keeps no more than ``limit``)."""
    buckets: dict[Severity, list[Fingerprinted]] = {severity: [] for severity in Severity}
    for finding in report.fingerprinted():
        bucket = buckets[finding[0].severity]
        if len(bucket) < limit:
            bucket.append(finding)
    ordered = [finding for severity in Severity for finding in buckets[severity]]
    return ordered[:limit]


def render_sarif(report: Report, *, limit: int = MAX_RESULTS) -> str:
    findings = kept_results(report, limit)
    severities = {d.code: d.severity for d, _ in findings}
    codes = sorted(severities)
    index = {code: number for number, code in enumerate(codes)}
    rules = [_rule_entry(code, severities[code]) for code in codes]
    results = []
    for diagnostic, fingerprint in findings:
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
                "partialFingerprints": {SARIF_FINGERPRINT: fingerprint},
            }
        )
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "yoi-ticket", "version": __version__, "rules": rules}},
        "results": results,
    }
    omitted = len(report.diagnostics) - len(findings)
    if omitted:
        run["invocations"] = [_truncated(omitted, limit)]
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def truncation_warning(omitted: int, total: int, limit: int = MAX_RESULTS) -> str:
    return (
        f"SARIF: {omitted:,} of {total:,} results left out (GitHub code scanning takes at most "
        f"{limit:,} per run; errors are kept first, then warnings, then notes)"
    )


def _truncated(omitted: int, limit: int) -> dict[str, Any]:
    text = f"{omitted:,} results left out: at most {limit:,} per run (errors, warnings, then notes)"
    return {
        "executionSuccessful": True,
        "toolExecutionNotifications": [{"level": "warning", "message": {"text": text}}],
    }


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
