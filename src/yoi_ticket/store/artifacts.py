"""The two structured artifacts: ``relations.json`` and ``orchestration-plan.jsonl``.

Parsers return what they could read plus a list of ``(line, message)``
problems; they never raise on bad content.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from yoi_ticket.store.models import PlanRecord, Relation

RELATIONS_FILE = "relations.json"
PLAN_FILE = "orchestration-plan.jsonl"
MAX_JSON_DEPTH = 64

Problems = list[tuple[int | None, str]]


def parse_relations(text: str) -> tuple[list[Relation], Problems]:
    """Parse ``relations.json``: ``{"version": 1, "relations": [...]}``."""
    try:
        data = _loads(text)
    except ValueError as exc:
        return [], [(getattr(exc, "lineno", None), f"invalid JSON: {_first_line(exc)}")]
    if not isinstance(data, dict):
        return [], [(1, "relations.json must be a JSON object")]
    problems: Problems = []
    if data.get("version") != 1:
        problems.append((1, f"unsupported relations version {data.get('version')!r} (want 1)"))
    entries = data.get("relations")
    if not isinstance(entries, list):
        problems.append((1, "'relations' must be a list"))
        return [], problems
    relations = []
    lines = _target_key_lines(text, entries) or _relation_lines(text)
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        if not isinstance(entry, dict):
            problems.append((line, f"relation #{index + 1} is not an object"))
            continue
        try:
            relations.append(Relation.model_validate({**entry, "line": line}))
        except ValidationError as exc:
            problems.append((line, f"relation #{index + 1}: {_pydantic_message(exc)}"))
    return relations, problems


def parse_plan(text: str) -> tuple[list[PlanRecord], Problems]:
    """Parse ``orchestration-plan.jsonl``: one JSON object per non-blank line."""
    records = []
    problems: Problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            data = _loads(line)
        except ValueError as exc:
            problems.append((number, f"invalid JSON: {_first_line(exc)}"))
            continue
        if not isinstance(data, dict):
            problems.append((number, "plan record is not a JSON object"))
            continue
        try:
            records.append(PlanRecord.model_validate({**data, "line": number}))
        except ValidationError as exc:
            problems.append((number, f"plan record: {_pydantic_message(exc)}"))
    return records, problems


# A "target" key: in valid JSON a quote inside a string is escaped, so a quote that is
# not preceded by a backslash and is followed by a colon starts a key.
_TARGET_KEY = re.compile(r'(?<!\\)"target"[ \t\n\r]*:[ \t\n\r]*')


def _target_key_lines(text: str, entries: list[Any]) -> list[int] | None:
    """The lines of the ``"target"`` keys when every entry has one and the keys found in the
    text are exactly those (one each, in order, with the same values); ``None`` otherwise,
    and :func:`_relation_lines` walks the JSON instead. Walking costs ten times as much."""
    if not all(isinstance(entry, dict) and "target" in entry for entry in entries):
        return None
    keys = list(_TARGET_KEY.finditer(text))
    if len(keys) != len(entries):
        return None
    decoder = json.JSONDecoder()
    lines: list[int] = []
    line, counted = 1, 0
    for key, entry in zip(keys, entries, strict=True):
        try:
            value = decoder.raw_decode(text, key.end())[0]
        except ValueError:
            return None
        if value != entry["target"] or type(value) is not type(entry["target"]):
            return None
        line += text.count("\n", counted, key.start())
        counted = key.start()
        lines.append(line)
    return lines


def _relation_lines(text: str) -> list[int]:
    """For each entry of the ``relations`` list: the 1-based line of its ``"target"`` key,
    or of the entry itself when it has none. ``text`` is already known to be valid JSON."""
    decoder = json.JSONDecoder()
    lines: list[int] = []
    try:
        top, _ = _object_keys(decoder, text, _skip_ws(text, 0))
        if "relations" not in top or text[top["relations"][1]] != "[":
            return []
        pos = _skip_ws(text, top["relations"][1] + 1)
        line, counted = 1, 0  # newlines are counted once: the offsets only grow
        while text[pos] != "]":
            keys, end = _object_keys(decoder, text, pos)
            where = keys["target"][0] if "target" in keys else pos
            line += text.count("\n", counted, where)
            counted = where
            lines.append(line)
            pos = _skip_ws(text, end)
            if text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
    except (ValueError, IndexError):
        pass
    return lines


def _object_keys(
    decoder: json.JSONDecoder, text: str, pos: int
) -> tuple[dict[str, tuple[int, int]], int]:
    """For the JSON value at ``pos``: the offsets of each key of an object and of its value
    (the last duplicate wins, as in ``json.loads``), and the offset just past the value."""
    keys: dict[str, tuple[int, int]] = {}
    if text[pos] != "{":
        return keys, decoder.raw_decode(text, pos)[1]
    pos = _skip_ws(text, pos + 1)
    while text[pos] != "}":
        key_pos = pos
        key, pos = decoder.raw_decode(text, pos)
        pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past the ':'
        keys[key] = (key_pos, pos)
        pos = _skip_ws(text, decoder.raw_decode(text, pos)[1])
        if text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
    return keys, pos + 1


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


def _loads(text: str) -> Any:
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    # Every level of nesting opens with "[" or "{": text with few of them needs no walk.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _depth(data) > MAX_JSON_DEPTH:
        raise ValueError("JSON nested too deeply")
    return data


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _pydantic_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])
