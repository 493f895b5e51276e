"""``yoi ticket restore-events`` on real git histories, in SHA-1 and SHA-256 repositories:
events back in time order, byte for byte, separators and ``updated_at`` as the rules say,
``--dry-run`` as an applicable diff, never a commit, a second run that changes nothing, and
threads it must not touch left alone with a diagnostic."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import Result

from conftest import git
from harness.cli import run
from harness.history import (
    A1,
    A2,
    B1,
    ITEM,
    OTHER,
    THREAD,
    V1_AS_V2,
    V1_TICKET,
    add_event,
    commit_all,
    event,
    header,
    item_path,
    keep,
    merge_by_hand,
    migrate_to_v2,
    on_branch,
    read,
    rev,
    show,
    store_repo,
    thread_path,
    write,
)
from yoi_ticket.git import open_repo
from yoi_ticket.merge.history import merges_given
from yoi_ticket.merge.restore import apply_plan, plan_restore

pytestmark = pytest.mark.usefixtures("git_object_format")

SAME = event("2026-06-08T09:00:00Z", "At the same second.", author="bob")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The two-ticket store; the tests run from the workspace (paths print as typed)."""
    workspace = store_repo(tmp_path)
    monkeypatch.chdir(workspace)
    return workspace


def both_sides(repo: Path, ours: list[str], theirs: list[str], ticket: str | None = None) -> None:
    extra = {"ticket": ticket} if ticket else {}
    on_branch(repo, "topic", lambda r: [add_event(r, block, **extra) for block in theirs])
    for block in ours:
        add_event(repo, block, **extra)
    commit_all(repo, "main's events")


def restore(repo: Path, *args: str) -> Result:
    return run(repo, "restore-events", *args)


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain").stdout


# ---------------------------------------------------------------- what goes back, and where


def test_the_second_parents_event_goes_back_after_the_first_parents(repo: Path) -> None:
    original = read(repo, THREAD)
    both_sides(repo, [A1], [B1])
    merge = merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    topic = rev(repo, "topic")
    head = rev(repo, "HEAD")
    result = restore(repo, "HEAD")
    assert result.exit_code == 0, result.output
    assert read(repo, THREAD) == original + A1 + B1  # byte for byte, separators intact
    assert read(repo, ITEM) == show(repo, "topic", ITEM)  # updated_at took B1's time, quoted
    assert result.stdout.splitlines() == [
        f"restored {THREAD}: {header(B1)} (dropped by merge {merge[:12]} from parent 2, "
        f"{topic[:12]})",
        f"set {ITEM}: updated_at 2026-06-08T09:00:00Z -> 2026-06-08T10:00:00Z",
        "Restored 1 event(s) (1 merge checked).",
        "Changed 2 file(s), not committed:",
        f"  {THREAD}",
        f"  {ITEM}",
        "Next:",
        f"  git diff -- {THREAD} {ITEM}",
        f"  git commit -m 'Restore thread events dropped by merges' -- {THREAD} {ITEM}",
    ]
    assert result.stderr == ""
    assert rev(repo, "HEAD") == head  # never commits
    assert status(repo) == f" M {ITEM}\n M {THREAD}\n"


def test_an_older_event_goes_back_before_later_ones_and_updated_at_stays(repo: Path) -> None:
    original = read(repo, THREAD)
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("topic", THREAD, ITEM))
    item = read(repo, ITEM)
    result = restore(repo, "HEAD")
    assert result.exit_code == 0, result.output
    assert read(repo, THREAD) == original + A1 + B1
    assert read(repo, ITEM) == item  # A1 is older than updated_at: left alone
    assert status(repo) == f" M {THREAD}\n"
    assert "updated_at" not in result.stdout


def test_an_event_of_the_same_time_goes_after_the_existing_one(repo: Path) -> None:
    original = read(repo, THREAD)
    both_sides(repo, [A1, A2], [SAME])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    assert restore(repo, "HEAD").exit_code == 0
    assert read(repo, THREAD) == original + A1 + SAME + A2


def test_the_parents_last_event_gets_a_separator_in_the_middle(repo: Path) -> None:
    original = read(repo, THREAD)
    bare = B1.removesuffix("\n---\n")  # topic's last event, written without a separator
    on_branch(repo, "topic", lambda r: write(r, THREAD, original + bare))
    add_event(repo, A1)
    add_event(repo, A2)
    commit_all(repo, "main's events")
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    assert restore(repo, "HEAD").exit_code == 0
    assert read(repo, THREAD) == original + A1 + B1 + A2


def test_the_threads_last_event_gets_a_separator_before_a_restored_one(repo: Path) -> None:
    original = read(repo, THREAD)
    both_sides(repo, [A1], [B1])

    def unseparated(repo: Path) -> None:
        write(repo, THREAD, original + A1.removesuffix("\n---\n"))
        keep("main", ITEM)(repo)

    merge_by_hand(repo, "topic", resolve=unseparated)
    assert restore(repo, "HEAD").exit_code == 0
    assert read(repo, THREAD) == original + A1 + B1


def test_dry_run_prints_a_diff_that_git_applies_and_changes_nothing(repo: Path) -> None:
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    before = (read(repo, THREAD), read(repo, ITEM))
    result = restore(repo, "HEAD", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (read(repo, THREAD), read(repo, ITEM)) == before
    assert status(repo) == ""
    assert result.stdout.startswith(f"--- a/{THREAD}\n+++ b/{THREAD}\n@@ ")
    assert f"+{header(B1)}\n" in result.stdout
    assert '-updated_at: "2026-06-08T09:00:00Z"\n+updated_at: "2026-06-08T10:00:00Z"\n' in (
        result.stdout
    )
    assert f"would restore {THREAD}: {header(B1)}" in result.stderr
    (repo.parent / "restore.diff").write_text(result.stdout, encoding="utf-8")
    git(repo, "apply", str(repo.parent / "restore.diff"))
    applied = (read(repo, THREAD), read(repo, ITEM))
    git(repo, "checkout", "--", ".")
    assert restore(repo, "HEAD").exit_code == 0
    assert (read(repo, THREAD), read(repo, ITEM)) == applied


def test_a_second_run_changes_nothing(repo: Path) -> None:
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    assert restore(repo, "HEAD").exit_code == 0
    after = (read(repo, THREAD), read(repo, ITEM))
    again = restore(repo, "HEAD")
    assert again.exit_code == 0
    assert again.stdout == "Nothing to restore (1 merge checked; 1 already in the work tree).\n"
    assert (read(repo, THREAD), read(repo, ITEM)) == after
    assert restore(repo, "HEAD", "--dry-run").stdout == ""


# ---------------------------------------------------------------- ranges, octopus, moves


def test_a_range_restores_every_merges_events_octopus_included(repo: Path) -> None:
    original, other = read(repo, THREAD), read(repo, thread_path(OTHER))
    initial = rev(repo, "HEAD")
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    on_branch(repo, "one", lambda r: add_event(r, A2))
    late = event("2026-06-21T08:00:00Z", "Reopened?", author="dan")
    on_branch(repo, "two", lambda r: add_event(r, late, ticket=OTHER))
    main = rev(repo, "main")
    merge_by_hand(repo, "one", "two", resolve=keep(main, thread_path(OTHER)))
    result = restore(repo, f"{initial}..main")
    assert result.exit_code == 0, result.output
    assert read(repo, THREAD) == original + A1 + B1 + A2
    assert read(repo, thread_path(OTHER)) == other + late
    assert "Restored 2 event(s) (2 merges checked)." in result.stdout


def test_a_range_without_merges_has_nothing_to_restore(repo: Path) -> None:
    add_event(repo, A1)
    commit_all(repo, "alice")
    result = restore(repo, "HEAD~1..HEAD")
    assert (result.exit_code, result.stdout) == (0, "Nothing to restore (0 merges checked).\n")
    assert status(repo) == ""


def test_a_ticket_moved_since_the_merge_gets_its_event_back_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = store_repo(tmp_path, v1=True)
    monkeypatch.chdir(workspace)
    original = read(workspace, thread_path(V1_TICKET))
    both_sides(workspace, [A1], [B1], ticket=V1_TICKET)
    merge = merge_by_hand(
        workspace, "topic", resolve=keep("main", thread_path(V1_TICKET), item_path(V1_TICKET))
    )
    migrate_to_v2(workspace)
    commit_all(workspace, "store layout v2")
    result = restore(workspace, merge)
    assert result.exit_code == 0, result.output
    assert read(workspace, thread_path(V1_AS_V2)) == original + A1 + B1
    assert "updated_at: '2026-06-08T10:00:00Z'\n" in read(workspace, item_path(V1_AS_V2))
    assert result.stdout.startswith(f"restored {thread_path(V1_AS_V2)}: {header(B1)}")


# ---------------------------------------------------------------- left alone, with a reason


def test_a_thread_that_no_longer_parses_is_skipped(repo: Path) -> None:
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    broken = read(repo, THREAD) + "\n<!-- event: comment author: eve at: 2026-06-09T00:00:00Z\n"
    write(repo, THREAD, broken)
    item = read(repo, ITEM)
    result = restore(repo, "HEAD")
    assert result.exit_code == 1
    line = broken.count("\n")
    assert result.stderr == (
        f"skipped {THREAD}: {header(B1)}: line {line}: header comment is not closed by ' -->' "
        "on the same line; not rewritten\n"
    )
    assert result.stdout == "Nothing to restore (1 merge checked).\n"
    assert (read(repo, THREAD), read(repo, ITEM)) == (broken, item)


def test_a_thread_with_a_conflict_block_is_skipped(repo: Path) -> None:
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    conflicted = read(repo, THREAD) + "<<<<<<< ours\nx\n=======\ny\n>>>>>>> theirs\n"
    write(repo, THREAD, conflicted)
    result = restore(repo, "HEAD")
    assert result.exit_code == 1
    assert "holds a conflict block (line " in result.stderr
    assert read(repo, THREAD) == conflicted


def test_an_event_the_thread_holds_in_an_edited_form_is_skipped(repo: Path) -> None:
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    edited = read(repo, THREAD) + B1.replace("Looks good.", "Looks good to me.")
    write(repo, THREAD, edited)
    result = restore(repo, "HEAD")
    assert result.exit_code == 1
    line = edited.split("\n").index(header(B1)) + 1
    assert result.stderr == (
        f"skipped {THREAD}: {header(B1)}: the thread holds this event in an edited form "
        f"(line {line}); not replaced\n"
    )
    assert read(repo, THREAD) == edited


def test_a_ticket_gone_from_the_work_tree_is_skipped(repo: Path) -> None:
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    git(repo, "rm", "-q", "-r", THREAD.rsplit("/", 1)[0])
    commit_all(repo, "ticket removed")
    result = restore(repo, "HEAD~1")
    assert result.exit_code == 1
    assert result.stderr == (
        f"skipped {THREAD}: {header(B1)}: the ticket is not in the work tree any more "
        "(no thread holds its events)\n"
    )
    assert status(repo) == ""


def test_a_thread_with_crlf_line_ends_is_not_rewritten(repo: Path) -> None:
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    crlf = read(repo, THREAD).replace("\n", "\r\n").encode()
    (repo / THREAD).write_bytes(crlf)
    result = restore(repo, "HEAD")
    assert result.exit_code == 1
    assert "holds CR bytes (only plain UTF-8 with LF line ends is rewritten)" in result.stderr
    assert (repo / THREAD).read_bytes() == crlf


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("HEAD~1", "error: HEAD~1: not a merge commit (it has one parent)"),
        ("nothere", "error: nothere: not a commit in this repository"),
        ("nothere..HEAD", "error: range nothere..HEAD: not a revision range of this repository"),
    ],
)
def test_what_is_not_a_merge_or_a_range_is_a_usage_error(
    repo: Path, given: str, message: str
) -> None:
    add_event(repo, A1)
    commit_all(repo, "alice")
    result = restore(repo, given)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert status(repo) == ""


def test_outside_a_git_repository_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "plain"
    (workspace / ".yoi" / "tickets").mkdir(parents=True)
    monkeypatch.chdir(workspace)
    result = restore(workspace, "main~3..main")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: restore-events needs a git repository, and {workspace} is not inside one\n"
    )


def test_a_thread_changed_between_planning_and_writing_is_left_alone(repo: Path) -> None:
    """Nothing is written over a change made meanwhile; its item.md is left alone too."""
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    opened = open_repo(repo)
    assert opened is not None
    try:
        plan = plan_restore(repo, opened, merges_given(opened, ["HEAD"]))
    finally:
        opened.close()
    assert [edit.path for edit in plan.edits] == [THREAD, ITEM]
    meanwhile = read(repo, THREAD) + A2  # someone appends an event meanwhile
    write(repo, THREAD, meanwhile)
    item = read(repo, ITEM)
    assert apply_plan(repo, plan) == []
    assert (read(repo, THREAD), read(repo, ITEM)) == (meanwhile, item)
    assert [(s.path, s.reason) for s in plan.skipped] == [
        (THREAD, "changed while restoring; left alone"),
        (ITEM, f"left alone: {THREAD} was not rewritten"),
    ]
