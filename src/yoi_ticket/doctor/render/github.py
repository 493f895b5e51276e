"""``--format github``: GitHub Actions workflow commands (annotations)."""

from __future__ import annotations

from collections.abc import Callable

from yoi_ticket.doctor.diagnostics import Diagnostic, Severity
from yoi_ticket.doctor.report import Report

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_diagnostic(diagnostic: Diagnostic, repo_path: str | None = None) -> str:
    """One workflow command; ``repo_path`` is the file as seen from the repository root."""
    path = diagnostic.path if repo_path is None else repo_path
    properties = [f"file={_escape_property(path)}"]
    if diagnostic.line is not None:
        properties.append(f"line={diagnostic.line}")
    properties.append(f"title={_escape_property(diagnostic.code)}")
    message = diagnostic.message
    if diagnostic.hint:
        message += f"\nhint: {diagnostic.hint}"
    return f"::{_COMMAND[diagnostic.severity]} {','.join(properties)}::{_escape_data(message)}"


def render_github(report: Report) -> str:
    parts: list[str] = []
    write_github(report, parts.append)
    return "".join(parts)


def write_github(report: Report, out: Callable[[str], None]) -> None:
    """:func:`render_github`, written a batch of commands at a time."""
    batch: list[str] = []
    for diagnostic in report.diagnostics:
        batch.append(render_diagnostic(diagnostic, report.repo_path(diagnostic.path)) + "\n")
        if len(batch) >= 512:
            out("".join(batch))
            batch = []
    out("".join(batch))
