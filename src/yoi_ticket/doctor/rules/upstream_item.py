"""YT113, YT118-YT121: legacy ``tickets/*.md`` leftovers, and ticket ids and ``item.md``
files that this tool reads but upstream yoi's own tools reject (``../shared/UPSTREAM.md``
section 5), and v1-era frontmatter that only upstream's old line-based reader could read."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.rule import rule
from yoi_ticket.store.ids import IdForm, id_form
from yoi_ticket.store.item import yaml_type
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import ITEM

E, W = Severity.ERROR, Severity.WARNING
_TODO_REF_RE = re.compile(r"(?<![\w./-])tickets/[\w.-]+\.md\b")

SCALAR_FIELDS = (
    "title",
    "state",
    "created_at",
    "updated_at",
    "assignee",
    "readiness",
    "queued_by",
    "queued_at",
    "priority",
    "id",
    "slug",
    "status",
    "workflow_state",
    "kind",
)
"""Fields upstream reads as a string or null."""
LIST_FIELDS = ("labels", "risk_flags")
"""Fields upstream reads as a list of strings."""


@rule(
    "YT113",
    W,
    "store",
    "Legacy tickets/*.md leftovers",
    why="Upstream: yes (for .yoi/TODO.md and *.md files in the store root, errors there). "
    "Before .yoi/tickets, tickets were flat Markdown files referenced from TODO.md; files "
    "and references left behind point readers at stale copies. Upstream yoi's doctor "
    "rejects a <store root>/../TODO.md (.yoi/TODO.md) that still mentions tickets/ and .md, "
    "and *.md files directly in the store root.",
    example=".yoi/TODO.md: '- see tickets/prompt-eval-metrics.md'",
    fix="Remove the leftover file (its content lives in the migrated ticket) and the reference.",
)
def legacy_markdown_tickets(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports ``*.md`` files at the store root (error) or in ``tickets/``; ``TODO.md``
    next to the store root (``.yoi/TODO.md``, error) and in the workspace root, at each
    line naming a ``tickets/*.md`` file (the store one also when it only mentions
    ``tickets/`` and ``.md``)."""
    for path in ctx.index.scan.stray_files:
        if path.endswith(".md"):
            yield Finding(path, None, "leftover flat ticket file", f"git rm {path}", E)
    legacy = ctx.workspace / "tickets"
    if legacy.is_dir() and not legacy.is_symlink():
        for item in sorted(legacy.glob("*.md")):
            rel = f"tickets/{item.name}"
            yield Finding(rel, None, "leftover legacy ticket file", f"git rm {rel}")
    store_todo = os.path.normpath(os.path.join(ctx.store.root_rel, "..", "TODO.md"))
    yield from _todo_references(ctx, Path(store_todo).as_posix(), upstream=True)
    if store_todo != "TODO.md":
        yield from _todo_references(ctx, "TODO.md", upstream=False)


def _todo_references(ctx: DoctorContext, rel: str, *, upstream: bool) -> Iterator[Finding]:
    """References to legacy ticket files in the TODO.md at ``rel``; the one upstream checks
    is an error, also when it only mentions ``tickets/`` and ``.md`` apart."""
    todo = ctx.workspace / rel
    if rel.startswith("../") or not todo.is_file() or todo.is_symlink():
        return
    from yoi_ticket.files import textfile

    text = textfile.read(todo).text
    severity = E if upstream else None
    hint = "point at the ticket id in .yoi/tickets instead, or remove the line"
    matched = False
    for number, line in enumerate(text.split("\n"), start=1):
        for match in _TODO_REF_RE.finditer(line):
            matched = True
            message = f"reference to legacy ticket file {match.group(0)}"
            yield Finding(rel, number, message, hint, severity)
    if upstream and not matched and "tickets/" in text and ".md" in text:
        message = "mentions tickets/ and .md (upstream yoi rejects such a TODO.md)"
        yield Finding(rel, None, message, "remove the references to legacy ticket files", E)


@rule(
    "YT118",
    W,
    "ticket",
    "Ticket id is not canonical in a v2 store",
    why="Upstream: yes. Upstream yoi's later doctor accepts only canonical ids (13 Crockford "
    "base32 characters) as folder names of a flat v2 store and rejects dated ids such as "
    "20260608-101010-001. This tool still reads them and every lookup works, so the finding "
    "is a warning, not an error (a documented softer decision: the store stays usable).",
    example=".yoi/tickets/20260608-101010-001/item.md   (in a flat v2 store)",
    fix="Rename the folder to a canonical id (the creation time in epoch milliseconds, "
    "Crockford base32, e.g. 00001KSKBP9YG) and update the relations that point at it.",
)
def non_canonical_id(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """In a v2 store, reports a ticket folder directly under the store root whose name is
    a dated id (``YYYYMMDD-HHMMSS-NNN`` or ``YYYYMMDD-HHMMSS-<slug>``), not a canonical one."""
    if ctx.layout != "v2" or ticket.layout != "v2":
        return
    form = id_form(ticket.id)
    if form in (IdForm.DATED_SEQUENCE, IdForm.DATED_SLUG):
        yield Finding(
            ticket.path,
            None,
            f"folder name {ticket.id!r} is a {form.value} id, not a canonical one "
            "(upstream yoi rejects it in a v2 store)",
            "rename the folder to a canonical id and update the relations pointing at it",
        )


@rule(
    "YT119",
    E,
    "ticket",
    "item.md frontmatter boundary upstream yoi cannot read",
    why="Upstream: yes. Upstream yoi reads item.md only when its first line is exactly '---' "
    "(no BOM before it, no trailing whitespace) and a later line is exactly '---'. This tool "
    "is tolerant and reads such a ticket, but upstream's tools reject it.",
    example="'--- ' (a trailing space) as the first line, or a UTF-8 BOM before '---'",
    fix="Save item.md as UTF-8 without a BOM and make both boundary lines exactly '---'.",
)
def upstream_unreadable_item(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports an ``item.md`` that starts with a UTF-8 BOM, or whose opening or closing
    ``---`` line carries trailing whitespace."""
    for problem in ticket.problems:
        if problem.kind == "upstream-item":
            yield Finding(
                ticket.file_path(problem.file),
                problem.line,
                f"{problem.message}: upstream yoi will not read this ticket",
                "remove the BOM / the trailing whitespace of the '---' line",
            )


@rule(
    "YT120",
    E,
    "ticket",
    "Frontmatter value of a type upstream yoi rejects",
    why="Upstream: yes. Upstream yoi reads the frontmatter into typed fields: title, state, "
    "the timestamps, assignee, readiness, queued_by, priority and the other scalar fields "
    "must be a string or null, labels and risk_flags a list of strings, and no field (an "
    "unknown one included) may hold a nested mapping or a list item that is not a string; "
    "every key must be a string. Any other value makes upstream reject the ticket. A null "
    "list (`risk_flags: null`) passes: it is how an empty optional field is written, and "
    "it loses nothing.",
    example="priority: 1      assignee: false      readiness: [a]      extra: {a: b}",
    fix="Quote the value (priority: '1'), or write the list as strings.",
)
def frontmatter_types(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports frontmatter keys that are not strings, known scalar fields whose value is a
    number, boolean, list or mapping, ``labels``/``risk_flags`` that are not lists of
    strings, and nested mappings or non-string list items in any field."""
    if ticket.item is None or not ticket.item.frontmatter_ok:
        return
    path = ticket.file_path(ITEM)
    legacy = False
    for problem in ticket.problems:
        if problem.kind == "field-type":
            yield Finding(path, problem.line, problem.message, "quote the key")
        legacy = legacy or problem.kind == "legacy-frontmatter"
    if legacy:  # read line by line: every value is the text of its line (YT121)
        return
    for key, value in ticket.fields.items():
        message = _type_problem(key, value)
        if message is not None:
            yield Finding(path, ticket.field_line(key) or 1, message, "quote the value")


def _type_problem(key: str, value: Any) -> str | None:
    """Why upstream rejects ``value`` as the value of ``key``, or ``None``."""
    if key in SCALAR_FIELDS:
        if value is None or isinstance(value, str):
            return None
        return f"field {key!r} is a YAML {yaml_type(value)}, not a string or null"
    if isinstance(value, dict):
        return f"field {key!r} holds a nested mapping"
    if key in LIST_FIELDS and value is not None and not isinstance(value, list):
        return f"field {key!r} is a YAML {yaml_type(value)}, not a list of strings"
    if isinstance(value, list):
        odd = next((item for item in value if not isinstance(item, str)), "")
        if not isinstance(odd, str):
            return f"field {key!r} has a list item that is a YAML {yaml_type(odd)}, not a string"
    return None


@rule(
    "YT121",
    W,
    "ticket",
    "v1 frontmatter written for upstream's line-based reader",
    why="Before 2026-06-08 upstream yoi read item.md frontmatter line by line (each line "
    "split at its first ':'), so v1 stores of that time hold values such as "
    "'title: Pod/TUI: rewind' that that reader took as written but that are invalid YAML. "
    "This tool reads such a v1 ticket the same way (instead of reporting YT105), so it "
    "lists with its title and state; YAML readers, upstream's later tools included, fail "
    "on it.",
    example="title: Pod/TUI: 手動 rewind 導線   (in a v1 store)",
    fix="Quote the values that contain ': ' (title: 'Pod/TUI: 手動 rewind 導線'), or migrate "
    "the store to v2.",
)
def legacy_line_frontmatter(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports, once per ticket, a v1 ticket whose frontmatter is not valid YAML and was
    read line by line as upstream's pre-YAML reader did."""
    for problem in ticket.problems:
        if problem.kind == "legacy-frontmatter":
            yield Finding(
                ticket.file_path(problem.file),
                problem.line,
                problem.message,
                "quote the values that contain ': ' (or migrate the store to v2)",
            )


RULES = (
    legacy_markdown_tickets,
    non_canonical_id,
    upstream_unreadable_item,
    frontmatter_types,
    legacy_line_frontmatter,
)
