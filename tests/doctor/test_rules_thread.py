"""YT2xx: each rule fires on a minimally broken copy of a real ticket, with its exact
code, severity, path and line, and nothing else fires."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import V1
from harness.doctor import (
    STORE,
    diagnose,
    edit,
    found,
    messages,
    ticket_dir,
    ticket_workspace,
)
from yoi_ticket.cli.app import ticket_app

RICH = "00001KTNVGT8G"  # closed; intake, state changes, reviews, close; a plan; no relations
QUEUED = "00001KVZKSV6C"  # queued; relations.json: depends_on a ticket not in the corpus
REMOTE = "00001KVZSGT14"  # ready; relations.json: depends_on QUEUED (line 7) and 4 more
STORAGE = "00001KVZKST83"  # queued; relations.json: depends_on a ticket not in the corpus
REST = "00001KVZKSTE2"  # queued; relations.json: depends_on a ticket not in the corpus
V1_OPEN = "20260607-223233-parse-ticket-frontmatter-as-yaml"

THREAD = f"{STORE}/{RICH}/thread.md"
ITEM = f"{STORE}/{RICH}/item.md"
PLAN = f"{STORE}/{RICH}/artifacts/orchestration-plan.jsonl"
QUEUED_RELATIONS = f"{STORE}/{QUEUED}/artifacts/relations.json"
REMOTE_RELATIONS = f"{STORE}/{REMOTE}/artifacts/relations.json"
# A lone copy of QUEUED (or REMOTE) has relations to tickets that are not in the store.
QUEUED_DANGLING = {("YT208", "warning", QUEUED_RELATIONS, 7)}
REMOTE_DANGLING = {("YT208", "warning", REMOTE_RELATIONS, line) for line in (15, 23, 31, 39)}

# Headers of RICH's thread.md, by line.
CREATE = "<!-- event: create author: LocalTicketBackend at: 2026-06-09T09:30:50Z -->"  # 1
INTAKE = "<!-- event: intake_summary author: intake at: 2026-06-09T09:55:00Z -->"  # 9
QUEUE = (  # 25
    "<!-- event: state_changed author: workspace-panel at: 2026-06-09T10:01:00Z "
    "from: ready to: queued reason: queued field: state -->"
)
DECISION = "<!-- event: decision author: orchestrator at: 2026-06-09T10:03:41Z -->"  # 42
REVIEW = "<!-- event: review author: reviewer at: 2026-06-09T10:41:41Z status: approve -->"  # 167
CLOSE = "<!-- event: close author: hare at: 2026-06-09T10:46:50Z status: closed -->"  # 234


def relations_of(workspace: Path, ticket_id: str) -> Path:
    return ticket_dir(workspace, ticket_id) / "artifacts" / "relations.json"


def rich(tmp_path: Path) -> tuple[Path, Path]:
    workspace = ticket_workspace(tmp_path, RICH)
    return workspace, ticket_dir(workspace, RICH)


# ---------------------------------------------------------------- YT201 header


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (DECISION.removesuffix(" -->"), "header comment is not closed by ' -->' on the same line"),
        (
            DECISION.replace("author: orchestrator", 'author: "yoi orchestrator'),
            "cannot read attribute at 'author: \"yoi orchest'",
        ),
        (
            DECISION.replace("event: decision ", "kind: decision "),
            "header has no 'event:' attribute",
        ),
        (
            DECISION.replace("<!-- ", "<!--", 1),
            "header is not of the form '<!-- key: value ... -->'",
        ),
    ],
    ids=["not-closed", "unclosed-quote", "no-event", "no-space"],
)
def test_yt201_malformed_header(tmp_path: Path, new: str, message: str) -> None:
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", DECISION, new)
    assert found(workspace) == {("YT201", "error", THREAD, 42)}
    assert messages(workspace, "YT201") == [message]


def test_yt201_text_before_the_first_event(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", CREATE, f"stray note\n\n{CREATE}")
    assert found(workspace) == {("YT201", "error", THREAD, 1)}
    assert messages(workspace, "YT201") == ["text before the first event header"]


def test_yt201_quoted_values_with_escapes_are_fine(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    edit(
        folder / "thread.md",
        DECISION,
        DECISION.replace("author: orchestrator", 'author: "yoi \\"orchestrator\\" --> x"'),
    )
    assert found(workspace) == set()


# ---------------------------------------------------------------- YT202 at


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (DECISION.replace(" at: 2026-06-09T10:03:41Z", ""), "decision event has no 'at' time"),
        (
            DECISION.replace("2026-06-09T10:03:41Z", "2026-06-09"),
            "decision event 'at' '2026-06-09' is not an RFC 3339 time",
        ),
    ],
    ids=["missing", "not-rfc3339"],
)
def test_yt202_event_without_valid_at(tmp_path: Path, new: str, message: str) -> None:
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", DECISION, new)
    assert found(workspace) == {("YT202", "error", THREAD, 42)}
    assert messages(workspace, "YT202") == [message]


# ---------------------------------------------------------------- YT203 state_changed


@pytest.mark.parametrize(
    ("old", "message"),
    [
        (" reason: queued", "state_changed event lacks reason"),
        (" from: ready to: queued", "state_changed event lacks from, to"),
        (" author: workspace-panel", "state_changed event lacks author"),
    ],
)
def test_yt203_incomplete_state_change(tmp_path: Path, old: str, message: str) -> None:
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", QUEUE, QUEUE.replace(old, ""))
    assert found(workspace) == {("YT203", "error", THREAD, 25)}
    assert messages(workspace, "YT203") == [message]


# ---------------------------------------------------------------- YT204 review


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (
            REVIEW.replace("approve", "lgtm"),
            "review event status 'lgtm' is not approve or request_changes",
        ),
        (REVIEW.replace(" status: approve", ""), "review event has no status"),
    ],
)
def test_yt204_review_without_valid_status(tmp_path: Path, new: str, message: str) -> None:
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", REVIEW, new)
    assert found(workspace) == {("YT204", "warning", THREAD, 167)}
    assert messages(workspace, "YT204") == [message]


# ---------------------------------------------------------------- YT205 intake_summary


def test_yt205_intake_summary_without_author(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", INTAKE, INTAKE.replace(" author: intake", ""))
    assert found(workspace) == {("YT205", "error", THREAD, 9)}  # and not YT217 as well
    assert messages(workspace, "YT205") == ["intake_summary has no author"]


def test_yt205_intake_summary_without_body(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    thread = folder / "thread.md"
    lines = thread.read_text(encoding="utf-8").split("\n")
    assert lines[8] == INTAKE and lines[14] == "---"
    thread.write_text("\n".join([*lines[:9], "", "", *lines[14:]]), encoding="utf-8")
    assert found(workspace) == {("YT205", "error", THREAD, 9)}
    assert messages(workspace, "YT205") == ["intake_summary has no body"]


# ---------------------------------------------------------------- YT206 relations.json


def queued(tmp_path: Path) -> tuple[Path, Path]:
    workspace = ticket_workspace(tmp_path, QUEUED)
    return workspace, relations_of(workspace, QUEUED)


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            '"kind": "depends_on",',
            '"kind": "depends_on"',
            7,
            "invalid JSON: Expecting ',' delimiter: line 7 column 7 (char 110)",
        ),
        ('"version": 1', '"version": 2', 1, "unsupported relations version 2 (want 1)"),
        (
            '"kind": "depends_on"',
            '"kind": "needs"',
            7,
            "relation kind 'needs' is not one of "
            "depends_on, blocks, related, supersedes, duplicate_of",
        ),
        (
            '"ticket_id": "00001KVZKSV6C"',
            '"ticket_id": "00001KVZSGT14"',
            7,
            "relation ticket_id '00001KVZSGT14' is not the owning ticket '00001KVZKSV6C'",
        ),
        ('"ticket_id": "00001KVZKSV6C",', "", 7, "relation has no ticket_id"),
        ('"kind": "depends_on",', "", 7, "relation has no kind"),
        (
            '"target": "00001KVZBCQH4"',
            '"target": 42',
            7,
            "relation #1: target: Input should be a valid string",
        ),
    ],
    ids=["json", "version", "kind", "owner", "no-owner", "no-kind", "target-type"],
)
def test_yt206_relations_invalid(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    workspace, relations = queued(tmp_path)
    edit(relations, old, new)
    expected = {("YT206", "error", QUEUED_RELATIONS, line)}
    if message.startswith(("unsupported", "relation kind", "relation ticket_id", "relation has")):
        expected |= QUEUED_DANGLING  # the entry is still read, its target still missing
    assert found(workspace) == expected
    assert messages(workspace, "YT206") == [message]


def test_yt206_not_an_object(tmp_path: Path) -> None:
    workspace, relations = queued(tmp_path)
    relations.write_text('[{"target": "00001KVZBCQH4"}]\n', encoding="utf-8")
    assert found(workspace) == {("YT206", "error", QUEUED_RELATIONS, 1)}
    assert messages(workspace, "YT206") == ["relations.json must be a JSON object"]


def test_yt206_entry_without_target_keeps_the_other_lines(tmp_path: Path) -> None:
    """Regression: lines were taken from the n-th '"target"' in the file, so one entry
    without a target shifted every later entry's line (and blamed the wrong entry)."""
    workspace = ticket_workspace(tmp_path, REMOTE)
    relations = relations_of(workspace, REMOTE)
    edit(relations, '"target": "00001KVZKSV6C",\n', "")
    assert found(workspace) == {
        ("YT206", "error", REMOTE_RELATIONS, 4),  # the entry's opening brace
        *{("YT208", "warning", REMOTE_RELATIONS, line - 1) for line in (15, 23, 31, 39)},
    }
    assert messages(workspace, "YT206") == ["relation has no target"]


def test_yt206_non_object_entry_has_its_line(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, REMOTE)
    relations = relations_of(workspace, REMOTE)
    edit(relations, '"relations": [\n', '"relations": [\n    "00001KVZKSV6C",\n')
    assert found(workspace) == {
        ("YT206", "error", REMOTE_RELATIONS, 4),
        *{("YT208", "warning", REMOTE_RELATIONS, line + 1) for line in (7, 15, 23, 31, 39)},
    }
    assert messages(workspace, "YT206") == ["relation #1 is not an object"]


def test_yt206_compact_relations_file(tmp_path: Path) -> None:
    workspace, relations = queued(tmp_path)
    data = json.loads(relations.read_text(encoding="utf-8"))
    data["relations"][0]["kind"] = "needs"
    relations.write_text(json.dumps(data) + "\n", encoding="utf-8")
    assert found(workspace) == {
        ("YT206", "error", QUEUED_RELATIONS, 1),
        ("YT208", "warning", QUEUED_RELATIONS, 1),
    }


# ---------------------------------------------------------------- YT207-YT209 relations


def test_yt207_relation_to_itself_is_not_also_a_cycle(tmp_path: Path) -> None:
    """Regression: a self-relation was reported twice, as YT207 and as a YT209 cycle."""
    workspace = ticket_workspace(tmp_path, REMOTE)
    relations = relations_of(workspace, REMOTE)
    edit(relations, '"target": "00001KVZKSV6C"', f'"target": "{REMOTE}"')
    assert found(workspace) == {("YT207", "error", REMOTE_RELATIONS, 7), *REMOTE_DANGLING}
    assert messages(workspace, "YT207") == ["depends_on relation targets its own ticket"]


def test_yt208_dangling_relation_and_its_cure(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, REMOTE)
    assert found(workspace) == {("YT208", "warning", REMOTE_RELATIONS, 7), *REMOTE_DANGLING}
    assert messages(workspace, "YT208")[0] == (
        "depends_on relation to '00001KVZKSV6C', which is not in the store"
    )
    both = ticket_workspace(tmp_path, REMOTE, QUEUED, name="both")
    assert found(both) == REMOTE_DANGLING | QUEUED_DANGLING


def test_yt209_depends_on_cycle(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, QUEUED, REMOTE)
    relations = relations_of(workspace, QUEUED)
    edit(relations, '"target": "00001KVZBCQH4"', f'"target": "{REMOTE}"')
    assert found(workspace) == {("YT209", "error", QUEUED_RELATIONS, 7), *REMOTE_DANGLING}
    assert messages(workspace, "YT209") == [f"dependency cycle: {QUEUED} -> {REMOTE} -> {QUEUED}"]


def test_yt209_blocks_cycle(tmp_path: Path) -> None:
    """QUEUED blocks REMOTE and REMOTE blocks QUEUED: each waits for the other."""
    workspace = ticket_workspace(tmp_path, QUEUED, REMOTE)
    queued_relations = relations_of(workspace, QUEUED)
    edit(queued_relations, '"kind": "depends_on"', '"kind": "blocks"')
    edit(queued_relations, '"target": "00001KVZBCQH4"', f'"target": "{REMOTE}"')
    remote_relations = relations_of(workspace, REMOTE)
    text = remote_relations.read_text(encoding="utf-8")
    remote_relations.write_text(text.replace('"depends_on"', '"blocks"', 1), encoding="utf-8")
    assert found(workspace) == {("YT209", "error", REMOTE_RELATIONS, 7), *REMOTE_DANGLING}
    assert messages(workspace, "YT209") == [f"dependency cycle: {QUEUED} -> {REMOTE} -> {QUEUED}"]


def test_yt209_depends_on_and_blocks_in_one_direction_is_no_cycle(tmp_path: Path) -> None:
    """REMOTE depends_on QUEUED and QUEUED blocks REMOTE say the same thing twice."""
    workspace = ticket_workspace(tmp_path, QUEUED, REMOTE)
    relations = relations_of(workspace, QUEUED)
    edit(relations, '"kind": "depends_on"', '"kind": "blocks"')
    edit(relations, '"target": "00001KVZBCQH4"', f'"target": "{REMOTE}"')
    assert found(workspace) == REMOTE_DANGLING


def test_yt209_three_ticket_cycle_through_the_cli(tmp_path: Path) -> None:
    """QUEUED depends_on STORAGE, STORAGE on REST, REST on QUEUED."""
    workspace = ticket_workspace(tmp_path, QUEUED, STORAGE, REST)
    for source, target in ((QUEUED, STORAGE), (STORAGE, REST), (REST, QUEUED)):
        relations = relations_of(workspace, source)
        edit(relations, '"target": "00001KVZBCQH4"', f'"target": "{target}"')
    result = CliRunner().invoke(
        ticket_app,
        ["doctor", "-C", str(workspace), "--no-local", "--format", "json", "--select", "YT209"],
    )
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["diagnostics"] == [
        {
            "code": "YT209",
            "severity": "error",
            "path": f"{STORE}/{STORAGE}/artifacts/relations.json",
            "line": 7,
            "message": f"dependency cycle: {STORAGE} -> {REST} -> {QUEUED} -> {STORAGE}",
            "hint": "remove or reverse one depends_on/blocks relation of the cycle",
        }
    ]


# ---------------------------------------------------------------- YT210/YT211 plan


def plan_record(folder: Path) -> dict[str, object]:
    record: dict[str, object] = json.loads(
        (folder / "artifacts" / "orchestration-plan.jsonl").read_text(encoding="utf-8")
    )
    return record


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"kind": "someday"},
            "plan record kind 'someday' is not one of before, after, "
            "blocked_by, blocks, conflicts_with, do_not_parallelize, waiting_capacity_note, "
            "accepted_plan",
        ),
        ({"id": None}, "plan record has no id"),
        ({"ticket_id": None}, "plan record has no ticket_id"),  # regression: was YT211 'None'
        ({"id": 7}, "plan record: id: Input should be a valid string"),
    ],
    ids=["kind", "no-id", "no-ticket-id", "id-type"],
)
def test_yt210_plan_record_invalid(tmp_path: Path, change: dict[str, object], message: str) -> None:
    workspace, folder = rich(tmp_path)
    record = {k: v for k, v in {**plan_record(folder), **change}.items() if v is not None}
    (folder / "artifacts" / "orchestration-plan.jsonl").write_text(json.dumps(record) + "\n")
    assert found(workspace) == {("YT210", "error", PLAN, 1)}
    assert messages(workspace, "YT210") == [message]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"id": "orch-2", "ticket_id": "00001KTNVGT8G", ',
            "invalid JSON: Expecting property name "
            "enclosed in double quotes: line 1 column 48 (char 47)",
        ),
        ('["orch-2"]', "plan record is not a JSON object"),
    ],
)
def test_yt210_bad_second_line(tmp_path: Path, line: str, message: str) -> None:
    workspace, folder = rich(tmp_path)
    plan = folder / "artifacts" / "orchestration-plan.jsonl"
    plan.write_text(plan.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")
    assert found(workspace) == {("YT210", "error", PLAN, 3)}  # line 2 is blank
    assert messages(workspace, "YT210") == [message]


def test_yt211_plan_record_about_another_ticket(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    plan = folder / "artifacts" / "orchestration-plan.jsonl"
    record = plan_record(folder)
    record["ticket_id"] = "00001KTNSA2K0"
    plan.write_text(plan.read_text() + json.dumps(record) + "\n", encoding="utf-8")
    assert found(workspace) == {("YT211", "error", PLAN, 2)}
    assert messages(workspace, "YT211") == [
        f"plan record ticket_id '00001KTNSA2K0' is not the owning ticket '{RICH}'"
    ]


# ---------------------------------------------------------------- YT212 escaping artifacts

SECRET = "OUTSIDE-SECRET-41c9"


def outside(tmp_path: Path) -> Path:
    """Files outside the store that would trip YT206/YT210/YT211 if they were read."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "plan.jsonl").write_text(
        json.dumps({"id": SECRET, "ticket_id": SECRET, "kind": SECRET}) + "\n"
    )
    (folder / "relations.json").write_text(f'{{"version": "{SECRET}"}}\n')
    (folder / "notes.md").write_text(f"{SECRET}\n")
    return folder


def test_yt212_structured_artifacts_outside_are_not_read(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    elsewhere = outside(tmp_path)
    artifacts = folder / "artifacts"
    (artifacts / "orchestration-plan.jsonl").unlink()
    os.symlink(elsewhere / "plan.jsonl", artifacts / "orchestration-plan.jsonl")
    os.symlink(elsewhere / "relations.json", artifacts / "relations.json")
    os.symlink(elsewhere / "notes.md", artifacts / "notes.md")
    assert found(workspace) == {
        ("YT212", "error", f"{STORE}/{RICH}/artifacts/{name}", None)
        for name in ("notes.md", "orchestration-plan.jsonl", "relations.json")
    }
    result = CliRunner().invoke(ticket_app, ["doctor", "-C", str(workspace), "--no-local"])
    assert result.exit_code == 1
    assert SECRET not in result.output
    assert "artifacts/notes.md is a symlink resolving outside its folder" in result.output


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("artifacts/item-copy.md", "../item.md"),  # out of artifacts/, still in the ticket
        ("artifacts/sub/deep.md", "../../../{other}/item.md"),  # nested, into another ticket
        ("artifacts/loop", "loop"),
        ("artifacts/gone", "/nonexistent/yoi-ticket-test"),
        ("item.md", "{outside}/notes.md"),
        ("artifacts", "{outside}"),
    ],
)
def test_yt212_escaping_entries(tmp_path: Path, name: str, target: str) -> None:
    workspace = ticket_workspace(tmp_path, RICH, QUEUED)
    folder = ticket_dir(workspace, RICH)
    link = folder / name
    if link.is_dir():
        shutil.rmtree(link)
    elif link.exists():
        link.unlink()
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target.format(other=QUEUED, outside=outside(tmp_path)), link)
    assert found(workspace) == {
        ("YT212", "error", f"{STORE}/{RICH}/{name}", None),
        *QUEUED_DANGLING,
    }


def test_yt212_symlink_that_stays_inside_is_followed(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    artifacts = folder / "artifacts"
    (artifacts / "plans").mkdir()
    (artifacts / "orchestration-plan.jsonl").rename(artifacts / "plans" / "current.jsonl")
    os.symlink("plans/current.jsonl", artifacts / "orchestration-plan.jsonl")
    edit(artifacts / "plans" / "current.jsonl", '"kind":"before"', '"kind":"someday"')
    assert found(workspace) == {("YT210", "error", PLAN, 1)}


# ---------------------------------------------------------------- YT213-YT216 merge damage


def test_yt213_events_out_of_order(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", DECISION, DECISION.replace("10:03:41Z", "09:03:41Z"))
    assert found(workspace) == {("YT213", "warning", THREAD, 42)}
    assert messages(workspace, "YT213") == [
        "event at 2026-06-09T09:03:41Z comes after an event at 2026-06-09T10:03:41Z"
    ]


def test_yt213_equal_times_are_in_order(tmp_path: Path) -> None:
    """Events 34 and 42 (and 225 and 234) share their time in the corpus."""
    workspace, _ = rich(tmp_path)
    assert found(workspace) == set()


def test_yt214_duplicated_event(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    thread = folder / "thread.md"
    lines = thread.read_text(encoding="utf-8").split("\n")
    start = lines.index(CLOSE)
    thread.write_text("\n".join([*lines, *lines[start:]]), encoding="utf-8")
    copy = len(lines) + 1
    assert found(workspace) == {("YT214", "warning", THREAD, copy)}
    assert messages(workspace, "YT214") == ["close event duplicates the event at line 234"]


def test_yt214_same_header_other_body_is_no_duplicate(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    thread = folder / "thread.md"
    thread.write_text(thread.read_text() + f"\n{CLOSE}\n\n## Closed again\n\n---\n")
    assert found(workspace) == set()


def test_yt215_item_state_disagrees_with_thread(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    edit(folder / "item.md", "state: 'closed'", "state: 'inprogress'")
    assert found(workspace) == {("YT215", "warning", ITEM, 3)}
    assert messages(workspace, "YT215") == [
        "state is 'inprogress' but the thread's last state change (line 234) says 'closed'"
    ]


def test_yt215_v1_store_compares_workflow_state(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, V1_OPEN, layout=V1)
    edit(
        ticket_dir(workspace, V1_OPEN) / "item.md", "workflow_state: done", "workflow_state: queued"
    )
    assert found(workspace) == {
        ("YT110", "warning", STORE, None),
        ("YT215", "warning", f"{STORE}/open/{V1_OPEN}/item.md", 9),
    }


def test_yt216_updated_at_older_than_last_event(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    edit(
        folder / "item.md",
        "updated_at: '2026-06-09T10:46:50Z'",
        "updated_at: '2026-06-09T10:46:49Z'",
    )
    assert found(workspace) == {("YT216", "warning", ITEM, 5)}
    assert messages(workspace, "YT216") == [
        "updated_at 2026-06-09T10:46:49Z is older than the last event "
        "(2026-06-09T10:46:50Z, thread.md line 225)"
    ]


def test_merge_damage_all_at_once(tmp_path: Path) -> None:
    """A merge resolved by pasting the other side's events at the end, keeping a stale
    item.md: out-of-order and duplicated events, wrong state, stale updated_at."""
    workspace, folder = rich(tmp_path)
    thread = folder / "thread.md"
    lines = thread.read_text(encoding="utf-8").split("\n")
    queue = lines.index(QUEUE)
    pasted = [*lines[queue : queue + 8], CLOSE.replace("10:46:50Z", "10:50:00Z"), "", "---", ""]
    thread.write_text("\n".join([*lines, *pasted]), encoding="utf-8")
    first_pasted = len(lines) + 1
    edit(
        folder / "item.md",
        "updated_at: '2026-06-09T10:46:50Z'",
        "updated_at: '2026-06-09T10:01:00Z'",
    )
    edit(folder / "item.md", "state: 'closed'", "state: 'queued'")
    assert found(workspace) == {
        ("YT213", "warning", THREAD, first_pasted),
        ("YT214", "warning", THREAD, first_pasted),
        ("YT215", "warning", ITEM, 3),
        ("YT216", "warning", ITEM, 5),
    }
    result = CliRunner().invoke(ticket_app, ["doctor", "-C", str(workspace), "--no-local"])
    assert result.exit_code == 0, result.output  # warnings only: --fail-on error passes
    assert result.output.endswith("Found 4 warnings (1 ticket checked).\n")


# ---------------------------------------------------------------- YT217 author


def test_yt217_event_without_author(tmp_path: Path) -> None:
    workspace, folder = rich(tmp_path)
    edit(folder / "thread.md", DECISION, DECISION.replace(" author: orchestrator", ""))
    assert found(workspace) == {("YT217", "error", THREAD, 42)}
    assert messages(workspace, "YT217") == ["decision event has no author"]


def test_yt217_in_a_v1_store(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, V1_OPEN, layout=V1)
    thread = ticket_dir(workspace, V1_OPEN) / "thread.md"
    edit(
        thread,
        "<!-- event: create author: LocalTicketBackend at: 2026-06-07T22:32:33Z -->",
        "<!-- event: create at: 2026-06-07T22:32:33Z -->",
    )
    assert found(workspace) == {
        ("YT110", "warning", STORE, None),
        ("YT217", "error", f"{STORE}/open/{V1_OPEN}/thread.md", 1),
    }


# ---------------------------------------------------------------- all at once


def test_every_yt1_yt2_rule_fires_in_one_store_and_each_finding_has_a_hint(
    tmp_path: Path,
) -> None:
    """One store damaged in every way the YT1xx/YT2xx rules know (the two v1-only rules
    need a v1 store, below): each code shows up, and each finding says how to fix it."""
    from conftest import CORPUS, V2
    from yoi_ticket.doctor.registry import RULES

    closed, planning = "00001KSKBPVH0", "00001KSKBPDVG"
    workspace = ticket_workspace(tmp_path, RICH, QUEUED, REMOTE, closed, planning)
    store = workspace / STORE
    rich_dir, closed_dir, planning_dir = (
        ticket_dir(workspace, t) for t in (RICH, closed, planning)
    )
    thread = rich_dir / "thread.md"
    text = thread.read_text(encoding="utf-8")
    pasted = text[text.index(QUEUE) :].split("\n---\n")[0] + "\n---\n"
    thread.write_text(text + pasted, encoding="utf-8")  # YT213 + YT214
    edit(thread, DECISION, DECISION.removesuffix(" -->"))  # YT201
    edit(thread, INTAKE, INTAKE.replace(" author: intake", ""))  # YT205
    edit(thread, REVIEW, REVIEW.replace("approve", "lgtm"))  # YT204
    edit(thread, " reason: orchestrator_acceptance field", " field")  # YT203
    edit(
        rich_dir / "item.md",
        "updated_at: '2026-06-09T10:46:50Z'",
        "updated_at: '2026-06-09T10:00:00Z'",
    )  # YT216
    edit(rich_dir / "item.md", "state: 'closed'", "state: 'done'")  # YT215
    plan = rich_dir / "artifacts" / "orchestration-plan.jsonl"
    plan.write_text(plan.read_text().replace(RICH, QUEUED) + "{oops\n")  # YT211, YT210
    os.symlink(outside(tmp_path) / "notes.md", rich_dir / "artifacts" / "notes.md")  # YT212
    relations = relations_of(workspace, QUEUED)
    edit(relations, '"target": "00001KVZBCQH4"', f'"target": "{REMOTE}"')  # YT209
    relations = relations_of(workspace, REMOTE)
    edit(relations, '"target": "00001KVZKST83"', f'"target": "{REMOTE}"')  # YT207
    edit(relations, '"target": "00001KVZKSTE2"', '"target": "00001KVZKSTE3"')  # YT208
    edit(relations, '"kind": "related"', '"kind": "needs"')  # YT206
    (closed_dir / "resolution.md").unlink()  # YT111
    edit(closed_dir / "thread.md", " at: 2026-05-27T00:00:20Z -->", " -->")  # YT202
    edit(closed_dir / "thread.md", "close author: hare at", "close at")  # YT217
    edit(closed_dir / "item.md", 'created_at: "2026-05-27T00:00:20Z"', "created_at: soon")  # YT115
    edit(closed_dir / "item.md", 'state: "closed"', 'state: "closed"\nslug: x')  # YT108
    edit(planning_dir / "item.md", 'state: "planning"', 'state: "in-progress"')  # YT107
    edit(planning_dir / "item.md", 'title: "Permission', 'x: "Permission')  # YT106
    with (planning_dir / "thread.md").open("ab") as handle:
        handle.write(b"\n\xff\n")  # YT117
    shutil.copytree(CORPUS / V2 / STORE / planning, store / "my-ticket")  # YT101
    (store / "00001KSKBPZZ0").mkdir()  # YT102, YT103, YT104
    broken = store / "00001KSKBPZZ1"
    shutil.copytree(CORPUS / V2 / STORE / planning, broken)
    (broken / "item.md").write_text("---\ntitle: [\n---\n")  # YT105
    shutil.copytree(CORPUS / V2 / STORE / closed, store / "closed" / closed)  # YT109, YT112
    (workspace / "TODO.md").write_text("- see tickets/old.md\n")  # YT113
    dated = shutil.copytree(CORPUS / V2 / STORE / planning, store / "20260608-101010-001")  # YT118
    item = (dated / "item.md").read_text(encoding="utf-8").replace("---\n", "--- \n", 1)  # YT119
    (dated / "item.md").write_text(item.replace("\ntitle:", "\npriority: 1\ntitle:"))  # YT120
    os.symlink(tmp_path / "outside", store / "00001KSKBPZZ2")  # YT116

    found_codes = {d.code for d in diagnose(workspace)}
    v1 = ticket_workspace(tmp_path, V1_OPEN, layout=V1, name="v1")
    edit(ticket_dir(v1, V1_OPEN) / "item.md", f"id: {V1_OPEN}", "id: 20260607-223233-other")
    edit(ticket_dir(v1, V1_OPEN) / "item.md", "title: Parse", "title: v1: Parse")  # YT121
    found_codes |= {d.code for d in diagnose(v1)}  # YT110, YT114, YT121
    escaped = tmp_path / "escaped"  # a store that is not read at all: a workspace of its own
    (escaped / ".yoi").mkdir(parents=True)
    (escaped / STORE).symlink_to(store)
    found_codes |= {d.code for d in diagnose(escaped)}  # YT122
    assert found_codes == {r.code for r in RULES if r.code.startswith(("YT1", "YT2"))}
    for diagnostic in [*diagnose(workspace), *diagnose(v1), *diagnose(escaped)]:
        assert diagnostic.hint, f"{diagnostic.code} {diagnostic.message!r} has no hint"
