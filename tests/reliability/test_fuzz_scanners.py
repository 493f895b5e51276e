"""The linear scanners find exactly what the plain (quadratic) readings they replaced find.

Thread event starts and fenced code blocks, duplicated events (YT214) and machine-local
paths are found in linear time now (see tests/doctor/test_linear_time.py). Each plain
reading is kept here, as it was written before, as the statement of what is found:
hypothesis compares the two on texts made of the characters that matter to them.

bench/stress.py runs these properties with many more examples, as those of test_fuzz.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yoi_ticket.doctor.machine_paths import (
    _FILE_URL,
    _REGEXES,
    _TOKEN_END,
    _TOKEN_START,
    MAX_SHOWN,
    MachinePaths,
    PathHit,
)
from yoi_ticket.doctor.rules.threads import duplicated_event
from yoi_ticket.store import thread
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.thread import Event, parse_thread

pytestmark = pytest.mark.slow  # a stress run: not part of the oldest-versions pass

EXAMPLES_ENV = "YOI_FUZZ_EXAMPLES"  # bench/stress.py asks for more
FUZZ = settings(
    max_examples=int(os.environ.get(EXAMPLES_ENV, "150")),
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- the plain readings --------------------------------------------------------------------


def plain_fences(text: str) -> list[tuple[int, int]]:
    """Each opener read until its closer or the end, and read again after it if unclosed."""
    lines = list(thread._FENCE_RE.finditer(text))
    fences = []
    opener: int | None = None
    index = 0
    while index < len(lines):
        mark, rest = lines[index].group(1, 2)
        if opener is None:
            if mark[0] != "`" or "`" not in rest:
                opener = index
        else:
            start = lines[opener]
            size = len(start.group(1))
            if mark[0] == start.group(1)[0] and len(mark) >= size and not rest.strip():
                fences.append((start.start(), lines[index].end()))
                opener = None
        index += 1
        if index == len(lines) and opener is not None:
            index, opener = opener + 1, None
    return fences


def plain_event_starts(text: str) -> list[tuple[int, int]]:
    """Every ``<!--`` looked at with its whole line, searched back from it."""
    offsets = set()
    fences = plain_fences(text)
    fence = 0
    position = text.find("<!--")
    while position != -1:
        line_start = text.rfind("\n", 0, position) + 1
        while fence < len(fences) and fences[fence][1] <= position:
            fence += 1
        if fence < len(fences) and fences[fence][0] <= position:
            position = text.find("<!--", fences[fence][1])
            continue
        if (line_start == position or text[line_start:position].isspace()) and (
            thread._EVENT_NAME_RE.match(text, position + 4)
            or thread._after_separator(text, line_start)
        ):
            offsets.add(line_start)
        position = text.find("<!--", position + 4)
    first = thread._FIRST_CONTENT_RE.search(text)
    if first is not None:
        offsets.add(first.start())
    return [(text.count("\n", 0, offset), offset) for offset in sorted(offsets)]


def plain_duplicates(events: list[Event]) -> list[tuple[int, int]]:
    """(line, line of the first copy) for each event equal to an earlier one."""
    found = []
    parsed = [event for event in events if event.header_error is None]
    for index, event in enumerate(parsed):
        for earlier in parsed[:index]:
            if earlier.attrs == event.attrs and earlier.body.strip() == event.body.strip():
                found.append((event.line, earlier.line))
                break
    return found


def plain_find(detector: MachinePaths, text: str, certain_only: bool) -> list[PathHit]:
    """Every regular expression run with ``finditer``; tokens read back and forth per hit."""

    def token_start(start: int) -> int:
        while start > 0 and not _TOKEN_START.match(text[start - 1]):
            start -= 1
        return start

    def inside_url(start: int) -> bool:
        return "://" in text[token_start(start) : start]

    def token(start: int) -> str:
        match = _TOKEN_END.search(text, start)
        found = text[start : match.start() if match else len(text)].rstrip(".:,")
        return found if len(found) <= MAX_SHOWN else found[: MAX_SHOWN - 3] + "..."

    if not detector.may_contain(text):
        return []
    if "://" in text:
        text = _FILE_URL.sub("file:  ", text)
    hits: dict[int, PathHit] = {}
    for folder, kind in detector.local_dirs:
        for match in re.finditer(re.escape(folder), text):
            start, end = match.start(), match.end()
            before = text[start - 1] if start else ""
            after = text[end] if end < len(text) else ""
            if (
                (not before or not (before.isalnum() or before in "._-~/\\>)]}"))
                and (not after or after in "/\\" or not (after.isalnum() or after in "._-"))
                and not inside_url(start)
            ):
                hits[start] = PathHit(token(start), kind, True, start)
    for kind, regex, certain, _gate in _REGEXES:  # (the gates only skip work)
        if certain_only and not certain:
            continue
        for match in regex.finditer(text):
            start = match.start()
            if start not in hits and not inside_url(start):
                hits[start] = PathHit(token(start), kind, certain, start)
    kept, end = [], -1
    for start in sorted(hits):
        if start >= end:
            kept.append(hits[start])
            end = start + len(hits[start].path)
    return kept


# --- the properties ------------------------------------------------------------------------

FENCE_LINES = st.lists(
    st.sampled_from(["```", "````", "~~~", "~~~~~", "```py", "``` `x`", "  ```", "text", ""]),
    max_size=30,
)
THREAD_PIECES = st.sampled_from(
    [
        "<!-- event: comment author: a at: 2026-06-01T00:00:00Z -->",
        "<!-- event: comment author: a -->",
        "<!-- note -->",
        "<!--",
        " <!-- event: x -->",
        "x <!-- event: y -->",
        "---",
        "```",
        "~~~",
        "body",
        "same body",
        "",
        "  ",
    ]
)
PATH_PIECES = st.sampled_from(
    [
        *("/", "/root", "/home/", "al", "=", "!", "(", ".sock", "://", "file://", "C:\\", "~/"),
        *("/tmp/", "/run/user/1", "/data/yoi", "\\", ".", ":", ",", "x", "https://h", "-"),
        *("users\\al", "C:\\users\\al", "s.sock", '"', " ", "\n"),
    ]
)


@FUZZ
@given(FENCE_LINES)
def test_fences_are_those_of_the_plain_reading(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert thread._fences(text) == plain_fences(text)


@FUZZ
@given(st.lists(THREAD_PIECES, max_size=40), st.sampled_from(["\n", " ", "\n\n"]))
def test_event_starts_are_those_of_the_plain_reading(pieces: list[str], joint: str) -> None:
    text = joint.join(pieces)
    assert thread._event_starts(text) == plain_event_starts(text)


@FUZZ
@given(st.lists(THREAD_PIECES, max_size=40))
def test_duplicated_events_are_those_of_the_pairwise_comparison(pieces: list[str]) -> None:
    events = parse_thread("\n\n".join(pieces))
    ticket = Ticket(id="00001KSKBPDVG", path=".yoi/tickets/00001KSKBPDVG", layout="v2")
    ticket.events = events
    checked = duplicated_event.check(None, ticket)  # type: ignore[arg-type]  (no context used)
    found = [(finding.line, finding.message) for finding in checked]
    expected = [
        (line, f"{kind} event duplicates the event at line {first}")
        for (line, first), kind in (
            (pair, next(e.kind for e in events if e.line == pair[0]))
            for pair in plain_duplicates(events)
        )
    ]
    assert found == expected


DETECTOR = MachinePaths([("/data/yoi", "the yoi data dir"), ("/data/yoi/run", "the runtime")])


@FUZZ
@given(st.lists(PATH_PIECES, max_size=40), st.booleans())
def test_machine_paths_are_those_of_the_regular_expressions(
    pieces: list[str], certain_only: bool
) -> None:
    text = "".join(pieces)
    found = DETECTOR.find(text, certain_only=certain_only)
    assert found == plain_find(DETECTOR, text, certain_only)


def test_the_plain_readings_agree_on_a_real_thread() -> None:
    """The references read a real thread as the parser does (they are not vacuous)."""
    corpus = Path(__file__).parents[1] / "data" / "corpus" / "v2-flat" / ".yoi" / "tickets"
    texts = [path.read_text(encoding="utf-8") for path in sorted(corpus.glob("*/thread.md"))]
    assert sum(len(plain_event_starts(text)) for text in texts) > 50
    for text in texts:
        assert thread._event_starts(text) == plain_event_starts(text)
    hits = plain_find(DETECTOR, "at =/run/x.sock and /home/al/y (see https://h/home/b)", False)
    assert [(hit.path, hit.kind) for hit in hits] == [
        ("/run/x.sock", "a socket file"),
        ("/home/al/y", "a home directory"),
    ]
