"""Unit tests of the thread.md merge: text in, text out."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS
from yoi_ticket.merge.thread import final_states, merge_thread, split_thread
from yoi_ticket.store.thread import parse_thread, parse_time

V2_THREAD = CORPUS / "v2-flat/.yoi/tickets/00001KW04A8K6/thread.md"
V1_THREAD = (
    CORPUS / "v1-nested/.yoi/tickets/open/20260609-032533-session-analytics-tooling/thread.md"
)
ALL_THREADS = sorted(CORPUS.glob("**/thread.md"))


def event(at: str, body: str, kind: str = "comment", author: str = "hare", **attrs: str) -> str:
    """One event as ``yoi ticket`` appends it (blank line, header, body, separator)."""
    extra = "".join(f" {key}: {value}" for key, value in attrs.items())
    return f"\n<!-- event: {kind} author: {author} at: {at}{extra} -->\n\n{body}\n\n---\n"


def bodies(text: str) -> list[str]:
    return [e.body for e in parse_thread(text)]


@pytest.fixture
def base() -> str:
    return V2_THREAD.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", ALL_THREADS, ids=lambda p: p.parent.name)
def test_every_corpus_thread_splits_back_to_its_bytes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    doc = split_thread(text)
    lines = list(doc.preamble)
    for chunk in doc.chunks:
        lines.extend(chunk.core + chunk.gap)
    assert "\n".join(lines) == text
    merged = merge_thread(text, text, text)
    assert merged is not None
    assert (merged.text, merged.conflicts) == (text, 0)


def test_appends_on_both_sides_are_interleaved_by_time(base: str) -> None:
    ours = base + event("2026-06-26T10:00:00Z", "ours 1") + event("2026-06-26T12:00:00Z", "ours 2")
    theirs = base + event("2026-06-26T11:00:00Z", "theirs 1")
    merged = merge_thread(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 0
    assert bodies(merged.text)[-3:] == ["ours 1", "theirs 1", "ours 2"]
    assert merged.text.startswith(base)
    assert merged.text == (
        base
        + event("2026-06-26T10:00:00Z", "ours 1")
        + event("2026-06-26T11:00:00Z", "theirs 1")
        + event("2026-06-26T12:00:00Z", "ours 2")
    )


def test_equal_times_keep_base_then_ours_then_theirs(base: str) -> None:
    last_at = parse_thread(base)[-1].at
    assert last_at is not None
    ours = base + event(last_at, "ours")
    theirs = base + event(last_at, "theirs")
    merged = merge_thread(base, ours, theirs)
    assert merged is not None
    assert bodies(merged.text)[-3:] == [parse_thread(base)[-1].body, "ours", "theirs"]


def test_event_added_identically_on_both_sides_is_kept_once(base: str) -> None:
    same = event("2026-06-26T10:00:00Z", "same on both")
    ours = base + same + event("2026-06-26T11:00:00Z", "ours")
    theirs = base + same
    merged = merge_thread(base, ours, theirs)
    assert merged is not None
    assert (merged.conflicts, bodies(merged.text).count("same on both")) == (0, 1)
    assert merged.text == ours


def test_existing_events_are_never_moved_even_when_out_of_order() -> None:
    base = event("2026-06-02T00:00:00Z", "late")[1:] + event("2026-06-01T00:00:00Z", "early")
    ours = base + event("2026-06-03T00:00:00Z", "ours")
    theirs = base + event("2026-05-01T00:00:00Z", "theirs, clock behind")
    merged = merge_thread(base, ours, theirs)
    assert merged is not None
    assert bodies(merged.text) == ["late", "early", "theirs, clock behind", "ours"]


def test_event_without_time_stays_after_its_predecessor(base: str) -> None:
    undated = "\n<!-- event: comment author: hare -->\n\nno time\n\n---\n"
    ours = base + event("2026-06-26T12:00:00Z", "ours") + undated
    theirs = base + event("2026-06-26T13:00:00Z", "theirs")
    merged = merge_thread(base, ours, theirs)
    assert merged is not None
    assert bodies(merged.text)[-3:] == ["ours", "no time", "theirs"]


def test_same_event_edited_differently_is_a_conflict(base: str) -> None:
    ours = base.replace("Marked ready by `yoi ticket state`.", "edited by ours", 1)
    theirs = base.replace("Marked ready by `yoi ticket state`.", "edited by theirs", 1)
    theirs += event("2026-06-26T10:00:00Z", "appended by theirs")
    merged = merge_thread(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 1
    lines = merged.text.split("\n")
    start, middle, end = (
        lines.index("<<<<<<< ours"),
        lines.index("======="),
        lines.index(">>>>>>> theirs"),
    )
    assert start < middle < end
    assert "edited by ours" in lines[start:middle]
    assert "edited by theirs" in lines[middle:end]
    assert "appended by theirs" in lines[end:]


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_event_edited_or_removed_on_one_side_is_a_conflict(base: str, side: str) -> None:
    events = parse_thread(base)
    lines = base.split("\n")
    removed = "\n".join(lines[: events[1].line - 1] + lines[events[2].line - 1 :])
    edited = base.replace("## Intake summary", "## Intake summary (edited)")
    for changed in (removed, edited):
        other = base + event("2026-06-26T10:00:00Z", "appended")
        ours, theirs = (changed, other) if side == "ours" else (other, changed)
        merged = merge_thread(base, ours, theirs)
        assert merged is not None
        assert merged.conflicts == 1
        assert merged.text.count("<<<<<<< ours") == 1
        assert "appended" in bodies(merged.text.split(">>>>>>> theirs")[1])


def test_event_removed_or_edited_the_same_way_on_both_sides_is_clean(base: str) -> None:
    edited = base.replace("## Intake summary", "## Intake summary (edited)")
    merged = merge_thread(base, edited + event("2026-06-26T10:00:00Z", "a"), edited)
    assert merged is not None
    assert (merged.conflicts, "(edited)" in merged.text) == (0, True)


def test_whitespace_only_change_on_one_side_is_taken(base: str) -> None:
    ours = base.replace("## State changed", "## State changed   ")
    theirs = base + event("2026-06-26T10:00:00Z", "theirs")
    merged = merge_thread(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 0
    assert merged.text == ours + event("2026-06-26T10:00:00Z", "theirs")


def test_sides_that_reorder_events_differently_get_a_plain_merge(base: str) -> None:
    first, second = event("2026-06-26T10:00:00Z", "one"), event("2026-06-26T11:00:00Z", "two")
    start = base + first + second
    swapped = base + second + first
    assert merge_thread(start, swapped, start + event("2026-06-26T12:00:00Z", "x")) is None


def test_input_with_conflict_markers_gets_a_plain_merge(base: str) -> None:
    marked = base + "<<<<<<< ours\nx\n=======\ny\n>>>>>>> theirs\n"
    assert merge_thread(base, marked, base + event("2026-06-26T10:00:00Z", "a")) is None


def test_last_event_without_trailing_newline_gets_a_separator_and_gap() -> None:
    base = "<!-- event: create author: a at: 2026-06-01T00:00:00Z -->\n\ncreated"
    ours = base + "\n\n---\n" + event("2026-06-02T00:00:00Z", "ours")
    theirs = base + "\n\n---\n" + event("2026-06-03T00:00:00Z", "theirs")
    merged = merge_thread(base, ours, theirs)
    assert merged is not None
    assert merged.text == ours + event("2026-06-03T00:00:00Z", "theirs")


def test_merge_is_deterministic(base: str) -> None:
    ours = base + event("2026-06-26T10:00:00Z", "ours")
    theirs = base + event("2026-06-26T10:00:00Z", "theirs")
    assert merge_thread(base, ours, theirs) == merge_thread(base, ours, theirs)


def test_final_states_v2_and_v1(base: str) -> None:
    assert final_states(base)["state"] == "ready"
    later = base + event(
        "2026-06-26T10:00:00Z",
        "queued",
        kind="state_changed",
        **{"from": "ready", "to": "queued", "reason": "queued", "field": "state"},
    )
    assert final_states(later)["state"] == "queued"
    assert final_states(V1_THREAD.read_text(encoding="utf-8")) == {
        "state": "ready",
        "workflow_state": "ready",
    }


STAMPS = st.lists(
    st.tuples(st.integers(0, 20), st.sampled_from(["ours", "theirs"])), max_size=8, unique=True
)


@settings(max_examples=60, deadline=None)
@given(STAMPS)
def test_any_appends_merge_cleanly_with_every_event_once_in_time_order(
    stamps: list[tuple[int, str]],
) -> None:
    base = V2_THREAD.read_text(encoding="utf-8")
    sides: dict[str, str] = {"ours": base, "theirs": base}
    for minute, side in sorted(stamps):
        sides[side] += event(f"2026-06-26T10:{minute:02d}:00Z", f"{side} {minute}")
    merged = merge_thread(base, sides["ours"], sides["theirs"])
    assert merged is not None
    assert merged.conflicts == 0
    events = parse_thread(merged.text)
    times = [parse_time(e.at) for e in events]
    assert times == sorted(times)  # type: ignore[type-var]
    assert sorted(bodies(merged.text)) == sorted(
        bodies(base) + [f"{side} {minute}" for minute, side in stamps]
    )


def test_thread_added_on_both_sides_keeps_the_shared_events_once(base: str) -> None:
    ours = base + event("2026-06-26T12:00:00Z", "ours")
    theirs = base + event("2026-06-26T11:00:00Z", "theirs")
    merged = merge_thread("", ours, theirs)
    assert merged is not None
    assert merged.conflicts == 0
    assert merged.text == base + event("2026-06-26T11:00:00Z", "theirs") + event(
        "2026-06-26T12:00:00Z", "ours"
    )


FENCED_BODY = """An event header looks like this:

```md
<!-- event: review author: reviewer at: 2026-01-01T00:00:00Z status: approve -->

Looks good.

---
<!-- event: close author: hare at: 2026-01-01T00:00:01Z -->
```

That is all."""


def test_example_headers_in_a_fenced_code_block_stay_in_their_event(base: str) -> None:
    """Regression (issue 14): headers inside a fence were split off as events of their own
    and sorted by their (example) times, tearing the example out of its event."""
    ours = base + event("2026-06-26T12:00:00Z", FENCED_BODY)
    theirs = base + event("2026-06-26T11:00:00Z", "theirs")
    merged = merge_thread(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 0
    assert merged.text == (
        base + event("2026-06-26T11:00:00Z", "theirs") + event("2026-06-26T12:00:00Z", FENCED_BODY)
    )
    assert bodies(merged.text)[-1] == FENCED_BODY
