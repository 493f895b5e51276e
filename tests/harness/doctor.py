"""Helpers for the rule tests: workspaces made of copied corpus tickets, doctor runs, and
the expected SARIF document spelled out entry by entry.

Every rule test copies one or a few real tickets, breaks the copy minimally and
compares the complete set of diagnostics with the expected one, so a test also
fails when an unrelated rule starts to fire on the broken copy.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from harness.corpus import CORPUS, V2, copy_tree
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic

STORE = ".yoi/tickets"
Found = tuple[str, str, str, int | None]  # code, severity, path, line


def ticket_workspace(tmp_path: Path, *ticket_ids: str, layout: str = V2, name: str = "ws") -> Path:
    """A workspace (not a git repository) holding copies of the named corpus tickets.

    v1 tickets keep their ``open``/``pending``/``closed`` bucket.
    """
    workspace = tmp_path / name
    (workspace / STORE).mkdir(parents=True)
    source = CORPUS / layout / ".yoi" / "tickets"
    for ticket_id in ticket_ids:
        matches = [*source.glob(ticket_id), *source.glob(f"*/{ticket_id}")]
        assert len(matches) == 1, f"{ticket_id} is not one ticket of corpus/{layout}"
        copy_tree(matches[0], workspace / STORE / matches[0].relative_to(source))
    return workspace


def ticket_dir(workspace: Path, ticket_id: str) -> Path:
    matches = [*(workspace / STORE).glob(ticket_id), *(workspace / STORE).glob(f"*/{ticket_id}")]
    assert len(matches) == 1
    return matches[0]


def append_event(workspace: Path, ticket: str, header: str, body: str = "A note.") -> bool:
    """Append an event to the ticket's thread and set updated_at to its time, as tools do.

    Returns whether item.md changed (False when it had no updated_at line to set)."""
    with open(workspace / STORE / ticket / "thread.md", "a", encoding="utf-8") as handle:
        handle.write(f"\n{header}\n\n{body}\n\n---\n")
    at = re.search(r"at: (\S+)", header)
    if at is None:
        raise ValueError(f"event header without at: {header}")
    item = workspace / STORE / ticket / "item.md"
    text = item.read_text(encoding="utf-8")
    bumped = re.sub(r"^updated_at: .*$", f'updated_at: "{at.group(1)}"', text, flags=re.M)
    item.write_text(bumped, encoding="utf-8")
    return bumped != text


def edit(path: Path, old: str, new: str) -> None:
    """Replace the single occurrence of ``old`` in ``path`` (fails if it is not there once)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    """The 1-based number of the only line of ``path`` that starts with ``needle``."""
    lines = [
        number
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1)
        if line.startswith(needle)
    ]
    assert len(lines) == 1, f"{needle!r} is on lines {lines} of {path}"
    return lines[0]


def diagnose(workspace: Path, *select: str) -> list[Diagnostic]:
    """Doctor as CI runs it (``--no-local``), restricted to ``select`` (default YT1 and YT2)."""
    options = DoctorOptions(select=select or ("YT1", "YT2"), no_local=True)
    return run_doctor(workspace, options).diagnostics


def found(workspace: Path, *select: str) -> set[Found]:
    return {(d.code, d.severity.value, d.path, d.line) for d in diagnose(workspace, *select)}


def messages(workspace: Path, code: str) -> list[str]:
    return [d.message for d in diagnose(workspace) if d.code == code]


def sarif_document(rules: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    """The SARIF 2.1.0 document ``--format sarif`` is expected to print."""
    from yoi_ticket import __version__

    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "yoi-ticket", "version": __version__, "rules": rules}},
                "results": results,
            }
        ],
    }


def sarif_rule(
    code: str, name: str, title: str, what: str, level: str, help_text: str
) -> dict[str, Any]:
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": what},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": level},
    }


def sarif_result(
    code: str, index: int, level: str, text: str, uri: str, line: int | None, fingerprint: str
) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}
    if line is not None:
        location["region"] = {"startLine": line}
    return {
        "ruleId": code,
        "ruleIndex": index,
        "level": level,
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"yoiTicketFinding/v1": fingerprint},
    }


def fingerprint(code: str, path: str, message: str, occurrence: int = 1) -> str:
    """The baseline fingerprint of a finding, spelled out as docs/integrations.md gives it:
    the first 16 hex digits of the SHA-256 of code, path and message (NUL-separated, line
    numbers after 'line'/'lines' as '#'), then ':' and the occurrence in its file."""
    text = re.sub(r"\b(lines?) \d+(?:-\d+)?\b", r"\1 #", message)
    digest = hashlib.sha256("\0".join((code, path, text)).encode("utf-8", "surrogatepass"))
    return f"{digest.hexdigest()[:16]}:{occurrence}"
