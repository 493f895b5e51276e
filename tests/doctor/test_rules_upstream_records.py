"""Issue 14: what upstream yoi's own doctor rejects in thread.md, relations.json and
orchestration-plan.jsonl is an error here too, and what yoi's own tools wrote is no error.

Each case breaks a copy of a real corpus ticket minimally and compares the complete set of
(code, severity, path, line) findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.doctor import STORE, edit, found, messages, ticket_dir, ticket_workspace

RICH = "00001KTNVGT8G"  # closed; intake, state changes, reviews, close; a plan; no relations
QUEUED = "00001KVZKSV6C"  # queued; relations.json: depends_on a ticket not in the corpus
THREAD = f"{STORE}/{RICH}/thread.md"
PLAN = f"{STORE}/{RICH}/artifacts/orchestration-plan.jsonl"
RELATIONS = f"{STORE}/{QUEUED}/artifacts/relations.json"
DANGLING = ("YT208", "warning", RELATIONS, 7)  # a lone QUEUED depends on a missing ticket

CREATE = "<!-- event: create author: LocalTicketBackend at: 2026-06-09T09:30:50Z -->"  # 1
INTAKE = "<!-- event: intake_summary author: intake at: 2026-06-09T09:55:00Z -->"  # 9
DECISION = "<!-- event: decision author: orchestrator at: 2026-06-09T10:03:41Z -->"  # 42


def rich(tmp_path: Path) -> tuple[Path, Path]:
    workspace = ticket_workspace(tmp_path, RICH)
    return workspace, ticket_dir(workspace, RICH)


# ---------------------------------------------------------------- YT201: yoi's own headers


def test_yt201_unquoted_author_with_a_space_is_a_warning_and_the_event_is_kept(
    tmp_path: Path,
) -> None:
    """Regression: `author: yoi ticket` unquoted (what yoi's writer produced from June 2026
    on) was an error, and the event was dropped from every other check."""
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", CREATE, CREATE.replace("LocalTicketBackend", "yoi ticket"))
    assert found(workspace) == {("YT201", "warning", THREAD, 1)}
    assert messages(workspace, "YT201") == [
        "unquoted value with spaces: author is read as 'yoi ticket' (upstream yoi reads "
        "'yoi'); quote it: author: \"yoi ticket\""
    ]


def test_yt201_an_event_read_leniently_still_gets_the_other_checks(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    edit(
        folder / "thread.md",
        CREATE,
        "<!-- event: create author: yoi ticket at: 2026-06-09 -->",
    )
    assert found(workspace) == {
        ("YT201", "warning", THREAD, 1),
        ("YT202", "error", THREAD, 1),  # the event is kept, so its bad time is seen
    }


# ---------------------------------------------------------------- fenced example headers

EXAMPLE = """

An event header looks like this:

```md
<!-- event: review author: reviewer at: 2026-01-01T00:00:00Z status: lgtm -->

---
<!-- event: close author at: 2026-01-01T00:00:01Z -->
```
"""


def test_headers_in_a_fenced_code_block_are_body(tmp_path: Path) -> None:
    """Regression: example headers inside a fence were events: YT213 (out of order), and
    here also YT201, YT204 and YT215 would fire on them."""
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", DECISION, DECISION + EXAMPLE)
    assert found(workspace) == set()


# ---------------------------------------------------------------- YT205 heading only


def test_yt205_intake_summary_that_is_only_its_heading(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    thread = folder / "thread.md"
    lines = thread.read_text(encoding="utf-8").split("\n")
    assert lines[8] == INTAKE and lines[10] == "## Intake summary" and lines[14] == "---"
    thread.write_text("\n".join([*lines[:12], *lines[13:]]), encoding="utf-8")
    assert found(workspace) == {("YT205", "error", THREAD, 9)}
    assert messages(workspace, "YT205") == ["intake_summary body is only its heading"]


# ---------------------------------------------------------------- YT206 relations.json


def relations(tmp_path: Path) -> tuple[Path, Path, dict[str, object]]:
    workspace = ticket_workspace(tmp_path, QUEUED)
    path = ticket_dir(workspace, QUEUED) / "artifacts" / "relations.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    entry: dict[str, object] = data["relations"][0]
    return workspace, path, entry


def write_relations(path: Path, entries: list[dict[str, object]]) -> None:
    data = {"version": 1, "relations": entries}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"author": None}, "relation has no author"),
        ({"at": ""}, "relation has no at"),
        ({"author": "yoi\nticket"}, "relation author is more than one line"),
        ({"at": "2026-06-25T16:30:00Z\r"}, "relation at is more than one line"),
        ({"target": "00001KVZBCQH4\n"}, "relation target is more than one line"),
        ({"author": "é" * 513}, "relation author is longer than 1 KiB"),  # 1026 bytes
        ({"note": "n" * (16 * 1024 + 1)}, "relation note is longer than 16 KiB"),
        ({"note": "before\x00after"}, "relation holds a NUL character"),
        ({"reviewed_by": ["hare\x00"]}, "relation holds a NUL character"),
    ],
    ids=[
        "no-author",
        "empty-at",
        "author-lines",
        "at-cr",
        "target-lines",
        "author-size",
        "note-size",
        "note-nul",
        "extra-nul",
    ],
)
def test_yt206_relation_fields_upstream_rejects(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    workspace, path, entry = relations(tmp_path)
    write_relations(path, [{k: v for k, v in {**entry, **change}.items() if v is not None}])
    expected = {("YT206", "error", RELATIONS, 7)}
    if "target" not in change:
        expected.add(DANGLING)
    else:  # the target is not a ticket id either
        expected.add(("YT208", "warning", RELATIONS, 7))
    assert found(workspace) == expected
    assert messages(workspace, "YT206") == [message]


def test_yt206_a_note_of_16_kib_and_a_field_of_1_kib_are_fine(tmp_path: Path) -> None:
    workspace, path, entry = relations(tmp_path)
    write_relations(path, [{**entry, "note": "n" * 16 * 1024, "author": "a" * 1024}])
    assert found(workspace) == {DANGLING}


def test_yt206_duplicate_kind_and_target(tmp_path: Path) -> None:
    workspace, path, entry = relations(tmp_path)
    write_relations(path, [entry, {**entry, "note": "said again"}, {**entry, "kind": "related"}])
    assert found(workspace) == {
        ("YT206", "error", RELATIONS, 15),
        *{("YT208", "warning", RELATIONS, line) for line in (7, 15, 23)},
    }
    assert messages(workspace, "YT206") == [
        "depends_on relation to '00001KVZBCQH4' repeats the one at line 7"
    ]


# ---------------------------------------------------------------- YT210 plan records


def write_plan(folder: Path, change: dict[str, object]) -> None:
    plan = folder / "artifacts" / "orchestration-plan.jsonl"
    record = json.loads(plan.read_text(encoding="utf-8"))
    record = {k: v for k, v in {**record, **change}.items() if v is not None}
    plan.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"author": ""}, "plan record has no author"),
        ({"at": None}, "plan record has no at"),
        ({"author": 7}, "plan record author is not a non-empty string"),
        ({"id": "orch-plan-1\norch-plan-2"}, "plan record id is more than one line"),
        ({"at": "2026-06-09T10:03:41Z\n"}, "plan record at is more than one line"),
        ({"related_ticket": None}, "before plan record has no related_ticket"),
        (
            {"kind": "do_not_parallelize", "related_ticket": ""},
            "do_not_parallelize plan record has no related_ticket",
        ),
        (
            {"kind": "waiting_capacity_note", "note": None},
            "waiting_capacity_note plan record has no note",
        ),
        ({"kind": "accepted_plan"}, "accepted_plan record has no accepted_plan.summary"),
        (
            {"kind": "accepted_plan", "accepted_plan": {"summary": " ", "branch": "b"}},
            "accepted_plan record has no accepted_plan.summary",
        ),
    ],
    ids=[
        "empty-author",
        "no-at",
        "author-type",
        "id-lines",
        "at-lines",
        "no-related",
        "empty-related",
        "no-note",
        "no-accepted-plan",
        "blank-summary",
    ],
)
def test_yt210_plan_record_fields_upstream_rejects(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    workspace, folder = rich(tmp_path)
    write_plan(folder, change)
    assert found(workspace) == {("YT210", "error", PLAN, 1)}
    assert messages(workspace, "YT210") == [message]


def test_yt210_kinds_with_what_they_need_are_fine(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    write_plan(folder, {"kind": "accepted_plan", "accepted_plan": {"summary": "Do it."}})
    assert found(workspace) == set()
    write_plan(folder, {"kind": "waiting_capacity_note"})  # the record has a note
    assert found(workspace) == set()
