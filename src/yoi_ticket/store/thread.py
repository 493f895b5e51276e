"""``thread.md``: an append-only log of events separated by ``---`` lines.

Each event starts with a one-line header comment::

    <!-- event: state_changed author: "yoi ticket" at: 2026-06-13T14:17:34Z from: ready -->

Values are bare words or double-quoted strings with backslash escapes.
Parsing never raises: a header that cannot be read becomes an :class:`Event`
with ``header_error`` set, so doctor can point at its line.

Two readings follow what upstream yoi's own tools do with what they wrote:

- An unquoted value with spaces (``author: yoi ticket at: ...``, as yoi's writer of early
  June 2026 wrote it): a word without a colon does not end the header. The event is kept,
  and the words are joined into the value before them (``author`` is ``"yoi ticket"``;
  upstream keeps only ``yoi`` and skips ``ticket``, but the full words are what the writer
  meant). ``header_warning`` says so, and doctor reports it as a warning (YT201).
- Text inside a fenced code block (a line of three or more backticks or tildes, closed by
  a like line) is body: an example header in a fence does not start an event. A fence that
  is never closed is not a fence, so it cannot hide the real events after it.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import sys
from datetime import datetime, timezone
from typing import NamedTuple

SEPARATOR = "---"
# One ``key: value`` pair and the blanks after it; a quoted value is ``"..."`` with
# backslash escapes (written unrolled, which the regex engine runs much faster).
_PAIR_RE = re.compile(
    r'([A-Za-z_][A-Za-z0-9_.-]*):(?:[ \t]+|(?="))("[^"\\]*(?:\\.[^"\\]*)*"|[^\s"]+)[ \t]*'
)
_EVENT_NAME_RE = re.compile(r"[^\S\n]*event[^\S\n]*:")  # after "<!--" on a header line
_FIRST_CONTENT_RE = re.compile(r"^[^\S\n]*(?!---[^\S\n]*$)\S", re.MULTILINE)
_ESCAPE_RE = re.compile(r"\\(.)")


class Event(NamedTuple):
    """One event of a ``thread.md``: its header attributes and Markdown body.

    Events are built only by :func:`parse_thread`, from values that
    already have these types, and a large store has hundreds of thousands of them: they
    are an immutable named tuple, not a validating model (building pydantic models cost a
    sixth of the time doctor spends reading a ticket).
    """

    line: int  # 1-based line of the header comment
    end_line: int  # 1-based last line of the event (inclusive)
    header: str  # the header line as written
    attrs: dict[str, str]
    header_error: str | None  # why the header could not be parsed
    # Where the body lies: text[start:end] of the thread, with the blank and "---" lines
    # around it, which :attr:`body` leaves out (most checks never read the body).
    text: str
    body_span: tuple[int, int]
    # attrs["event"], ["at"] and ["author"], which most checks read: looked up once
    kind: str | None
    at: str | None
    author: str | None
    header_warning: str | None = None  # what was read leniently (an unquoted value with spaces)

    @property
    def body(self) -> str:
        """The Markdown after the header, without blank lines around it and the ``---``."""
        return event_body(self.text, *self.body_span)

    def __repr__(self) -> str:
        return f"Event(line={self.line}, header={self.header!r})"


def parse_header(header: str) -> tuple[dict[str, str], str | None]:
    """Parse one header line into attributes; the second item says what is wrong, if anything."""
    attrs, error, _ = read_header(header)
    return attrs, error


_BARE_WORD_RE = re.compile(r'[^\s":]+(?!\S)[ \t]*')  # a word without a colon or a quote


def read_header(header: str) -> tuple[dict[str, str], str | None, str | None]:
    """Parse one header line: its attributes, what is wrong (the event cannot be read) and
    what was read leniently (words of an unquoted value with spaces, joined to it)."""
    stripped = header.strip()
    inner = _comment_text(stripped)
    if inner is None:
        if not stripped.endswith("-->"):
            return {}, "header comment is not closed by ' -->' on the same line", None
        return {}, "header is not of the form '<!-- key: value ... -->'", None
    plain = _plain_attributes(inner)
    if plain is not None:
        return plain, None if "event" in plain else "header has no 'event:' attribute", None
    attrs: dict[str, str] = {}
    joined: list[str] = []  # keys whose unquoted value had more words
    last: str | None = None  # the key of the last pair, when its value was unquoted
    pos = 0
    # Anchored matches, not finditer: after a pair that does not parse (an unclosed quote)
    # finditer would search the rest of the line from every position, in quadratic time.
    while pos < len(inner):
        pair = _PAIR_RE.match(inner, pos)
        if pair is None:
            word = _BARE_WORD_RE.match(inner, pos) if last is not None else None
            if word is None:  # text that is not a pair, nor a word of the value before
                break
            if last in attrs:  # "" (a repeated key): its words go with its value
                joined.append(last)
                attrs[last] += " " + word.group().rstrip()
            pos = word.end()
            continue
        key, raw = pair.group(1, 2)
        quoted = raw[0] == '"'
        first = key not in attrs  # the first of repeated keys wins
        if first:
            attrs[key] = _unquote(raw) if quoted else raw
        last = None if quoted else (key if first else "")
        pos = pair.end()
    if pos < len(inner):
        return attrs, f"cannot read attribute at {inner[pos : pos + 20]!r}", None
    if "event" not in attrs:
        return attrs, "header has no 'event:' attribute", None
    warning = None
    if joined:
        warning = "; ".join(
            f"unquoted value with spaces: {key} is read as {attrs[key]!r} (upstream yoi "
            f"reads {attrs[key].split(' ', 1)[0]!r}); quote it: {key}: "
            f"{json.dumps(attrs[key], ensure_ascii=False)}"
            for key in dict.fromkeys(joined)
        )
    return attrs, None, warning


_KEY_TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*:")
_KEY_NAMES: dict[tuple[str, ...], tuple[str, ...] | None] = {}  # "key:" tokens -> key names
_KEY_NAMES_MAX = 1024


def _plain_attributes(inner: str) -> dict[str, str] | None:
    """The attributes of a header with no quotes and no whitespace but spaces, read by
    splitting on spaces; ``None`` when the header needs the pair-by-pair reader.

    Without quotes every pair is ``key:``, spaces, a value without spaces, so the tokens
    alternate between ``key:`` and values exactly as the regular expression reads them.
    The usual key sequences (``event: author: at:``) are checked once and remembered.
    """
    if '"' in inner or not inner.isprintable():  # isprintable: no whitespace but " "
        return None
    tokens = inner.split()
    if not tokens or len(tokens) % 2:
        return None
    keys = tuple(tokens[0::2])
    names = _KEY_NAMES.get(keys, ())
    if names == ():
        valid = all(_KEY_TOKEN_RE.fullmatch(key) for key in keys)
        names = tuple(key[:-1] for key in keys) if valid else None
        if len(_KEY_NAMES) < _KEY_NAMES_MAX:
            _KEY_NAMES[keys] = names
    if names is None:
        return None
    attrs = dict(zip(names, tokens[1::2], strict=True))
    return attrs if len(attrs) == len(names) else None  # a repeated key: the first one wins


def _comment_text(line: str) -> str | None:
    """The stripped text of a ``<!--`` + whitespace + text + ``-->`` line, or ``None``.

    This is what ``re.fullmatch(r"<!--\\s(.*?)\\s*-->", line).group(1).strip()`` gives
    (``.`` stops at a newline), without the regex engine trying every end position.
    """
    if len(line) < 8 or not line.startswith("<!--") or not line.endswith("-->"):
        return None
    if not line[4].isspace():
        return None
    text = line[5:-3].rstrip()
    if "\n" in text:
        return None
    return text.lstrip()


def _unquote(raw: str) -> str:
    if "\\" not in raw:
        return raw[1:-1]  # what both ways below give for a value without escapes
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
    starts = _event_starts(text)
    last_line, last_offset = starts[-1] if starts else (0, 0)
    line_count = last_line + text.count("\n", last_offset) + 1
    size = len(text)
    events = []
    for number, (start, offset) in enumerate(starts):
        if number + 1 < len(starts):
            end, next_offset = starts[number + 1]
        else:
            end, next_offset = line_count, size + 1
        newline = text.find("\n", offset, next_offset)
        header_end = newline if newline != -1 else size
        header = text[offset:header_end]
        warning = None
        if header.strip().startswith("<!--"):
            attrs, error, warning = read_header(header)
            span = (header_end + 1, next_offset - 1)  # the lines after the header
        else:
            attrs, error = {}, "text before the first event header"
            span = (offset, next_offset - 1)
        kind, at, author = attrs.get("event"), attrs.get("at"), attrs.get("author")
        events.append(
            Event(start + 1, end, header, attrs, error, text, span, kind, at, author, warning)
        )
    return events


def _event_starts(text: str) -> list[tuple[int, int]]:
    """The 0-based index and the offset of each line where an event starts.

    A comment line (``<!--`` after blanks) starts an event when it names an ``event:``,
    or when the last non-blank line before it is a ``---`` separator or there is none.
    The first non-blank line that is not a separator starts one too (a header by the
    rule above, or stray text before the first event). Only the lines holding ``<!--``
    are looked at, not every line of the thread.
    """
    offsets = set()
    fences = _fences(text)
    fence = 0  # the first fence that does not end before the current position
    last = -1  # the position of the last "<!--" looked at
    position = text.find("<!--")
    while position != -1:
        while fence < len(fences) and fences[fence][1] <= position:
            fence += 1
        if fence < len(fences) and fences[fence][0] <= position:
            position = text.find("<!--", fences[fence][1])  # in a fence: body text
            continue
        # Searched back only to the last "<!--": a line holding many of them is read once.
        newline = text.rfind("\n", max(last, 0), position)
        if newline == -1 and last != -1:  # on the line of the one before: not a start
            last, position = position, text.find("<!--", position + 4)
            continue
        last = position
        line_start = newline + 1
        if (line_start == position or text[line_start:position].isspace()) and (
            _EVENT_NAME_RE.match(text, position + 4) or _after_separator(text, line_start)
        ):
            offsets.add(line_start)
        position = text.find("<!--", position + 4)
    first = _FIRST_CONTENT_RE.search(text)
    if first is not None:
        offsets.add(first.start())
    starts = []
    line = position = 0
    for offset in sorted(offsets):
        line += text.count("\n", position, offset)
        position = offset
        starts.append((line, offset))
    return starts


# A fence line: up to three spaces, then three or more backticks or tildes, then the rest.
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})([^\n]*)$", re.MULTILINE)


def _fences(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` offsets of each closed fenced code block, in order.

    As in CommonMark, a block opens with a line of three or more backticks (no backtick
    in its info string) or tildes, and closes with a line of at least as many of the same
    character and nothing else but blanks. A block that is never closed is left out and
    the fence lines after its opener are read again (in Markdown it runs to the end of
    the file, here it would hide every later event).

    Linear in the number of fence lines: an opener's closer is found by jumping along the
    later closing lines of its character to ever longer ones (see :class:`_Closers`), and
    an opener no line closes makes every later opener of that character and at least
    that size fail at once (their closers would have to be among the same lines).
    """
    lines = _fence_lines(text)
    closers = {mark: _Closers(lines, mark) for mark in "`~"}
    never_closed = {"`": sys.maxsize, "~": sys.maxsize}  # the smallest size that failed
    fences = []
    index = 0
    while index < len(lines):
        mark, rest = lines[index].group(1, 2)
        char, size = mark[0], len(mark)
        index += 1
        if (char == "`" and "`" in rest) or size >= never_closed[char]:
            continue  # not an opener, or one that cannot be closed
        closer = closers[char].first_after(index - 1, size)
        if closer is None:
            never_closed[char] = size
            continue
        fences.append((lines[index - 1].start(), lines[closer].end()))
        index = closer + 1
    return fences


def _fence_lines(text: str) -> list[re.Match[str]]:
    """What ``_FENCE_RE.finditer(text)`` finds, in order, from the lines that hold three
    backticks or tildes after at most three spaces: a regular expression anchored at every
    line start would try every offset of the text."""
    starts = set()
    # "~" is rare: a one-character test is ten times cheaper than a substring search.
    for mark in ("```", "~~~") if "~" in text else ("```",):
        at = text.find(mark)
        while at != -1:
            line_start = text.rfind("\n", 0, at) + 1
            if at - line_start <= 3 and text.count(" ", line_start, at) == at - line_start:
                starts.add(line_start)
            newline = text.find("\n", at)
            at = -1 if newline == -1 else text.find(mark, newline + 1)
    found = (_FENCE_RE.match(text, start) for start in sorted(starts))
    return [match for match in found if match is not None]


class _Closers:
    """The lines that can close a fence of one character: only that character, then blanks.

    :meth:`first_after` finds the first of them after a line and at least as long: from
    the first one after the line it jumps to the next longer one until one is long
    enough. Within a closed fence the jumps pass only lines inside it, which are not read
    again; for an opener that is never closed they pass closers of ever greater sizes,
    all smaller than the opener, so no more jumps than the opener has characters.
    """

    def __init__(self, lines: list[re.Match[str]], char: str) -> None:
        self.index: list[int] = []  # the index in ``lines`` of each closing line
        self.size: list[int] = []
        for number, line in enumerate(lines):
            mark, rest = line.group(1, 2)
            if mark[0] == char and not rest.strip():
                self.index.append(number)
                self.size.append(len(mark))
        # longer[k]: the next closing line longer than closing line k (a monotonic stack)
        self.longer = [len(self.size)] * len(self.size)
        pending: list[int] = []
        for k, size in enumerate(self.size):
            while pending and self.size[pending[-1]] < size:
                self.longer[pending.pop()] = k
            pending.append(k)

    def first_after(self, line: int, size: int) -> int | None:
        """The index in ``lines`` of the first closing line after ``line`` of at least
        ``size`` characters, or ``None``."""
        k = bisect.bisect_right(self.index, line)
        while k < len(self.size) and self.size[k] < size:
            k = self.longer[k]
        return self.index[k] if k < len(self.size) else None


def _after_separator(text: str, line_start: int) -> bool:
    """Whether the last non-blank line before ``line_start`` is ``---`` (or there is none)."""
    end = line_start - 1  # the newline that ends the line before
    while end >= 0:
        start = text.rfind("\n", 0, end) + 1
        stripped = text[start:end].strip()
        if stripped:
            return stripped == SEPARATOR
        end = start - 1
    return True


def event_body(text: str, start: int, end: int) -> str:
    """``text[start:end]`` without the trailing separator and surrounding blank lines.

    Whole lines are dropped: blank ones (only whitespace) at both ends, and one ``---``
    line at the end; the lines kept are kept as they are. Positions are moved instead
    of slicing, so a long body is copied once.
    """
    end = _content_end(text, start, end)
    if end <= start:
        return ""
    newline = text.rfind("\n", start, end)
    if text[newline + 1 if newline != -1 else start : end].strip() == SEPARATOR:
        end = _content_end(text, start, newline) if newline != -1 else start
    first = start
    while first < end and text[first].isspace():
        first += 1
    if first >= end:
        return ""
    newline = text.rfind("\n", start, first)
    return text[newline + 1 if newline != -1 else start : end]


def _content_end(text: str, start: int, end: int) -> int:
    """The end of the last non-blank line of ``text[start:end]`` (``start`` if none)."""
    last = end
    while last > start and text[last - 1].isspace():
        last -= 1
    if last == start:
        return start
    newline = text.find("\n", last, end)
    return end if newline == -1 else newline


@functools.lru_cache(maxsize=4096)
def parse_time(value: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp such as ``2026-06-07T22:02:25Z``; ``None`` if it is not one.

    Results are cached: several doctor rules read the times of the same events.
    """
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
