"""Three-way merge of ``item.md``: frontmatter field by field, body line by line.

* A field changed on one side takes that side; changed identically on both
  sides is fine.
* ``updated_at`` changed on both sides takes the later time.
* ``state`` (v1: ``workflow_state``) follows the last state change of the
  merged thread when the sides differ and the merged thread is known; else
  the plain three-way rule applies.
* Anything else changed differently on both sides is a conflict block around
  that field, in git's marker style.
* The body is merged by ``git merge-file``, exactly as git would.

Fields are edited as lines, never re-dumped, so quoting and key order stay
as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yoi_ticket.merge.lines import MergeText, merge_texts
from yoi_ticket.merge.thread import conflict_block, has_conflict_markers
from yoi_ticket.store import yaml_loader
from yoi_ticket.store.models import as_text
from yoi_ticket.store.thread import parse_time

STATE_KEYS = ("state", "workflow_state")
_KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*:")
_SCALAR_RE = re.compile(
    r"^(?P<pre>[A-Za-z_][A-Za-z0-9_.-]*\s*:[ \t]*)"
    r"(?P<q>['\"]?)[^'\"#\s]*(?P=q)"
    r"(?P<post>\s*(?:#.*)?)$"
)
_STATE_VALUE_RE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Field:
    """A top-level frontmatter field as written (key line plus continuation lines)."""

    key: str | None  # None: comments or blank lines before the first field
    lines: tuple[str, ...]
    value: tuple[str, Any]  # ("value", parsed) or ("raw", lines) when it does not parse alone


@dataclass(frozen=True)
class ItemDoc:
    opening: str
    fields: tuple[Field, ...]
    closing: str
    body: str | None  # text after the closing line's newline; None when there is none

    def field_map(self) -> dict[str | None, Field]:
        return {field.key: field for field in self.fields}


def split_item(text: str) -> ItemDoc | None:
    """Cut ``item.md`` into fields and body; ``None`` when the frontmatter cannot be read."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if close is None:
        return None
    try:
        data = yaml_loader.load("\n".join(lines[1:close]))
    except yaml_loader.YamlProblem:
        return None
    if data is not None and not isinstance(data, dict):
        return None
    fields = _split_fields(lines[1:close])
    keys = [field.key for field in fields]
    if len(set(keys)) != len(keys):
        return None
    rest = lines[close + 1 :]
    return ItemDoc(lines[0], tuple(fields), lines[close], "\n".join(rest) if rest else None)


def _split_fields(lines: Sequence[str]) -> list[Field]:
    groups: list[tuple[str | None, list[str]]] = []
    for line in lines:
        match = _KEY_RE.match(line)
        if match or not groups:
            groups.append((match.group(1) if match else None, [line]))
        else:
            groups[-1][1].append(line)
    return [Field(key, tuple(group), _value(key, group)) for key, group in groups]


def _value(key: str | None, lines: list[str]) -> tuple[str, Any]:
    if key is not None:
        try:
            data = yaml_loader.load("\n".join(lines))
        except yaml_loader.YamlProblem:
            data = None
        if isinstance(data, dict) and key in data:
            return ("value", data[key])
    return ("raw", tuple(line.rstrip() for line in lines))


def _same(a: Field | None, b: Field | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.value == b.value


@dataclass(frozen=True)
class _Conflict:
    ours: Field | None
    theirs: Field | None


Decision = tuple[str, ...] | _Conflict | None  # lines, a conflict, or absent


def _decide(
    key: str | None,
    fields: tuple[Field | None, Field | None, Field | None],
    states: dict[str, str] | None,
) -> Decision:
    base, ours, theirs = fields
    if _same(ours, theirs):
        if ours is None or theirs is None:
            return None
        return theirs.lines if base is not None and ours.lines == base.lines else ours.lines
    if key in STATE_KEYS and states and key in states:
        followed = _follow_thread(states[key], fields)
        if followed is not None:
            return followed
    if _same(base, ours):
        return theirs.lines if theirs is not None else None
    if _same(base, theirs):
        return ours.lines if ours is not None else None
    if key == "updated_at" and ours is not None and theirs is not None:
        later = _later(ours, theirs)
        if later is not None:
            return later.lines
    return _Conflict(ours, theirs)


def _follow_thread(
    target: str, fields: tuple[Field | None, Field | None, Field | None]
) -> tuple[str, ...] | None:
    """The state field set to the thread's last ``to``, written the way one side wrote it."""
    base, ours, theirs = fields
    for field in (ours, theirs):
        if field is not None and field.value == ("value", target):
            return field.lines
    template = ours or theirs or base
    if template is None or len(template.lines) != 1 or not _STATE_VALUE_RE.fullmatch(target):
        return None
    line = rewrite_scalar(template.lines[0], target)
    return None if line is None else (line,)


def rewrite_scalar(line: str, value: str) -> str | None:
    """A one-line ``key: value`` field line with ``value`` instead, quoted (or not) and
    commented as before; ``None`` when the line is not such a plain scalar."""
    match = _SCALAR_RE.match(line)
    if match is None:
        return None
    quote = match.group("q")
    return f"{match.group('pre')}{quote}{value}{quote}{match.group('post')}"


def field_time(field: Field) -> datetime | None:
    """A timestamp field's time (``2026-06-07 22:02:25Z`` with a space is read too)."""
    text = as_text(field.value[1]) if field.value[0] == "value" else None
    if text is None:
        return None
    return parse_time(text) or parse_time(text.replace(" ", "T", 1))


def _later(ours: Field, theirs: Field) -> Field | None:
    ours_time, theirs_time = field_time(ours), field_time(theirs)
    if ours_time is None or theirs_time is None:
        return None
    return ours if ours_time >= theirs_time else theirs


def _merge_fields(
    docs: tuple[ItemDoc, ItemDoc, ItemDoc], states: dict[str, str] | None, marker_size: int
) -> tuple[list[str], int]:
    maps = [doc.field_map() for doc in docs]
    ours_keys = [field.key for field in docs[1].fields]
    theirs_keys = [field.key for field in docs[2].fields]
    decisions: dict[str | None, Decision] = {}
    for key in [*ours_keys, *theirs_keys, *(field.key for field in docs[0].fields)]:
        if key not in decisions:
            fields = (maps[0].get(key), maps[1].get(key), maps[2].get(key))
            decisions[key] = _decide(key, fields, states)
    order = [key for key in ours_keys if decisions[key] is not None]
    for position, key in enumerate(theirs_keys):
        if key in order or decisions[key] is None:
            continue
        before = next((k for k in reversed(theirs_keys[:position]) if k in order), None)
        order.insert(order.index(before) + 1 if before in order else 0, key)
    lines: list[str] = []
    conflicts = 0
    for key in order:
        decision = decisions[key]
        if isinstance(decision, _Conflict):
            conflicts += 1
            ours = decision.ours.lines if decision.ours else ()
            theirs = decision.theirs.lines if decision.theirs else ()
            lines.extend(conflict_block(ours, theirs, marker_size))
        elif decision is not None:
            lines.extend(decision)
    return lines, conflicts


def _merge_body(
    base: str | None, ours: str | None, theirs: str | None, marker_size: int
) -> tuple[str | None, int]:
    """The merged body (``None``: no text after the frontmatter) and its conflict count."""
    if ours in (theirs, base):
        return theirs, 0
    if theirs == base:
        return ours, 0
    merged = merge_texts(base or "", ours or "", theirs or "", marker_size)
    return merged.text, merged.conflicts


def merge_item(
    base: str,
    ours: str,
    theirs: str,
    *,
    thread_states: dict[str, str] | None = None,
    marker_size: int = 7,
) -> MergeText | None:
    """Merge three versions of ``item.md``; ``None`` when only a plain line merge can do it.

    ``thread_states`` is :func:`yoi_ticket.merge.thread.final_states` of the merged thread.
    """
    if any(has_conflict_markers(text, marker_size) for text in (base, ours, theirs)):
        return None
    empty = ItemDoc("---", (), "---", None)  # add/add: both sides created the file
    split = (empty if not base else split_item(base), split_item(ours), split_item(theirs))
    if split[0] is None or split[1] is None or split[2] is None:
        return None
    docs = (split[0], split[1], split[2])
    field_lines, conflicts = _merge_fields(docs, thread_states, marker_size)
    if not conflicts and not _loads_as_mapping(field_lines):
        return None
    opening = docs[2].opening if docs[1].opening == docs[0].opening else docs[1].opening
    closing = docs[2].closing if docs[1].closing == docs[0].closing else docs[1].closing
    text = "\n".join([opening, *field_lines, closing])
    body, body_conflicts = _merge_body(docs[0].body, docs[1].body, docs[2].body, marker_size)
    if body is not None:
        text += "\n" + body
    return MergeText(text, conflicts + body_conflicts)


def _loads_as_mapping(lines: list[str]) -> bool:
    try:
        data = yaml_loader.load("\n".join(lines))
    except yaml_loader.YamlProblem:
        return False
    return data is None or isinstance(data, dict)
