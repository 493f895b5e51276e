"""Unit tests of the item.md merge: frontmatter field by field, body line by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CORPUS
from yoi_ticket.merge.item import merge_item, split_item

V2_ITEM = CORPUS / "v2-flat/.yoi/tickets/00001KVZKSV6C/item.md"
V1_ITEM = CORPUS / "v1-nested/.yoi/tickets/open/20260609-032533-session-analytics-tooling/item.md"
ALL_ITEMS = sorted(CORPUS.glob("**/item.md"))


def set_line(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.fixture
def base() -> str:
    return V2_ITEM.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", ALL_ITEMS, ids=lambda p: p.parent.name)
def test_every_corpus_item_merges_with_itself_unchanged(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert split_item(text) is not None
    merged = merge_item(text, text, text)
    assert merged is not None
    assert (merged.text, merged.conflicts) == (text, 0)


def test_fields_changed_on_different_sides_both_apply(base: str) -> None:
    ours = set_line(base, "assignee: null", "assignee: 'someone'")
    theirs = set_line(base, "queued_by: 'workspace-panel'", 'queued_by: "user"')
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 0
    assert merged.text == set_line(ours, "queued_by: 'workspace-panel'", 'queued_by: "user"')


def test_updated_at_takes_the_later_time_with_its_quoting(base: str) -> None:
    ours = set_line(
        base, "updated_at: '2026-06-25T16:32:17Z'", "updated_at: '2026-06-26T09:00:00Z'"
    )
    theirs = set_line(
        base, "updated_at: '2026-06-25T16:32:17Z'", 'updated_at: "2026-06-26T10:00:00Z"'
    )
    for a, b in ((ours, theirs), (theirs, ours)):
        merged = merge_item(base, a, b)
        assert merged is not None
        assert merged.conflicts == 0
        assert 'updated_at: "2026-06-26T10:00:00Z"\n' in merged.text


def test_state_follows_the_merged_thread(base: str) -> None:
    ours = set_line(base, "state: 'queued'", "state: 'inprogress'")
    theirs = set_line(base, "state: 'queued'", "state: done")
    merged = merge_item(base, ours, theirs, thread_states={"state": "done"})
    assert merged is not None
    assert merged.conflicts == 0
    assert "\nstate: done\n" in merged.text
    # neither side says what the thread says: ours' line, with ours' quoting, gets the value
    merged = merge_item(base, ours, theirs, thread_states={"state": "closed"})
    assert merged is not None
    assert "\nstate: 'closed'\n" in merged.text


def test_state_changed_differently_without_thread_is_a_conflict(base: str) -> None:
    ours = set_line(base, "state: 'queued'", "state: 'inprogress'")
    theirs = set_line(base, "state: 'queued'", "state: done")
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 1
    assert "<<<<<<< ours\nstate: 'inprogress'\n=======\nstate: done\n>>>>>>> theirs\n" in (
        merged.text
    )


def test_state_changed_on_one_side_without_thread_takes_that_side(base: str) -> None:
    theirs = set_line(base, "state: 'queued'", "state: 'inprogress'")
    merged = merge_item(base, base.replace("assignee: null", "assignee: x"), theirs)
    assert merged is not None
    assert (merged.conflicts, "\nstate: 'inprogress'\n" in merged.text) == (0, True)


def test_title_changed_differently_is_a_conflict_and_other_fields_still_merge(base: str) -> None:
    ours = set_line(base, "title: 'Backend", "title: 'Ours: Backend")
    ours = set_line(
        ours, "updated_at: '2026-06-25T16:32:17Z'", "updated_at: '2026-06-26T09:00:00Z'"
    )
    theirs = set_line(base, "title: 'Backend", "title: 'Theirs: Backend")
    theirs = set_line(
        theirs, "updated_at: '2026-06-25T16:32:17Z'", "updated_at: '2026-06-26T10:00:00Z'"
    )
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 1
    head = merged.text.split("\n## ")[0].split("\n")
    assert head[:6] == [
        "---",
        "<<<<<<< ours",
        ours.split("\n")[1],
        "=======",
        theirs.split("\n")[1],
        ">>>>>>> theirs",
    ]
    assert "updated_at: '2026-06-26T10:00:00Z'" in head


def test_field_added_on_one_side_lands_after_its_neighbour(base: str) -> None:
    theirs = set_line(base, "assignee: null\n", "assignee: null\npriority: P1\n")
    ours = set_line(base, "queued_at: '2026-06-25T16:31:28Z'\n", "")
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 0
    assert merged.text == set_line(ours, "assignee: null\n", "assignee: null\npriority: P1\n")


def test_field_deleted_on_one_side_and_changed_on_the_other_is_a_conflict(base: str) -> None:
    ours = set_line(base, "assignee: null\n", "")
    theirs = set_line(base, "assignee: null", "assignee: 'x'")
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 1
    assert "<<<<<<< ours\n=======\nassignee: 'x'\n>>>>>>> theirs\n" in merged.text


def test_same_value_in_other_quoting_is_no_conflict(base: str) -> None:
    ours = set_line(base, "state: 'queued'", 'state: "queued"')
    theirs = set_line(base, "state: 'queued'", "state: queued")
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert (merged.conflicts, merged.text) == (0, ours)


def test_list_field_compares_by_value() -> None:
    base = V1_ITEM.read_text(encoding="utf-8")
    ours = set_line(base, "labels: ['session',", 'labels: ["session",')
    theirs = set_line(base, "labels: ['session', 'analytics',", "labels: ['session', 'metrics',")
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert "labels: ['session', 'metrics'," in merged.text
    assert merged.conflicts == 0


def test_v1_workflow_state_follows_the_thread() -> None:
    base = V1_ITEM.read_text(encoding="utf-8")
    ours = set_line(base, "workflow_state: 'ready'", "workflow_state: 'queued'")
    theirs = set_line(base, "workflow_state: 'ready'", "workflow_state: 'inprogress'")
    states = {"state": "inprogress", "workflow_state": "inprogress"}
    merged = merge_item(base, ours, theirs, thread_states=states)
    assert merged is not None
    assert merged.conflicts == 0
    assert merged.text == theirs


def test_body_is_merged_line_wise(base: str) -> None:
    ours = set_line(base, "## 背景\n", "## 背景 (ours)\n")
    theirs = set_line(base, "## 要件\n", "## 要件 (theirs)\n")
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 0
    assert merged.text == set_line(ours, "## 要件\n", "## 要件 (theirs)\n")


def test_body_conflict_has_git_markers(base: str) -> None:
    ours = set_line(base, "## 背景\n", "## 背景 (ours)\n")
    theirs = set_line(base, "## 背景\n", "## 背景 (theirs)\n")
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert merged.conflicts == 1
    assert "<<<<<<< ours\n## 背景 (ours)\n=======\n## 背景 (theirs)\n>>>>>>> theirs\n" in (
        merged.text
    )


@pytest.mark.parametrize(
    "broken",
    [
        "no frontmatter at all\n",
        "---\ntitle: [unclosed\n---\nbody\n",
        "---\ntitle: a\ntitle: b\n---\n",
        "---\ntitle: never closed\n",
        "---\n- a list\n---\n",
    ],
)
def test_unreadable_frontmatter_gets_a_plain_merge(base: str, broken: str) -> None:
    assert merge_item(base, broken, set_line(base, "assignee: null", "assignee: x")) is None


def test_merge_is_deterministic(base: str) -> None:
    ours = set_line(base, "title: 'Backend", "title: 'Ours: Backend")
    theirs = set_line(base, "title: 'Backend", "title: 'Theirs: Backend")
    assert merge_item(base, ours, theirs) == merge_item(base, ours, theirs)


def test_file_added_on_both_sides_merges_field_by_field(base: str) -> None:
    ours = set_line(
        base, "updated_at: '2026-06-25T16:32:17Z'", "updated_at: '2026-06-26T09:00:00Z'"
    )
    theirs = set_line(base, "assignee: null", "assignee: 'x'")
    merged = merge_item("", ours, theirs)
    assert merged is not None
    assert merged.conflicts == 1  # assignee: one side's value against the other's
    assert "updated_at: '2026-06-26T09:00:00Z'\n" in merged.text
    assert "<<<<<<< ours\nassignee: null\n=======\nassignee: 'x'\n>>>>>>> theirs\n" in merged.text
    assert merged.text.endswith(base.split("---\n", 2)[2])


def test_updated_at_written_with_a_space_still_compares_as_a_time(base: str) -> None:
    ours = set_line(
        base, "updated_at: '2026-06-25T16:32:17Z'", "updated_at: '2026-06-26 12:00:00Z'"
    )
    theirs = set_line(
        base, "updated_at: '2026-06-25T16:32:17Z'", "updated_at: '2026-06-26T11:00:00Z'"
    )
    merged = merge_item(base, ours, theirs)
    assert merged is not None
    assert (merged.conflicts, merged.text) == (0, ours)
