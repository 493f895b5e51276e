"""``thread.md``: event headers, event boundaries, bodies, and bad bytes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS
from yoi_ticket.files.textfile import decode
from yoi_ticket.store.models import KNOWN_EVENT_KINDS
from yoi_ticket.store.thread import (
    format_header,
    last_state,
    parse_header,
    parse_thread,
    parse_time,
    read_header,
)

THREAD = """\
<!-- event: create author: "yoi ticket" at: 2026-06-01T00:00:00Z -->

## Created

First paragraph.

---

A horizontal rule above, and text after it: still the create event.

---

<!-- event: state_changed author: "yoi ticket" at: 2026-06-02T00:00:00Z from: planning to: ready \
reason: cli_state field: state -->

## State changed

planning -> ready

---

<!-- event: frobnicated author: bob at: 2026-06-03T00:00:00Z colour: blue x.y-z: "1" -->

An unknown kind with unknown attributes.

---
"""


# ---------------------------------------------------------------- headers


def test_header_with_escaped_quotes_backslashes_and_spaces() -> None:
    attrs, error = parse_header(
        r'<!-- event: comment author: "Ann \"the reviewer\" O\\Neil" at: 2026-06-13T14:17:34Z '
        r'note: "a b  c" empty: "" -->'
    )
    assert error is None
    assert attrs == {
        "event": "comment",
        "author": 'Ann "the reviewer" O\\Neil',
        "at": "2026-06-13T14:17:34Z",
        "note": "a b  c",
        "empty": "",
    }


def test_header_json_style_escapes() -> None:
    attrs, error = parse_header(r'<!-- event: comment author: "tab\there\nnew \u00e9" -->')
    assert error is None
    assert attrs["author"] == "tab\there\nnew é"


def test_header_unknown_escape_keeps_the_character() -> None:
    attrs, error = parse_header(r'<!-- event: comment author: "it\'s \q" -->')
    assert error is None
    assert attrs["author"] == "it's q"


def test_header_value_may_contain_the_comment_end_inside_quotes() -> None:
    attrs, error = parse_header('<!-- event: comment note: "a --> b" at: x -->')
    assert error is None
    assert attrs == {"event": "comment", "note": "a --> b", "at": "x"}


def test_header_unknown_kind_and_attributes_are_kept() -> None:
    attrs, error = parse_header("<!-- event: frobnicated colour: blue x.y-z: 1 -->")
    assert error is None
    assert attrs == {"event": "frobnicated", "colour": "blue", "x.y-z": "1"}
    assert "frobnicated" not in KNOWN_EVENT_KINDS


def test_header_first_of_a_repeated_key_wins_and_extra_spaces_are_fine() -> None:
    attrs, error = parse_header("<!--   event: a \t at: 1   event: b   -->")
    assert error is None
    assert attrs == {"event": "a", "at": "1"}


def test_header_quoted_value_directly_after_colon() -> None:
    attrs, error = parse_header('<!-- event: comment author:"x y" -->')
    assert error is None
    assert attrs["author"] == "x y"


@pytest.mark.parametrize(
    ("header", "error", "attrs"),
    [
        ("<!-- event: comment author: x", "not closed by ' -->' on the same line", {}),
        ("<!--event: comment -->", "not of the form", {}),
        ("<!-- -->", "no 'event:' attribute", {}),
        ("<!-- author: x at: y -->", "no 'event:' attribute", {"author": "x", "at": "y"}),
        ("<!-- event:comment -->", "cannot read attribute at 'event:comment'", {}),
        ("<!-- loose words event: comment -->", "cannot read attribute", {}),
        (
            '<!-- event: comment author: "x" y -->',
            "cannot read attribute at 'y'",
            {"event": "comment", "author": "x"},
        ),
        (
            '<!-- event: comment author: "unterminated -->',
            "cannot read attribute",
            {"event": "comment"},
        ),
        ("<!-- just a comment -->", "cannot read attribute", {}),
    ],
)
def test_malformed_headers_report_what_is_wrong(
    header: str, error: str, attrs: dict[str, str]
) -> None:
    found_attrs, found_error = parse_header(header)
    assert found_error is not None
    assert error in found_error
    assert found_attrs == attrs


_KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,10}", fullmatch=True)


@given(st.dictionaries(_KEYS, st.text(), min_size=0, max_size=6), st.text())
def test_format_header_round_trips(extra: dict[str, str], kind: str) -> None:
    attrs = {"event": kind, **{k: v for k, v in extra.items() if k != "event"}}
    line = format_header(attrs)
    assert "\n" not in line
    assert parse_header(line) == (attrs, None)


def test_format_header_quotes_only_when_needed() -> None:
    line = format_header(
        {"event": "comment", "author": "yoi ticket", "at": "2026-06-13T14:17:34Z", "q": 'a"b'}
    )
    assert line == (
        '<!-- event: comment author: "yoi ticket" at: 2026-06-13T14:17:34Z q: "a\\"b" -->'
    )
    assert format_header({"event": "x", "v": ""}) == '<!-- event: x v: "" -->'
    assert format_header({"event": "x", "v": "a-->"}) == '<!-- event: x v: "a-->" -->'


# ---------------------------------------------------------------- events


def test_events_lines_bodies_and_a_horizontal_rule_in_a_body() -> None:
    events = parse_thread(THREAD)
    assert [(e.kind, e.line, e.end_line, e.header_error) for e in events] == [
        ("create", 1, 12, None),
        ("state_changed", 13, 20, None),
        # The last event runs to the end of ``text.split("\n")`` (the empty piece after
        # the final newline included), so that joining the events' lines gives the text back.
        ("frobnicated", 21, 26, None),
    ]
    assert events[0].body == (
        "## Created\n\nFirst paragraph.\n\n---\n\n"
        "A horizontal rule above, and text after it: still the create event."
    )
    assert events[0].author == "yoi ticket"
    assert events[0].at == "2026-06-01T00:00:00Z"
    assert events[1].attrs == {
        "event": "state_changed",
        "author": "yoi ticket",
        "at": "2026-06-02T00:00:00Z",
        "from": "planning",
        "to": "ready",
        "reason": "cli_state",
        "field": "state",
    }
    assert events[1].body == "## State changed\n\nplanning -> ready"
    assert events[2].attrs["colour"] == "blue"
    assert events[2].attrs["x.y-z"] == "1"
    assert events[2].body == "An unknown kind with unknown attributes."


def test_html_comment_inside_a_body_is_not_a_header() -> None:
    text = "<!-- event: comment author: a at: 1 -->\n\nText\n<!-- a note -->\nmore\n"
    events = parse_thread(text)
    assert len(events) == 1
    assert events[0].body == "Text\n<!-- a note -->\nmore"


def test_event_header_without_separator_still_starts_an_event() -> None:
    text = "<!-- event: a author: x at: 1 -->\nbody a\n<!-- event: b author: y at: 2 -->\nbody b\n"
    assert [(e.kind, e.line, e.body) for e in parse_thread(text)] == [
        ("a", 1, "body a"),
        ("b", 3, "body b"),
    ]


def test_comment_after_a_separator_is_read_as_a_header() -> None:
    text = "<!-- event: a author: x at: 1 -->\n\n---\n\n<!-- evnt: b author: y -->\n\nbody\n"
    events = parse_thread(text)
    assert [e.line for e in events] == [1, 5]
    assert events[1].header_error == "header has no 'event:' attribute"
    assert events[1].body == "body"


def test_text_before_the_first_header_is_reported() -> None:
    events = parse_thread("stray words\n\n<!-- event: create author: a at: 1 -->\nbody\n")
    assert [(e.line, e.kind, e.header_error) for e in events] == [
        (1, None, "text before the first event header"),
        (3, "create", None),
    ]
    assert events[0].body == "stray words"


@pytest.mark.parametrize("text", ["", "\n", "\n\n   \n", "---\n"])
def test_empty_threads_have_no_events(text: str) -> None:
    assert parse_thread(text) == []


def test_crlf_and_bom_read_like_lf() -> None:
    raw = THREAD.replace("\n", "\r\n").encode("utf-8")
    decoded = decode(b"\xef\xbb\xbf" + raw)
    assert decoded.problem is None
    assert decoded.text == THREAD
    assert parse_thread(decoded.text) == parse_thread(THREAD)


def test_invalid_utf8_is_a_problem_and_still_parses() -> None:
    raw = THREAD.encode("utf-8").replace(b"First paragraph.", b"First \xff\xfe paragraph.")
    decoded = decode(raw)
    offset = raw.index(b"\xff")
    assert decoded.problem == f"invalid UTF-8 at byte {offset} (line 5)"
    events = parse_thread(decoded.text)
    assert [e.kind for e in events] == ["create", "state_changed", "frobnicated"]
    assert "First \ufffd\ufffd paragraph." in events[0].body


def test_nul_bytes_are_a_problem_and_still_parse() -> None:
    raw = THREAD.encode("utf-8").replace(b"planning -> ready", b"planning\x00-> ready")
    decoded = decode(raw)
    assert decoded.problem == "NUL byte in text (line 17)"
    assert "\x00" not in decoded.text
    kinds = [e.kind for e in parse_thread(decoded.text)]
    assert kinds == ["create", "state_changed", "frobnicated"]


@given(st.text())
def test_parse_thread_never_raises(text: str) -> None:
    events = parse_thread(text)
    lines = text.split("\n")
    for event in events:
        assert 1 <= event.line <= event.end_line <= len(lines)


def test_every_corpus_thread_parses_cleanly() -> None:
    threads = sorted(CORPUS.glob("*/.yoi/tickets/**/thread.md"))
    assert len(threads) == 86  # v2-flat 36, v1-nested 10, v2-sample 40
    kinds: set[str] = set()
    count = 0
    for path in threads:
        decoded = decode(path.read_bytes())
        assert decoded.problem is None, path
        events = parse_thread(decoded.text)
        assert events, path
        for event in events:
            assert event.header_error is None, (path, event.line)
            assert {"event", "author", "at"} <= event.attrs.keys(), (path, event.line)
            assert parse_time(event.at) is not None, (path, event.line)
            kinds.add(event.attrs["event"])
        count += len(events)
    assert count == 720  # 303 in v2-flat and v1-nested, 417 in v2-sample
    assert kinds <= set(KNOWN_EVENT_KINDS)


# ---------------------------------------------------------------- times and states


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-07T22:02:25Z", datetime(2026, 6, 7, 22, 2, 25, tzinfo=timezone.utc)),
        ("2026-06-07t22:02:25z", datetime(2026, 6, 7, 22, 2, 25, tzinfo=timezone.utc)),
        ("2026-06-07T22:02:25.5Z", datetime(2026, 6, 7, 22, 2, 25, 500000, tzinfo=timezone.utc)),
        ("2026-06-08T07:02:25+09:00", datetime(2026, 6, 7, 22, 2, 25, tzinfo=timezone.utc)),
        ("2026-06-07T22:02:25", None),  # no offset
        ("2026-06-07 22:02:25Z", None),
        ("2026-06-07", None),
        ("2026-13-07T22:02:25Z", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_time(value: str | None, expected: datetime | None) -> None:
    assert parse_time(value) == expected


def test_last_state_follows_state_changes_and_close() -> None:
    events = parse_thread(THREAD)
    found = last_state(events)
    assert found is not None
    assert found[0] == "ready"
    assert found[1].line == 13
    closed = parse_thread(THREAD + "\n<!-- event: close author: a at: 2026-06-04T00:00:00Z -->\n")
    assert last_state(closed) == ("closed", closed[-1])
    other_field = parse_thread(
        "<!-- event: state_changed author: a at: 1 from: a to: b reason: r field: priority -->\n"
    )
    assert last_state(other_field) is None
    assert last_state([]) is None


# ------------------------------------------------ what yoi's own tools wrote (issue 14)


def test_unquoted_value_with_spaces_is_kept_with_a_warning() -> None:
    """Regression: yoi's writer of early June 2026 wrote ``author: yoi ticket`` unquoted; a
    word without a colon does not end the header, it joins the value before it."""
    header = "<!-- event: create author: yoi ticket at: 2026-06-07T22:02:25Z -->"
    attrs, error, warning = read_header(header)
    assert attrs == {"event": "create", "author": "yoi ticket", "at": "2026-06-07T22:02:25Z"}
    assert error is None
    assert warning == (
        "unquoted value with spaces: author is read as 'yoi ticket' (upstream yoi reads "
        "'yoi'); quote it: author: \"yoi ticket\""
    )
    assert parse_header(header) == (attrs, None)
    (event,) = parse_thread(f"{header}\n\nCreated.\n")
    assert (event.author, event.header_error, event.header_warning) == ("yoi ticket", None, warning)


def test_words_of_a_repeated_key_go_with_it() -> None:
    attrs, error, warning = read_header("<!-- event: a author: x author: y z at: 1 -->")
    assert (attrs, error, warning) == ({"event": "a", "author": "x", "at": "1"}, None, None)


FENCED = """<!-- event: create author: hare at: 2026-06-07T22:02:25Z -->

Created.

---
<!-- event: comment author: hare at: 2026-06-08T10:00:00Z -->

An event looks like this:

```md
<!-- event: review author: reviewer at: 2026-01-01T00:00:00Z status: approve -->

Looks good.

---
<!-- event: close author: hare at: 2026-01-01T00:00:01Z -->
```

~~~~
<!-- event: comment author: x at: 2026-01-01T00:00:02Z -->
~~~ still inside: a shorter fence does not close
~~~~

---
<!-- event: comment author: hare at: 2026-06-08T11:00:00Z -->

Done.
"""


def test_headers_inside_a_fenced_code_block_are_body() -> None:
    events = parse_thread(FENCED)
    assert [(e.line, e.kind) for e in events] == [(1, "create"), (6, "comment"), (25, "comment")]
    assert "<!-- event: close" in events[1].body and events[1].body.endswith("~~~~")


def test_an_unclosed_fence_hides_no_event() -> None:
    text = FENCED.replace("```\n\n~~~~", "\n\n~~~~").replace("```md", "```md\n")
    events = parse_thread(text)
    assert [e.kind for e in events] == ["create", "comment", "review", "close", "comment"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["```", "~~~", "````", "   ", "    ", " ", "\n", "x", "`", "~", "\t"]),
        max_size=30,
    ).map("".join)
)
def test_fence_lines_are_what_the_anchored_pattern_finds(text: str) -> None:
    from yoi_ticket.store import thread

    found = [m.span() for m in thread._fence_lines(text)]
    assert found == [m.span() for m in thread._FENCE_RE.finditer(text)]
