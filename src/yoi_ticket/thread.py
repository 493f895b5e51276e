"""``thread.md``: an append-only log of events separated by ``---`` lines.

Each event starts with a one-line header comment::

    <!-- event: state_changed author: "yoi ticket" at: 2026-06-13T14:17:34Z from: ready -->

Values are bare words or double-quoted strings with backslash escapes.
Parsing never raises: a header that cannot be read becomes an :class:`Event`
with ``header_error`` set, so doctor can point at its line.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from yoi_ticket.models import Event

SEPARATOR = "---"
_HEADER_RE = re.compile(r"<!--\s(.*?)\s*-->")
_EVENT_HEADER_RE = re.compile(r"<!--\s*event\s*:")
_PAIR_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_.-]*):(?:[ \t]+|(?="))("(?:[^"\\]|\\.)*"|[^\s"]+)')
_ESCAPE_RE = re.compile(r"\\(.)")


def parse_header(header: str) -> tuple[dict[str, str], str | None]:
    """Parse one header line into attributes; the second item says what is wrong, if anything."""
    stripped = header.strip()
    match = _HEADER_RE.fullmatch(stripped)
    if match is None:
        if not stripped.endswith("-->"):
            return {}, "header comment is not closed by ' -->' on the same line"
        return {}, "header is not of the form '<!-- key: value ... -->'"
    inner = match.group(1).strip()
    attrs: dict[str, str] = {}
    pos = 0
    while pos < len(inner):
        pair = _PAIR_RE.match(inner, pos)
        if pair is None:
            return attrs, f"cannot read attribute at {inner[pos : pos + 20]!r}"
        key, raw = pair.group(1), pair.group(2)
        attrs.setdefault(key, _unquote(raw) if raw.startswith('"') else raw)
        pos = pair.end()
        while pos < len(inner) and inner[pos] in " \t":
            pos += 1
    if "event" not in attrs:
        return attrs, "header has no 'event:' attribute"
    return attrs, None


def _unquote(raw: str) -> str:
    try:
        value = json.loads(raw)
    except ValueError:
        return _ESCAPE_RE.sub(lambda m: m.group(1), raw[1:-1])
    return value if isinstance(value, str) else raw[1:-1]


def quote_value(value: str) -> str:
    """Write a header value: bare when it is one plain word, else quoted with escapes."""
    if value and re.fullmatch(r"[^\s\"\\]+", value) and not value.endswith("-->"):
        return value
    return json.dumps(value, ensure_ascii=False)


def format_header(attrs: dict[str, str]) -> str:
    """The header line for ``attrs`` (inverse of :func:`parse_header`)."""
    pairs = " ".join(f"{key}: {quote_value(value)}" for key, value in attrs.items())
    return f"<!-- {pairs} -->"


def parse_thread(text: str) -> list[Event]:
    """Split ``thread.md`` text into events (text before the first header is an event too).

    A line is a header when it starts with ``<!-- event:``, or when it starts
    with ``<!--`` right after a ``---`` separator (or at the top of the file).
    """
    lines = text.split("\n")
    starts: list[int] = []
    at_boundary = True
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("<!--") and (at_boundary or _EVENT_HEADER_RE.match(stripped)):
            starts.append(index)
            at_boundary = False
        elif stripped == SEPARATOR:
            at_boundary = True
        elif stripped:
            if not starts:
                starts.append(index)  # stray text before the first event
            at_boundary = False
    events = []
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(lines)
        header = lines[start]
        if header.strip().startswith("<!--"):
            attrs, error = parse_header(header)
            body_lines = lines[start + 1 : end]
        else:
            attrs, error = {}, "text before the first event header"
            body_lines = lines[start:end]
        events.append(
            Event(
                line=start + 1,
                end_line=end,
                header=header,
                attrs=attrs,
                body=_trim_body(body_lines),
                header_error=error,
            )
        )
    return events


def _trim_body(lines: list[str]) -> str:
    """The body without the trailing separator and surrounding blank lines."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    if end and lines[end - 1].strip() == SEPARATOR:
        end -= 1
    start = 0
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


def parse_time(value: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp such as ``2026-06-07T22:02:25Z``; ``None`` if it is not one."""
    if not value or len(value) < 20 or value[10] not in "Tt":
        return None
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(timezone.utc)


def last_state(events: list[Event]) -> tuple[str, Event] | None:
    """The state the thread ends in: the ``to`` of the last ``state_changed``
    (of ``state``/``workflow_state``), or ``closed`` after a later close event."""
    result: tuple[str, Event] | None = None
    for event in events:
        kind = event.kind
        if kind == "state_changed" and event.attrs.get("field", "state") in (
            "state",
            "workflow_state",
        ):
            target = event.attrs.get("to")
            if target:
                result = (target, event)
        elif kind in ("close", "closed"):
            result = ("closed", event)
    return result
