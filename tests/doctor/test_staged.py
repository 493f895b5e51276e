"""``doctor --staged``: the staged versions of the tickets a commit touches, read from the
git index, plus the store-wide checks a change can break; real repositories and hooks."""

from __future__ import annotations

import json
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import V2, copy_corpus, git, init_repo
from harness.doctor import append_event as harness_append_event
from yoi_ticket.cli.app import ticket_app
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic

STORE = ".yoi/tickets"
TICKET = "00001KSKBPDVG"  # clean: one migration event
OTHER = "00001KSRZA8GR"  # clean
UNTOUCHED_BROKEN = "00001KVZKST83"  # committed with a dangling relation (YT208)
NO_AUTHOR = "<!-- event: comment at: 2026-06-08T09:00:00Z -->"

pytestmark = pytest.mark.usefixtures("git_object_format")  # SHA-1 and SHA-256


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(copy_corpus(V2, tmp_path / "ws"))


def thread_of(workspace: Path, ticket: str = TICKET) -> Path:
    return workspace / STORE / ticket / "thread.md"


def add_event(workspace: Path, header: str, ticket: str = TICKET) -> None:
    """Append an event and bump the item's updated_at to its time, as tools do."""
    harness_append_event(workspace, ticket, header)


def staged(workspace: Path, **options: Any) -> list[Diagnostic]:
    return run_doctor(workspace, DoctorOptions(staged=True, **options)).diagnostics


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int | None]]:
    return [(d.code, d.path, d.line) for d in diagnostics]


def event_line(workspace: Path, header: str, ticket: str = TICKET) -> int:
    blob = git(workspace, "show", f":./{STORE}/{ticket}/thread.md").stdout.split("\n")
    return blob.index(header) + 1


# ---------------------------------------------------------------- staged, not work tree


def test_nothing_staged_means_nothing_reported(repo: Path) -> None:
    add_event(repo, NO_AUTHOR)  # a defect, but not staged
    assert staged(repo) == []


def test_staged_defect_is_reported_and_unstaged_one_ignored(repo: Path) -> None:
    add_event(repo, NO_AUTHOR)
    git(repo, "add", f"{STORE}/{TICKET}")
    add_event(repo, NO_AUTHOR, ticket=OTHER)  # same defect in another ticket, unstaged
    line = event_line(repo, NO_AUTHOR)
    assert found(staged(repo)) == [("YT217", f"{STORE}/{TICKET}/thread.md", line)]


def test_the_index_wins_over_the_work_tree_both_ways(repo: Path) -> None:
    thread = thread_of(repo)
    original = thread.read_text(encoding="utf-8")
    add_event(repo, NO_AUTHOR)
    git(repo, "add", "-A")
    thread.write_text(original, encoding="utf-8")  # fixed in the work tree only
    assert [d.code for d in staged(repo)] == ["YT217"]

    git(repo, "add", "-A")  # now the fix is staged ...
    add_event(repo, "<!-- event: comment author: ok at: 2026-06-08T09:00:00Z -->")
    git(repo, "add", "-A")  # ... plus a good event, which touches the ticket
    add_event(repo, NO_AUTHOR)  # and a new defect that is not staged
    assert staged(repo) == []


def test_untouched_tickets_are_not_read_at_all(repo: Path) -> None:
    add_event(repo, NO_AUTHOR)
    git(repo, "add", "-A")
    for folder in (repo / STORE).iterdir():
        if folder.name != TICKET:
            for item in folder.iterdir():
                if item.is_file():
                    item.chmod(0)
    try:
        assert [d.code for d in staged(repo)] == ["YT217"]
    finally:
        for folder in (repo / STORE).iterdir():
            for item in folder.iterdir():
                if item.is_file():
                    item.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_committed_defects_elsewhere_are_not_reported(repo: Path) -> None:
    add_event(repo, "<!-- event: comment author: ok at: 2026-06-08T09:00:00Z -->")
    git(repo, "add", "-A")
    full = run_doctor(repo, DoctorOptions(no_local=True)).diagnostics
    assert any(d.path.startswith(f"{STORE}/{UNTOUCHED_BROKEN}/") for d in full)
    assert staged(repo) == []


def test_conflict_markers_staged_by_mistake(repo: Path) -> None:
    thread = thread_of(repo)
    text = thread.read_text(encoding="utf-8")
    thread.write_text(text + "<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> topic\n", "utf-8")
    git(repo, "add", "-A")
    line = len(text.split("\n"))
    assert ("YT502", f"{STORE}/{TICKET}/thread.md", line) in found(staged(repo))


def test_leftover_merge_file_staged(repo: Path) -> None:
    orig = thread_of(repo).with_name("thread.md.orig")
    orig.write_text("old\n")
    untracked = thread_of(repo, OTHER).with_name("thread.md.orig")
    untracked.write_text("old\n")  # not staged: not part of the commit
    git(repo, "add", str(orig))
    assert found(staged(repo)) == [("YT503", f"{STORE}/{TICKET}/thread.md.orig", None)]


# ---------------------------------------------------------------- store-wide checks


def test_new_ticket_with_a_dangling_relation(repo: Path) -> None:
    folder = repo / STORE / "00001KZZZZZZZ"
    shutil.copytree(repo / STORE / TICKET, folder)
    (folder / "artifacts" / "relations.json").write_text(
        json.dumps(
            {
                "version": 1,
                "relations": [
                    {
                        "ticket_id": "00001KZZZZZZZ",
                        "kind": "depends_on",
                        "target": "00001KNOSUCH0",
                        "note": "",
                        "author": "a",
                        "at": "2026-06-08T09:00:00Z",
                    }
                ],
            },
            indent=2,
        )
    )
    git(repo, "add", "-A")
    assert [(d.code, d.path) for d in staged(repo)] == [
        ("YT208", f"{STORE}/00001KZZZZZZZ/artifacts/relations.json")
    ]


def test_removing_a_ticket_others_depend_on(repo: Path) -> None:
    git(repo, "rm", "-r", "-q", f"{STORE}/00001KVZSGT0Q")
    diagnostics = staged(repo)
    assert [(d.code, d.path) for d in diagnostics] == [
        ("YT208", f"{STORE}/00001KVZ9JGK0/artifacts/relations.json"),
        ("YT208", f"{STORE}/00001KW04A8K6/artifacts/relations.json"),
    ]
    assert all("'00001KVZSGT0Q'" in d.message for d in diagnostics)


def test_removing_a_ticket_from_the_index_only_is_a_removal(repo: Path) -> None:
    """``git rm --cached``: the folder stays in the work tree, but the commit drops it."""
    git(repo, "rm", "-r", "-q", "--cached", f"{STORE}/00001KVZSGT0Q")
    assert (repo / STORE / "00001KVZSGT0Q").is_dir()
    assert [(d.code, d.path) for d in staged(repo)] == [
        ("YT208", f"{STORE}/00001KVZ9JGK0/artifacts/relations.json"),
        ("YT208", f"{STORE}/00001KW04A8K6/artifacts/relations.json"),
    ]


def test_duplicate_id_created_by_the_commit(repo: Path) -> None:
    shutil.copytree(repo / STORE / TICKET, repo / STORE / "closed" / TICKET)
    git(repo, "add", "-A")
    assert [(d.code, d.path) for d in staged(repo)] == [
        ("YT109", f"{STORE}/closed"),
        ("YT112", f"{STORE}/closed/{TICKET}"),
    ]


def test_moving_a_ticket_is_not_a_removal(repo: Path) -> None:
    (repo / STORE / "closed").mkdir()
    git(repo, "mv", f"{STORE}/00001KVZSGT0Q", f"{STORE}/closed/00001KVZSGT0Q")
    assert [(d.code, d.path) for d in staged(repo)] == [("YT109", f"{STORE}/closed")]


# ---------------------------------------------------------------- git situations


def test_first_commit_of_a_repository(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"), commit=False)
    add_event(workspace, NO_AUTHOR)
    git(workspace, "add", "-A")
    codes = {d.code for d in staged(workspace)}
    assert "YT217" in codes
    assert "YT208" in codes  # the whole store is new, so its dangling relations count


def test_workspace_in_a_subdirectory_of_the_repository(tmp_path: Path) -> None:
    top = tmp_path / "top"
    copy_corpus(V2, top / "sub" / "ws")
    init_repo(top)
    workspace = top / "sub" / "ws"
    add_event(workspace, NO_AUTHOR)
    git(top, "add", "-A")
    line = event_line(workspace, NO_AUTHOR)
    assert found(staged(workspace)) == [("YT217", f"{STORE}/{TICKET}/thread.md", line)]


def test_unmerged_entries_are_reported(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "topic")
    add_event(repo, "<!-- event: comment author: bob at: 2026-06-08T10:00:00Z -->")
    git(repo, "commit", "-q", "-am", "bob")
    git(repo, "checkout", "-q", "main")
    add_event(repo, "<!-- event: comment author: alice at: 2026-06-08T09:00:00Z -->")
    git(repo, "commit", "-q", "-am", "alice")
    assert git(repo, "merge", "topic", check=False).returncode == 1
    codes = [(d.code, d.path) for d in staged(repo)]
    assert ("YT501", f"{STORE}/{TICKET}/thread.md") in codes


def test_merge_being_committed_that_drops_events(repo: Path) -> None:
    bob = "<!-- event: review author: bob at: 2026-06-08T10:00:00Z status: approve -->"
    git(repo, "checkout", "-q", "-b", "topic")
    add_event(repo, bob)
    git(repo, "commit", "-q", "-am", "bob")
    git(repo, "checkout", "-q", "main")
    add_event(repo, "<!-- event: comment author: alice at: 2026-06-08T09:00:00Z -->")
    git(repo, "commit", "-q", "-am", "alice")
    assert git(repo, "merge", "topic", check=False).returncode == 1
    git(repo, "checkout", "--ours", "--", f"{STORE}/{TICKET}/thread.md")
    git(repo, "checkout", "--theirs", "--", f"{STORE}/{TICKET}/item.md")  # the later time
    git(repo, "add", "-A")
    [lost] = staged(repo)
    assert lost.code == "YT505"
    assert lost.message.startswith("the merge being committed dropped an event of parent 2 (")
    assert lost.message.endswith(f"): {bob}")


def test_staged_with_against(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "topic")
    add_event(repo, "<!-- event: comment author: bob at: 2026-06-08T10:00:00Z -->")
    git(repo, "commit", "-q", "-am", "bob")
    git(repo, "checkout", "-q", "main")
    add_event(repo, NO_AUTHOR)
    git(repo, "commit", "-q", "-am", "anonymous")
    add_event(repo, NO_AUTHOR, ticket=OTHER)
    git(repo, "add", "-A")
    found_codes = {(d.code, d.path) for d in staged(repo, against="topic")}
    assert found_codes == {
        ("YT217", f"{STORE}/{OTHER}/thread.md"),  # staged
        ("YT504", f"{STORE}/{TICKET}/item.md"),  # committed on both branches
        ("YT504", f"{STORE}/{TICKET}/thread.md"),
    }
    code = CliRunner().invoke(
        ticket_app, ["doctor", "--workspace", str(repo), "--staged", "--against", "nope"]
    )
    assert code.exit_code == 2
    assert code.stderr == "error: --against nope: not a commit in this repository\n"


# ------------------------------------------- machine-local paths: as in the work-tree run

READY = "00001KVZSGT14"  # has relations.json
CLOSED = "00001KSKBPHRG"  # has resolution.md
NOTE = '"note": "Remote Runtime routing needs the REST command API.",'


def work_tree(workspace: Path, *select: str) -> list[Diagnostic]:
    return run_doctor(workspace, DoctorOptions(select=select, no_local=True)).diagnostics


def staged_line(workspace: Path, path: str, needle: str) -> int:
    """The line of the staged blob of ``path`` that holds ``needle``."""
    blob = git(workspace, "show", f":./{path}").stdout.split("\n")
    return next(number for number, text in enumerate(blob, start=1) if needle in text)


def test_staged_path_in_relations_points_at_its_relations_json_line(repo: Path) -> None:
    relations = f"{STORE}/{READY}/artifacts/relations.json"
    file = repo / relations
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace(NOTE, '"note": "see /home/alice/src/repo/notes.txt",'), "utf-8")
    git(repo, "add", relations)
    line = staged_line(repo, relations, '"note": "see /home/alice')
    target = staged_line(repo, relations, '"target": "00001KVZKSTE2"')
    assert target == line - 1  # the relation's own line, which a run without the file gives
    expected = [("YT304", relations, line)]  # a note is free text (issue 14)
    assert found(work_tree(repo, "YT3")) == expected
    assert found(staged(repo, select=("YT3",))) == expected
    # The line is the staged file's: an unstaged edit that moves every line does not count.
    file.write_text("\n\n" + file.read_text(encoding="utf-8"), "utf-8")
    assert found(work_tree(repo, "YT3")) == [("YT304", relations, line + 2)]
    assert found(staged(repo, select=("YT3",))) == expected


def test_staged_resolution_md_is_checked_for_machine_local_paths(repo: Path) -> None:
    resolution = f"{STORE}/{CLOSED}/resolution.md"
    file = repo / resolution
    clean = file.read_text(encoding="utf-8")
    leaked = clean + "\nBuilt in /Users/bob/src/repo.\n"
    file.write_text(leaked, "utf-8")
    git(repo, "add", resolution)
    expected = [("YT304", resolution, staged_line(repo, resolution, "Built in /Users/bob"))]
    assert found(work_tree(repo, "YT3")) == expected
    assert found(staged(repo, select=("YT3",))) == expected
    file.write_text(clean, "utf-8")  # fixed in the work tree only: the commit still has it
    assert work_tree(repo, "YT3") == []
    assert found(staged(repo, select=("YT3",))) == expected
    git(repo, "add", resolution)
    file.write_text(leaked, "utf-8")  # leaked in the work tree only: not in the commit
    assert staged(repo, select=("YT3",)) == []


def test_staged_conflict_block_in_resolution_md(repo: Path) -> None:
    """YT502 and YT304 read resolution.md through the same source: both see the index."""
    resolution = f"{STORE}/{CLOSED}/resolution.md"
    file = repo / resolution
    clean = file.read_text(encoding="utf-8")
    file.write_text(clean + "<<<<<<< HEAD\n/home/bob/a\n=======\nb\n>>>>>>> topic\n", "utf-8")
    git(repo, "add", resolution)
    file.write_text(clean, "utf-8")
    opening = staged_line(repo, resolution, "<<<<<<< HEAD")
    assert found(staged(repo, select=("YT304", "YT502"))) == [
        ("YT502", resolution, opening),
        ("YT304", resolution, opening + 1),
    ]


# ---------------------------------------------------------------- inside real git hooks


@pytest.fixture
def hooked(repo: Path) -> Iterator[Path]:
    """``repo`` with a plain git pre-commit hook that runs ``doctor --staged``."""
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m yoi_ticket doctor --staged\n')
    hook.chmod(0o755)
    yield repo


def test_hook_refuses_a_commit_with_a_staged_defect(hooked: Path) -> None:
    add_event(hooked, NO_AUTHOR)
    git(hooked, "add", "-A")
    done = git(hooked, "commit", "-m", "broken", check=False)
    assert done.returncode == 1
    assert "YT217" in done.stderr  # git shows hook output on stderr
    add_event(hooked, "<!-- event: comment author: ok at: 2026-06-08T09:00:00Z -->", OTHER)
    git(hooked, "reset", "-q")
    git(hooked, "add", f"{STORE}/{OTHER}")
    assert git(hooked, "commit", "-q", "-m", "fine", check=False).returncode == 0


def test_hook_sees_what_commit_all_would_record(hooked: Path) -> None:
    """``git commit -a`` runs the hook on a temporary index (GIT_INDEX_FILE)."""
    add_event(hooked, NO_AUTHOR)  # modified, not staged
    done = git(hooked, "commit", "-a", "-m", "broken", check=False)
    assert done.returncode == 1
    assert "YT217" in done.stderr


def test_hook_sees_what_a_partial_commit_records(hooked: Path) -> None:
    """``git commit -- path`` commits the work tree file of one ticket only."""
    add_event(hooked, NO_AUTHOR, ticket=OTHER)
    git(hooked, "add", "-A")  # broken OTHER is staged but not part of the partial commit
    add_event(hooked, "<!-- event: comment author: ok at: 2026-06-08T09:00:00Z -->")
    path = f"{STORE}/{TICKET}/thread.md"
    done = git(hooked, "commit", "-m", "fine", "--", path, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_staged_json_and_exit_codes(repo: Path) -> None:
    runner = CliRunner()
    args = ["doctor", "--workspace", str(repo), "--staged", "--format", "json"]
    clean = runner.invoke(ticket_app, args)
    assert clean.exit_code == 0
    assert json.loads(clean.stdout)["diagnostics"] == []
    add_event(repo, NO_AUTHOR)
    git(repo, "add", "-A")
    broken = runner.invoke(ticket_app, args)
    assert broken.exit_code == 1
    report = json.loads(broken.stdout)
    assert [d["code"] for d in report["diagnostics"]] == ["YT217"]


def test_environment_of_git_is_respected(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIT_INDEX_FILE names the index to check, as git sets it for hooks."""
    other_index = tmp_path / "other-index"
    shutil.copyfile(repo / ".git" / "index", other_index)
    add_event(repo, NO_AUTHOR)
    with monkeypatch.context() as patch:
        patch.setenv("GIT_INDEX_FILE", str(other_index))
        git(repo, "add", "-A")  # staged in the other index only
        assert [d.code for d in staged(repo)] == ["YT217"]
    assert staged(repo) == []
