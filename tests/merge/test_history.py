"""Lost events across a history (``doctor --merges RANGE``, YT505/YT506) on real git
histories resolved by hand: one side wins, a partial union, an edited event, a ticket moved
between layouts, an octopus merge, ranges without merges; in SHA-1 and SHA-256
repositories alike."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT, git
from harness.history import (
    A1,
    A2,
    B1,
    ITEM,
    OTHER,
    STORE,
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
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic

pytestmark = pytest.mark.usefixtures("git_object_format")

B2 = event("2026-06-08T12:00:00Z", "Merged it.", author="bob")


def yt5(workspace: Path, **options: Any) -> list[Diagnostic]:
    selected = DoctorOptions(select=("YT505", "YT506"), no_local=True, **options)
    return run_doctor(workspace, selected).diagnostics


def codes(diagnostics: list[Diagnostic]) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in diagnostics]


def line_of(text: str, block: str) -> int:
    [number] = [n for n, line in enumerate(text.split("\n"), 1) if line == header(block)]
    return number


def doctor(workspace: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "doctor", "--no-local", *args],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def both_sides(repo: Path, ours: list[str], theirs: list[str]) -> None:
    """``topic`` appends ``theirs`` to TICKET's thread, ``main`` appends ``ours``."""
    on_branch(repo, "topic", lambda r: [add_event(r, block) for block in theirs])
    for block in ours:
        add_event(repo, block)
    commit_all(repo, "main's events")


def union(*blocks: str) -> Any:
    """A resolution: the merge base's thread plus ``blocks``; item.md as topic has it."""

    def resolve(repo: Path) -> None:
        base = git(repo, "merge-base", "HEAD", "topic").stdout.strip()
        write(repo, THREAD, show(repo, base, THREAD) + "".join(blocks))
        write(repo, ITEM, show(repo, "topic", ITEM))

    return resolve


# ---------------------------------------------------------------- one side wins


def test_repositories_use_the_object_format_of_the_run(
    tmp_path: Path, git_object_format: str
) -> None:
    repo = store_repo(tmp_path)
    assert git(repo, "rev-parse", "--show-object-format").stdout.strip() == git_object_format
    assert len(rev(repo, "HEAD")) == {"sha1": 40, "sha256": 64}[git_object_format]


def test_first_parent_wins_drops_the_second_parents_event(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1], [B1])
    merge = merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    topic = rev(repo, "topic")
    [lost] = yt5(repo, merges="main")
    assert (lost.code, lost.severity.value, lost.path, lost.line) == (
        "YT505",
        "error",
        THREAD,
        None,
    )
    line = line_of(show(repo, "topic", THREAD), B1)
    assert lost.message == (
        f"merge {merge[:12]} dropped an event of parent 2 ({topic[:12]}, line {line}): {header(B1)}"
    )
    assert lost.hint == (
        f"run 'yoi ticket restore-events {merge[:12]}' (or copy it back from 'git show "
        f"{topic[:12]}:{THREAD}' into thread.md in time order), and commit"
    )
    # --merges finds what --merge-commit finds for that one merge, in the same words.
    [single] = yt5(repo, merge_commit="HEAD")
    assert single.message == lost.message


def test_second_parent_wins_drops_the_first_parents_event(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1], [B1])
    first = rev(repo, "main")
    merge = merge_by_hand(repo, "topic", resolve=keep("topic", THREAD, ITEM))
    [lost] = yt5(repo, merges="main")
    line = line_of(show(repo, first, THREAD), A1)
    assert lost.message == (
        f"merge {merge[:12]} dropped an event of parent 1 ({first[:12]}, line {line}): {header(A1)}"
    )


def test_a_partial_union_reports_only_the_event_it_left_out(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1, A2], [B1, B2])
    merge_by_hand(repo, "topic", resolve=union(A1, B1, A2))
    [lost] = yt5(repo, merges="main")
    assert lost.code == "YT505"
    assert lost.message.endswith(f"): {header(B2)}")
    assert "parent 2" in lost.message


def test_an_event_kept_with_an_edited_body_is_edited_not_dropped(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=union(A1, B1.replace("Looks good.", "Looks fine.")))
    [edited] = yt5(repo, merges="main")
    assert (edited.code, edited.severity.value) == ("YT506", "warning")
    assert edited.message.endswith(f"{header(B1)} (body changes: '-Looks good.'; '+Looks fine.')")


def test_a_merge_that_kept_every_event_is_clean(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=union(A1, B1))
    assert yt5(repo, merges="main") == []


# ---------------------------------------------------------------- moved tickets


def v1_topic_and_migration(tmp_path: Path) -> Path:
    """A v1 store: ``topic`` appends B1 to the v1 ticket, ``main`` moves the ticket to its
    flat v2 folder."""
    repo = store_repo(tmp_path, v1=True)
    on_branch(repo, "topic", lambda r: add_event(r, B1, ticket=V1_TICKET))
    migrate_to_v2(repo)
    commit_all(repo, "store layout v2")
    return repo


def test_a_ticket_moved_from_a_v1_bucket_to_v2_is_followed(tmp_path: Path) -> None:
    repo = v1_topic_and_migration(tmp_path)
    git(repo, "merge", "-q", "--no-edit", "topic")  # git carries B1 to the moved thread
    assert header(B1) in read(repo, thread_path(V1_AS_V2))
    assert yt5(repo, merges="main") == []  # not "every event of the v1 thread lost"


def test_an_event_dropped_from_a_moved_ticket_is_reported_where_the_ticket_went(
    tmp_path: Path,
) -> None:
    repo = v1_topic_and_migration(tmp_path)
    moved = thread_path(V1_AS_V2)
    merge = merge_by_hand(repo, "topic", resolve=keep("main", moved, item_path(V1_AS_V2)))
    topic = rev(repo, "topic")
    old = thread_path(V1_TICKET)
    [lost] = yt5(repo, merges="main")
    assert (lost.code, lost.path) == ("YT505", moved)
    line = line_of(show(repo, "topic", old), B1)
    assert lost.message == (
        f"merge {merge[:12]} dropped an event of parent 2 ({topic[:12]}, line {line} of "
        f"{old}): {header(B1)}"
    )
    assert f"'git show {topic[:12]}:{old}'" in lost.hint


def test_a_merge_that_moves_the_ticket_itself_is_followed(tmp_path: Path) -> None:
    repo = store_repo(tmp_path, v1=True)
    on_branch(repo, "topic", lambda r: add_event(r, B1, ticket=V1_TICKET))
    add_event(repo, A1, ticket=V1_TICKET)
    commit_all(repo, "alice")

    def migrate_keeping_main(repo: Path) -> None:
        keep("main", thread_path(V1_TICKET), item_path(V1_TICKET))(repo)
        git(repo, "add", "-A")  # resolved: now the folder can move
        migrate_to_v2(repo)

    merge_by_hand(repo, "topic", resolve=migrate_keeping_main)
    [lost] = yt5(repo, merges="main")
    assert (lost.code, lost.path) == ("YT505", thread_path(V1_AS_V2))
    assert lost.message.endswith(f"of {thread_path(V1_TICKET)}): {header(B1)}")
    assert "parent 2" in lost.message


# ---------------------------------------------------------------- octopus, ranges


def test_an_octopus_merge_names_the_parent_whose_event_it_dropped(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    on_branch(repo, "one", lambda r: add_event(r, A1))
    on_branch(repo, "two", lambda r: add_event(r, B1, ticket=OTHER))
    main = rev(repo, "main")
    merge = merge_by_hand(repo, "one", "two", resolve=keep(main, thread_path(OTHER)))
    assert len(git(repo, "rev-list", "--parents", "-n", "1", merge).stdout.split()) == 4
    [lost] = yt5(repo, merges="main")
    assert (lost.code, lost.path) == ("YT505", thread_path(OTHER))
    two = rev(repo, "two")
    assert f"dropped an event of parent 3 ({two[:12]}, line " in lost.message


def test_a_range_without_merges_finds_nothing_and_exits_0(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    add_event(repo, A1)
    commit_all(repo, "alice")
    assert yt5(repo, merges="HEAD~1..HEAD") == []
    assert yt5(repo, merges="main..main") == []
    done = doctor(repo, "--select", "YT5", "--merges", "HEAD~1..HEAD")
    assert (done.returncode, done.stderr) == (0, "")


def test_the_range_decides_which_merges_are_checked(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1], [B1])
    bad = merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    on_branch(repo, "later", lambda r: add_event(r, B2, ticket=OTHER))
    add_event(repo, A2)
    commit_all(repo, "carol")
    merge_by_hand(repo, "later", resolve=lambda r: None)  # merged cleanly by git
    assert [d.message[:18] for d in yt5(repo, merges="main")] == [f"merge {bad[:12]}"]
    assert yt5(repo, merges=f"{bad}..main") == []
    assert len(yt5(repo, merges=f"{bad}~1..{bad}")) == 1
    assert yt5(repo) == []  # HEAD, the clean merge, is what a plain run checks


def test_merges_cli_reports_each_merge_and_exits_1(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1], [B1])
    merge = merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    done = doctor(repo, "--select", "YT505", "--merges", "main~1..main", "--format", "github")
    assert done.returncode == 1
    assert done.stdout.startswith(f"::error file={THREAD},title=YT505::merge {merge[:12]} dropped")


# ---------------------------------------------------------------- how git is read


def git_logging(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose ``git`` (first on PATH) logs each subcommand, then runs git."""
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True)
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "git.log"
    (folder / "git").write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {real.stdout.strip()} "$@"\n')
    (folder / "git").chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, log


def test_a_range_costs_a_few_git_processes_whatever_its_number_of_merges(
    tmp_path: Path,
) -> None:
    repo = store_repo(tmp_path)
    times = ("09", "10", "11", "12", "13")
    for number, hour in enumerate(times):
        block = event(f"2026-06-09T{hour}:00:00Z", f"Step {number}.")
        on_branch(repo, f"b{number}", lambda r, block=block: add_event(r, block))
        git(repo, "merge", "-q", "--no-ff", "--no-edit", f"b{number}")
    env, log = git_logging(tmp_path)
    done = doctor(repo, "--select", "YT505", "--select", "YT506", "--merges", "main", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "No problems found (2 tickets checked).\n"
    commands = log.read_text().split()
    # One listing per use of the range, one diff-tree for every merge, one cat-file for
    # every blob; no merge base (nothing was lost), no process per file.
    assert sorted(set(commands)) == ["cat-file", "diff-tree", "rev-list", "rev-parse"]
    assert commands.count("diff-tree") == commands.count("cat-file") == 1
    assert len(commands) <= 6


def test_progress_is_told_about_every_merge(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    for number in range(3):
        on_branch(
            repo,
            f"b{number}",
            lambda r, n=number: add_event(r, event(f"2026-06-09T1{n}:00:00Z", "x")),
        )
        git(repo, "merge", "-q", "--no-ff", "--no-edit", f"b{number}")
    seen: list[tuple[int, int]] = []
    options = DoctorOptions(select=("YT505",), no_local=True, merges="main")
    run_doctor(repo, options, merge_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_a_git_object_that_cannot_be_read_is_an_error_not_a_missing_file(
    tmp_path: Path,
) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    blob = git(repo, "rev-parse", f"topic:./{THREAD}").stdout.strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # a damaged object store
    done = doctor(repo, "--select", "YT505", "--merges", "main")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert blob in done.stderr
    for option in ("--merge-commit", "--merges"):
        done = doctor(repo, "--select", "YT505", option, "HEAD")
        assert (done.returncode, done.stdout) == (2, ""), option


def test_a_cat_file_that_fails_is_an_error(tmp_path: Path) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True)
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "git").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = cat-file ]; then echo "fatal: object store unreadable" >&2; exit 128; fi\n'
        f'exec {real.stdout.strip()} "$@"\n'
    )
    (folder / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}
    done = doctor(repo, "--select", "YT505", "--merge-commit", "HEAD", env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: cannot read the git object '")
    assert done.stderr.rstrip().endswith(": fatal: object store unreadable")


def test_the_store_outside_the_repository_root_is_followed_too(tmp_path: Path) -> None:
    """A workspace in a subfolder of the repository: paths stay workspace-relative."""
    outer = tmp_path / "outer"
    repo = store_repo(outer, name="sub")
    shutil.rmtree(repo / ".git")  # the repository is the folder above the workspace
    git(outer, "init", "-q", "-b", "main")
    git(outer, "add", "-A")
    git(outer, "commit", "-q", "-m", "initial")
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    [lost] = yt5(repo, merges="main")
    assert lost.path == THREAD
    assert f":sub/{THREAD}'" in lost.hint
    assert STORE in lost.path


# ---------------------------------------------------------------- the CI workflow of the docs


def workflow_steps() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The docs' lost-events workflow: its range step and its step using the action; and
    the action's own "Check tickets" step."""
    doc = (REPO_ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    block = doc.split("# .github/workflows/lost-events.yml\n", 1)[1].split("```", 1)[0]
    [job] = yaml.safe_load(block)["jobs"].values()
    [ranged] = [step for step in job["steps"] if step.get("id") == "range"]
    [action] = [step for step in job["steps"] if step.get("uses", "").startswith("OWNER/")]
    steps = yaml.safe_load((REPO_ROOT / "action.yml").read_text(encoding="utf-8"))
    [check] = [step for step in steps["runs"]["steps"] if step.get("name") == "Check tickets"]
    return ranged, action, check


def run_step(repo: Path, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step's shell as the runner runs it, with this environment's ``yoi`` on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo,
        env={**os.environ, "PATH": path, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def push_check(repo: Path, before: str, after: str) -> subprocess.CompletedProcess[str]:
    """The workflow's steps for a push from ``before`` to ``after``."""
    ranged, action, check = workflow_steps()
    assert ranged["env"] == {"BEFORE": "${{ github.event.before }}", "AFTER": "${{ github.sha }}"}
    output = repo.parent / "github-output"
    output.write_text("")
    done = run_step(
        repo, ranged["run"], {"BEFORE": before, "AFTER": after, "GITHUB_OUTPUT": str(output)}
    )
    assert done.returncode == 0, done.stderr
    [line] = output.read_text().splitlines()
    args = action["with"]["args"].replace("${{ steps.range.outputs.range }}", line.split("=", 1)[1])
    env = {"INPUT_WORKSPACE": ".", "INPUT_ARGS": args, "INPUT_FAIL_ON": "error"}
    return run_step(repo, check["run"], env)


@pytest.mark.parametrize("before", ["zeros", "parent", "unknown"])
def test_the_ci_workflow_checks_the_range_a_push_brought(tmp_path: Path, before: str) -> None:
    repo = store_repo(tmp_path)
    both_sides(repo, [A1], [B1])
    merge_by_hand(repo, "topic", resolve=keep("main", THREAD, ITEM))
    head = rev(repo, "HEAD")
    given = {"zeros": "0" * len(head), "parent": rev(repo, "HEAD~1"), "unknown": "1" * len(head)}
    done = push_check(repo, given[before], head)
    assert done.returncode == 1, done.stdout + done.stderr  # the dropped event fails the job
    assert done.stdout.startswith(f"::error file={THREAD},title=YT505::merge {head[:12]} ")
    # The next push brings no merge: the job passes.
    add_event(repo, A2)
    done = push_check(repo, head, commit_all(repo, "carol"))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


# ---------------------------------------------------------------- tickets the merge removed


def test_a_ticket_the_merge_left_out_loses_the_events_nobody_deleted(tmp_path: Path) -> None:
    """``git merge -s ours`` keeps none of the other side: a ticket it added is gone."""
    repo = store_repo(tmp_path)
    new_ticket = f"{STORE}/00001KT0ZZZZZ"

    def create(repo: Path) -> None:
        (repo / new_ticket / "artifacts").mkdir(parents=True)
        write(repo, f"{new_ticket}/item.md", read(repo, ITEM))
        write(repo, f"{new_ticket}/thread.md", B1.lstrip("\n"))
        write(repo, f"{new_ticket}/artifacts/.gitkeep", "")

    on_branch(repo, "topic", create)
    git(repo, "merge", "-q", "-s", "ours", "--no-edit", "topic")
    [lost] = yt5(repo, merges="main")
    assert (lost.code, lost.path) == ("YT505", f"{new_ticket}/thread.md")
    assert lost.message.endswith(f", line 1; the merge removed the thread): {header(B1)}")


def test_a_ticket_deleted_on_one_side_stays_deleted_but_the_others_new_events_count(
    tmp_path: Path,
) -> None:
    repo = store_repo(tmp_path)
    on_branch(repo, "topic", lambda r: add_event(r, B1, ticket=OTHER))
    on_branch(repo, "cleanup", lambda r: git(r, "rm", "-q", "-r", f"{STORE}/{OTHER}"))
    git(repo, "merge", "-q", "--no-edit", "cleanup")  # main deletes OTHER
    assert yt5(repo, merges="main") == []  # untouched elsewhere: deleted on purpose
    merge_by_hand(repo, "topic", resolve=lambda r: git(r, "rm", "-q", "-r", f"{STORE}/{OTHER}"))
    [lost] = yt5(repo, merges="main")  # the base's events were deleted on purpose; B1 not
    assert (lost.code, lost.path) == ("YT505", thread_path(OTHER))
    assert lost.message.endswith(f"; the merge removed the thread): {header(B1)}")
