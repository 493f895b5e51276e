"""YT5xx on real git repositories: conflicted merges, committed markers, leftover merge
files, ``--against`` and lost events; plus the conflict-block scanner on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import V2, copy_corpus, git, init_repo
from harness.doctor import append_event as harness_append_event
from harness.doctor import fingerprint, sarif_document, sarif_result, sarif_rule
from yoi_ticket.cli.app import ticket_app
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.merge.conflicts import find_conflict_blocks, lost_events
from yoi_ticket.store.thread import Event, parse_thread

# The tests that read git objects or git's object ids run in SHA-1 and SHA-256 repositories.
BOTH_FORMATS = pytest.mark.usefixtures("git_object_format")
STORE = ".yoi/tickets"
TICKET = "00001KSKBPDVG"  # planning, one migration event, no artifacts
OTHER = "00001KSRZA8GR"
THREAD = f"{STORE}/{TICKET}/thread.md"
ITEM = f"{STORE}/{TICKET}/item.md"
ALICE = "<!-- event: comment author: alice at: 2026-06-08T09:00:00Z -->"
BOB = "<!-- event: review author: bob at: 2026-06-08T10:00:00Z status: approve -->"
CAROL = "<!-- event: decision author: carol at: 2026-06-08T11:00:00Z -->"


@pytest.fixture(autouse=True)
def fixed_git_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commit ids do not depend on the clock."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-06-08T12:00:00Z")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-06-08T12:00:00Z")


# ---------------------------------------------------------------- helpers


def append_event(workspace: Path, header: str, body: str, ticket: str = TICKET) -> None:
    """Append an event to the ticket's thread and bump updated_at to its time."""
    assert harness_append_event(workspace, ticket, header, body)


def commit_all(workspace: Path, message: str) -> None:
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The v2 corpus in a git repository with two branches that both append an event to
    TICKET's thread and bump its updated_at; ``main`` is checked out (alice's side)."""
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    git(workspace, "checkout", "-q", "-b", "topic")
    append_event(workspace, BOB, "Looks good.")
    commit_all(workspace, "bob reviews")
    git(workspace, "checkout", "-q", "main")
    append_event(workspace, ALICE, "Started on it.")
    commit_all(workspace, "alice comments")
    return workspace


def merge_topic(workspace: Path, *config: str) -> subprocess.CompletedProcess[str]:
    args = [arg for item in config for arg in ("-c", item)]
    done = git(workspace, *args, "merge", "-q", "topic", check=False)
    assert done.returncode == 1, done.stdout + done.stderr  # stopped on conflicts
    return done


def yt5(workspace: Path, **options: Any) -> list[Diagnostic]:
    return run_doctor(
        workspace,
        DoctorOptions(select=("YT5",), no_local=True, **options),
    ).diagnostics


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, str, str, int | None]]:
    return [(d.code, d.severity.value, d.path, d.line) for d in diagnostics]


def marker_lines(path: Path, marker: str = "<<<<<<< ") -> list[int]:
    lines = path.read_text(encoding="utf-8").split("\n")
    return [number for number, line in enumerate(lines, start=1) if line.startswith(marker)]


def doctor_cli(workspace: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(ticket_app, ["doctor", "--workspace", str(workspace), *args])
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- a merge stopped on conflicts


@BOTH_FORMATS
def test_conflicted_merge_reports_unmerged_entries_and_conflict_blocks(repo: Path) -> None:
    merge_topic(repo)
    [thread_line] = marker_lines(repo / THREAD)
    [item_line] = marker_lines(repo / ITEM)
    assert found(yt5(repo)) == [
        ("YT501", "error", ITEM, None),
        ("YT502", "error", ITEM, item_line),
        ("YT501", "error", THREAD, None),
        ("YT502", "error", THREAD, thread_line),
    ]
    by_code = {(d.code, d.path): d for d in yt5(repo)}
    assert "both modified" in by_code[("YT501", THREAD)].message
    assert by_code[("YT501", THREAD)].hint == (
        f"resolve {THREAD}, then 'git add {THREAD}'; or 'git merge --abort'"
    )
    message = by_code[("YT502", THREAD)].message
    assert message.startswith("conflict block left in the file (HEAD / topic, lines ")
    assert "diff3" not in message


def test_diff3_conflict_style_is_recognised(repo: Path) -> None:
    merge_topic(repo, "merge.conflictStyle=diff3")
    assert marker_lines(repo / THREAD, "||||||| ")  # git really wrote a base section
    [thread_line] = marker_lines(repo / THREAD)
    blocks = {(d.code, d.path): d for d in yt5(repo)}
    assert blocks[("YT502", THREAD)].line == thread_line
    assert "(diff3 style)" in blocks[("YT502", THREAD)].message
    assert ("YT501", THREAD) in blocks


def test_zdiff3_conflict_style_is_recognised(repo: Path) -> None:
    merge_topic(repo, "merge.conflictStyle=zdiff3")
    [thread_line] = marker_lines(repo / THREAD)
    assert ("YT502", "error", THREAD, thread_line) in found(yt5(repo))


def test_markers_committed_by_mistake_are_reported_from_the_committed_file(repo: Path) -> None:
    merge_topic(repo)
    commit_all(repo, "merge topic (markers left in)")
    assert git(repo, "ls-files", "-u").stdout == ""
    assert git(repo, "status", "--porcelain").stdout == ""
    [thread_line] = marker_lines(repo / THREAD)
    [item_line] = marker_lines(repo / ITEM)
    codes = found(yt5(repo))
    assert ("YT502", "error", THREAD, thread_line) in codes
    assert ("YT502", "error", ITEM, item_line) in codes
    assert not [c for c in codes if c[0] == "YT501"]


def test_cli_exits_1_on_a_conflicted_merge(repo: Path) -> None:
    merge_topic(repo)
    code, out, _ = doctor_cli(repo, "--select", "YT5", "--no-local", "--format", "json")
    assert code == 1
    assert {d["code"] for d in json.loads(out)["diagnostics"]} == {"YT501", "YT502"}


def test_resolved_merge_keeping_both_events_is_clean(repo: Path) -> None:
    merge_topic(repo)
    resolve_keeping(repo, ALICE, BOB)
    assert yt5(repo) == []


# ---------------------------------------------------------------- conflict blocks (no git needed)


def test_markdown_heading_underline_is_not_a_conflict(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    item = workspace / ITEM
    item.write_text(
        item.read_text(encoding="utf-8") + "\nResult\n=======\n\nMore text.\n\n=======\n",
        encoding="utf-8",
    )
    thread = workspace / THREAD
    thread.write_text(
        thread.read_text(encoding="utf-8") + "\nNotes\n=======\n\n>>>>>>> quoted\n",
        encoding="utf-8",
    )
    assert yt5(workspace) == []


def test_conflict_in_resolution_and_artifacts_is_found_in_a_plain_directory(
    tmp_path: Path,
) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")  # not a git repository
    folder = workspace / STORE / "00001KSKBPHRG"
    block = "<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> other\n"
    (folder / "resolution.md").write_text("Done.\n\n" + block, encoding="utf-8")
    (folder / "artifacts" / "notes.txt").write_text(block, encoding="utf-8")
    (folder / "artifacts" / "image.bin").write_bytes(b"\0" + block.encode())
    assert found(yt5(workspace)) == [
        ("YT502", "error", f"{STORE}/00001KSKBPHRG/artifacts/notes.txt", 1),
        ("YT502", "error", f"{STORE}/00001KSKBPHRG/resolution.md", 3),
    ]


def test_scanner_whole_blocks_only() -> None:
    text = "\n".join(
        [
            "intro",  # 1
            "<<<<<<< HEAD",  # 2: an opening marker without the rest is not a block
            "stray",
            "<<<<<<<<<< ours",  # 4: a 10-character block, diff3 style
            "a",
            "|||||||||| base",
            "=======",  # a 7-character separator does not close a 10-character block
            "b",
            "==========",
            "c",
            ">>>>>>>>>> theirs",  # 11
            "<<<<<<< x",  # 12
            "Heading",
            "=======",
            "=======",
            ">>>>>>> y",  # 16
            ">>>>>>> z",
        ]
    )
    blocks = find_conflict_blocks(text)
    assert [(b.line, b.end_line, b.marker_size, b.has_base) for b in blocks] == [
        (4, 11, 10, True),
        (12, 16, 7, False),
    ]
    assert (blocks[0].ours, blocks[0].theirs) == ("ours", "theirs")
    assert find_conflict_blocks("<<<<<<< a\n=======\n") == []
    assert find_conflict_blocks("======= x\n<<<<<<< a\n======= label\n>>>>>>> b\n") == []
    assert find_conflict_blocks("<<<<<<<a\n=======\n>>>>>>>b\n") == []


def _line_scan(data: bytes) -> list[int]:
    """What pre-commit-hooks' check-merge-conflict does: a startswith test on every line."""
    patterns = (b"<<<<<<< ", b"======= ", b"=======\r\n", b"=======\n", b">>>>>>> ")
    return [
        number
        for number, line in enumerate(data.splitlines(keepends=True), start=1)
        if line.startswith(patterns)
    ]


@pytest.mark.parametrize("conflicted", [False, True])
def test_scanner_is_at_least_as_fast_as_a_line_scan(conflicted: bool) -> None:
    event = "<!-- event: comment author: a at: 2026-01-01T00:00:00Z -->\n\nSome text.\n\n---\n"
    text = event * 20_000
    if conflicted:
        text += "<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> b\n" + event * 20_000
    data = text.encode()

    def best(function: Callable[[Any], object], argument: Any) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            function(argument)
            times.append(time.perf_counter() - start)
        return min(times)

    assert len(find_conflict_blocks(text)) == int(conflicted)
    assert best(find_conflict_blocks, text) <= best(_line_scan, data)


# ---------------------------------------------------------------- leftover merge files


def test_leftover_merge_files(repo: Path) -> None:
    folder = repo / STORE / TICKET
    (folder / "thread.md.orig").write_text("<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> b\n")
    (folder / "thread_BASE_12345.md").write_text("base\n")
    (folder / "artifacts" / "relations.json.rej").write_text("@@ -1 +1 @@\n")
    (folder / "artifacts" / "plan.REMOTE.jsonl").write_text("{}\n")
    (folder / "artifacts" / "original.md").write_text("not a leftover\n")
    assert found(yt5(repo)) == [
        ("YT503", "warning", f"{STORE}/{TICKET}/artifacts/plan.REMOTE.jsonl", None),
        ("YT503", "warning", f"{STORE}/{TICKET}/artifacts/relations.json.rej", None),
        ("YT503", "warning", f"{STORE}/{TICKET}/thread.md.orig", None),
        ("YT503", "warning", f"{STORE}/{TICKET}/thread_BASE_12345.md", None),
    ]


def test_leftover_from_git_mergetool_is_reported(repo: Path) -> None:
    merge_topic(repo)
    tool = "cp $REMOTE $MERGED"  # a "merge tool" that takes their side
    done = git(
        repo,
        "-c", f"mergetool.take.cmd={tool}",
        "-c", "mergetool.take.trustExitCode=true",
        "-c", "mergetool.keepBackup=true",
        "mergetool", "--tool=take", "--", THREAD,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (repo / f"{THREAD}.orig").is_file()
    assert ("YT503", "warning", f"{THREAD}.orig", None) in found(yt5(repo))


# ---------------------------------------------------------------- --against


def snapshot(workspace: Path) -> tuple[bytes, int, str, str]:
    """The index file (bytes and mtime), the status and HEAD; looking does not write."""
    index = workspace / ".git" / "index"
    return (
        index.read_bytes(),
        index.stat().st_mtime_ns,
        git(workspace, "--no-optional-locks", "status", "--porcelain", "-uall").stdout,
        git(workspace, "rev-parse", "HEAD").stdout,
    )


@BOTH_FORMATS
def test_against_predicts_the_conflict_without_touching_index_or_work_tree(repo: Path) -> None:
    (repo / "notes.txt").write_text("untracked\n")
    git(repo, "status")  # let git refresh the index now, not during the check
    before = snapshot(repo)
    time.sleep(0.01)
    diagnostics = yt5(repo, against="topic")
    assert found(diagnostics) == [
        ("YT504", "error", ITEM, None),
        ("YT504", "error", THREAD, None),
    ]
    assert diagnostics[1].message == "would conflict when merging topic into HEAD"
    assert "merge-driver install" in (diagnostics[1].hint or "")
    assert snapshot(repo) == before
    assert not (repo / ".git" / "MERGE_HEAD").exists()


def test_against_a_ref_that_merges_cleanly(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "elsewhere", "main~1")
    append_event(repo, CAROL, "Decided.", ticket=OTHER)
    commit_all(repo, "carol decides")
    git(repo, "checkout", "-q", "main")
    assert yt5(repo, against="elsewhere") == []


def test_against_only_reports_files_of_the_store(repo: Path) -> None:
    for branch, text in (("topic", "theirs\n"), ("main", "ours\n")):
        git(repo, "checkout", "-q", branch)
        (repo / "README.txt").write_text(text)
        commit_all(repo, f"readme on {branch}")
    paths = {d.path for d in yt5(repo, against="topic")}
    assert paths == {ITEM, THREAD}


def test_against_unknown_ref_is_a_usage_error(repo: Path) -> None:
    code, out, err = doctor_cli(repo, "--against", "no-such-branch")
    assert code == 2
    assert out == ""
    assert err == "error: --against no-such-branch: not a commit in this repository\n"


def test_against_with_a_git_older_than_2_38_exits_2(repo: Path, tmp_path: Path) -> None:
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True)
    folder = tmp_path / "old-git"
    folder.mkdir()
    fake = folder / "git"  # first on PATH: every git command goes through it
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = version ]; then echo "git version 2.34.1"; exit 0; fi\n'
        f'exec {real.stdout.strip()} "$@"\n'
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "doctor", "--against", "topic"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: --against needs git 2.38 or newer (for 'git merge-tree --write-tree'); "
        "this git is 2.34.1",
        "hint: upgrade git, or merge in a scratch worktree: git worktree add --detach",
    ]


# ---------------------------------------------------------------- lost events


def resolve_keeping(workspace: Path, *headers: str) -> None:
    """Resolve the conflicted merge: the thread keeps only ``headers``' events (in order)
    after the original ones, the item takes the later updated_at; then commit."""
    base = git(workspace, "show", f":1:{THREAD}").stdout
    bodies = {ALICE: "Started on it.", BOB: "Looks good.", CAROL: "Decided."}
    text = base + "".join(f"\n{h}\n\n{bodies[h]}\n\n---\n" for h in headers)
    (workspace / THREAD).write_text(text, encoding="utf-8")
    theirs = git(workspace, "show", f":3:{ITEM}").stdout
    (workspace / ITEM).write_text(theirs, encoding="utf-8")
    commit_all(workspace, "merge topic")


@BOTH_FORMATS
def test_merge_that_kept_one_side_loses_the_other_sides_event(repo: Path) -> None:
    merge_topic(repo)
    resolve_keeping(repo, ALICE)
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    topic = git(repo, "rev-parse", "topic").stdout.strip()
    [lost] = yt5(repo)
    assert (lost.code, lost.severity.value, lost.path, lost.line) == (
        "YT505",
        "error",
        THREAD,
        None,
    )
    line = marker_lines_in(git(repo, "show", f"topic:{THREAD}").stdout, BOB)
    assert lost.message == (
        f"merge {head[:12]} (HEAD) dropped an event of parent 2 ({topic[:12]}, line {line}): {BOB}"
    )
    assert lost.hint == (
        f"run 'yoi ticket restore-events {head[:12]}' (or copy it back from 'git show "
        f"{topic[:12]}:{THREAD}' into thread.md in time order), and commit"
    )


def marker_lines_in(text: str, line: str) -> int:
    [number] = [n for n, item in enumerate(text.split("\n"), start=1) if item == line]
    return number


@BOTH_FORMATS
def test_lost_events_of_an_older_merge_with_merge_commit(repo: Path) -> None:
    merge_topic(repo)
    resolve_keeping(repo, BOB)  # alice's comment is lost
    merge = git(repo, "rev-parse", "HEAD").stdout.strip()
    append_event(repo, CAROL, "Decided.", ticket=OTHER)
    commit_all(repo, "later work")
    assert yt5(repo) == []  # HEAD is no longer a merge commit
    [lost] = yt5(repo, merge_commit="HEAD~1")
    assert lost.code == "YT505"
    assert lost.message.startswith(f"merge {merge[:12]} dropped an event of parent 1 (")
    assert lost.message.endswith(f"): {ALICE}")
    code, out, _ = doctor_cli(repo, "--merge-commit", "HEAD~1", "--select", "YT505")
    assert code == 1
    assert f"{THREAD}" in out


def test_merge_commit_must_be_a_merge(repo: Path) -> None:
    code, _, err = doctor_cli(repo, "--merge-commit", "main")
    assert code == 2
    assert err == "error: --merge-commit main: not a merge commit (it has one parent)\n"


@BOTH_FORMATS
def test_event_deleted_on_purpose_by_one_side_is_not_lost(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    thread = workspace / THREAD
    original = thread.read_text(encoding="utf-8")
    append_event(workspace, CAROL, "Decided.")
    commit_all(workspace, "carol decides")
    git(workspace, "checkout", "-q", "-b", "topic")
    text = thread.read_text(encoding="utf-8")
    thread.write_text(text.replace(f"\n{CAROL}\n\nDecided.\n\n---\n", ""), encoding="utf-8")
    append_event(workspace, BOB, "Looks good.")
    commit_all(workspace, "bob drops carol's event and reviews")
    git(workspace, "checkout", "-q", "main")
    append_event(workspace, ALICE, "Started on it.")
    commit_all(workspace, "alice comments")
    merge_topic(workspace)
    # Resolution: both new events, carol's (deleted on topic) stays deleted.
    thread.write_text(
        original + f"\n{ALICE}\n\nStarted on it.\n\n---\n\n{BOB}\n\nLooks good.\n\n---\n",
        encoding="utf-8",
    )
    (workspace / ITEM).write_text(git(workspace, "show", f":3:{ITEM}").stdout)
    commit_all(workspace, "merge topic")
    assert yt5(workspace) == []


DOUBLED = "## Review: approve\n\n## Review: approve\n\nLooks good."


@BOTH_FORMATS
def test_merge_that_removed_a_duplicated_heading_edited_the_event(tmp_path: Path) -> None:
    """Regression (issue 14): two real merges kept a review but removed its duplicated
    ``## Review: approve`` heading. That is YT506 (edited, warning), not YT505 (dropped)."""
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    git(workspace, "checkout", "-q", "-b", "topic")
    append_event(workspace, BOB, DOUBLED)
    commit_all(workspace, "bob reviews")
    git(workspace, "checkout", "-q", "main")
    append_event(workspace, ALICE, "Started on it.")
    commit_all(workspace, "alice comments")
    merge_topic(workspace)
    base = git(workspace, "show", f":1:{THREAD}").stdout
    kept = (
        f"\n{ALICE}\n\nStarted on it.\n\n---\n\n{BOB}\n\n## Review: approve\n\nLooks good.\n\n---\n"
    )
    (workspace / THREAD).write_text(base + kept, encoding="utf-8")
    (workspace / ITEM).write_text(git(workspace, "show", f":3:{ITEM}").stdout, encoding="utf-8")
    commit_all(workspace, "merge topic")
    head = git(workspace, "rev-parse", "HEAD").stdout.strip()
    topic = git(workspace, "rev-parse", "topic").stdout.strip()
    [edited] = yt5(workspace)
    assert found([edited]) == [("YT506", "warning", THREAD, None)]
    line = marker_lines_in(git(workspace, "show", f"topic:{THREAD}").stdout, BOB)
    merged = marker_lines_in(git(workspace, "show", f"HEAD:{THREAD}").stdout, BOB)
    assert edited.message == (
        f"merge {head[:12]} (HEAD) edited an event of parent 2 ({topic[:12]}, line {line}; "
        f"line {merged} of the merge) while merging: {BOB} (body changes: "
        "'-## Review: approve')"
    )
    assert edited.hint == (
        f"if the edit was not meant, copy the body back from 'git show {topic[:12]}:{THREAD}' "
        "and commit"
    )
    # The same merge checked later with --merge-commit; YT505 alone says nothing.
    append_event(workspace, CAROL, "Decided.", ticket=OTHER)
    commit_all(workspace, "later work")
    assert found(yt5(workspace, merge_commit="HEAD~1")) == [("YT506", "warning", THREAD, None)]
    options = DoctorOptions(select=("YT505",), no_local=True, merge_commit="HEAD~1")
    assert run_doctor(workspace, options).diagnostics == []


@BOTH_FORMATS
def test_a_dropped_and_an_edited_event_in_one_merge_are_two_findings(repo: Path) -> None:
    merge_topic(repo)
    base = git(repo, "show", f":1:{THREAD}").stdout
    kept = f"\n{BOB}\n\nLooks good, mostly.\n\n---\n"  # alice's event dropped, bob's edited
    (repo / THREAD).write_text(base + kept, encoding="utf-8")
    (repo / ITEM).write_text(git(repo, "show", f":3:{ITEM}").stdout, encoding="utf-8")
    commit_all(repo, "merge topic")
    diagnostics = yt5(repo)
    assert sorted(found(diagnostics)) == [
        ("YT505", "error", THREAD, None),
        ("YT506", "warning", THREAD, None),
    ]
    by_code = {d.code: d.message for d in diagnostics}
    assert by_code["YT505"].endswith(f"): {ALICE}")
    assert by_code["YT506"].endswith(
        f"{BOB} (body changes: '-Looks good.'; '+Looks good, mostly.')"
    )


def test_lost_events_rules() -> None:
    def events(*headers: str) -> list[Event]:
        return parse_thread("".join(f"{h}\n\nbody of {h[-20:]}\n\n---\n" for h in headers))

    a, b, c, d = (
        "<!-- event: create author: x at: 2026-01-01T00:00:00Z -->",
        ALICE,
        BOB,
        CAROL,
    )
    base = events(a, d)
    # c added on parent 2 and dropped: lost; d deleted on parent 1 on purpose: not lost
    lost = lost_events(base, [events(a, b), events(a, d, c)], events(a, b))
    assert [(item.parent, item.event.header) for item in lost] == [(1, c)]
    # an event edited on one side counts as deleted there
    edited = parse_thread(f"{a}\n\nbody of {a[-20:]}\n\n---\n{d}\n\nchanged\n\n---\n")
    assert lost_events(base, [events(a, d), edited], edited) == []
    # whitespace at line ends does not make an event different
    spaced = parse_thread(f"{a}  \n\nbody of {a[-20:]}   \n\n---\n")
    assert lost_events(None, [events(a), events(a)], spaced) == []
    # no merge base (unrelated histories): nothing counts as deleted
    assert [x.event.header for x in lost_events(None, [events(a), events(b)], events(a))] == [b]
    # kept with another body: edited (kept_as), not dropped
    changed = parse_thread(f"{a}\n\nbody of {a[-20:]}\n\n---\n{b}\n\nother\n\n---\n")
    [item] = lost_events(None, [events(a), events(a, b)], changed)
    assert (item.parent, item.event.header, item.kept_as) == (1, b, changed[1])
    # two events of one header, one kept as it is: the other was dropped, not edited
    twice = parse_thread(f"{b}\n\nfirst\n\n---\n{b}\n\nsecond\n\n---\n")
    [item] = lost_events(None, [twice, events(a)], twice[:1] + events(a))
    assert (item.event.body.strip(), item.kept_as) == ("second", None)


# ---------------------------------------------------------------- outside git


def test_plain_directory_skips_git_rules_silently(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    assert yt5(workspace) == []
    code, out, err = doctor_cli(workspace, "--select", "YT5", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["diagnostics"] == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("--against", "main"), ("--merge-commit", "HEAD"), ("--merges", "HEAD"), ("--staged", None)],
)
def test_git_options_outside_git_exit_2(tmp_path: Path, option: str, value: str | None) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    code, out, err = doctor_cli(workspace, option, *([value] if value else []))
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {option} needs a git repository, and {workspace} is not ")


# ---------------------------------------------------------------- exact output: github, sarif

_ITEM_HINT = f"resolve {ITEM}, then 'git add {ITEM}'; or 'git merge --abort'"
_THREAD_HINT = f"resolve {THREAD}, then 'git add {THREAD}'; or 'git merge --abort'"
_BLOCK_HINT = (
    "keep the lines of both sides and delete the marker lines; in thread.md keep every event "
    "of both sides in time order ('yoi ticket merge-driver install' makes git do it)"
)
_UNMERGED = "unmerged index entry (both modified): the merge of this file was not finished"
_ORIG = f"{THREAD}.orig"
_ORIG_HINT = f"rm {_ORIG}  (git rm {_ORIG} if it was committed)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--merges", "nothere..main"], "error: --merges nothere..main: not a revision range"),
        (["--merges", "-x"], "error: --merges '-x': not a revision range"),
        (["--merges", "main", "--merge-commit", "main"], "error: --merges and --merge-commit"),
        (["--merges", "main", "--staged"], "error: --merges and --staged do not go together"),
        (["--merges", "main", "--hook"], "error: --merges and --hook do not go together"),
    ],
)
def test_merges_usage_errors_exit_2(repo: Path, args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "doctor", "--no-local", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(message)
    assert done.stdout == ""


@pytest.fixture
def stopped_merge(repo: Path) -> Path:
    """``repo`` in the middle of the conflicted merge, with a mergetool backup left over."""
    merge_topic(repo)
    (repo / _ORIG).write_text("<<<<<<< HEAD\n")
    return repo


def test_github_output_exact(stopped_merge: Path) -> None:
    code, out, err = doctor_cli(stopped_merge, "--select", "YT5", "--format", "github")
    assert (code, err) == (1, "")
    block = "conflict block left in the file (HEAD / topic, lines"
    assert out == (
        f"::error file={ITEM},title=YT501::{_UNMERGED}%0Ahint: {_ITEM_HINT}\n"
        f"::error file={ITEM},line=5,title=YT502::{block} 5-9)%0Ahint: {_BLOCK_HINT}\n"
        f"::error file={THREAD},title=YT501::{_UNMERGED}%0Ahint: {_THREAD_HINT}\n"
        f"::error file={THREAD},line=9,title=YT502::{block} 9-17)%0Ahint: {_BLOCK_HINT}\n"
        f"::warning file={_ORIG},title=YT503::leftover merge file thread.md.orig"
        f"%0Ahint: {_ORIG_HINT}\n"
    )


@BOTH_FORMATS
def test_github_output_exact_against_and_lost_events(repo: Path) -> None:
    code, out, _ = doctor_cli(repo, "--select", "YT504", "--against", "topic", "--format", "github")
    hint = (
        "install the merge driver ('yoi ticket merge-driver install'), then 'git merge topic'; "
        "keep both sides' events if a conflict remains"
    )
    assert code == 1
    assert out == (
        f"::error file={ITEM},title=YT504::would conflict when merging topic into HEAD"
        f"%0Ahint: {hint}\n"
        f"::error file={THREAD},title=YT504::would conflict when merging topic into HEAD"
        f"%0Ahint: {hint}\n"
    )
    merge_topic(repo)
    resolve_keeping(repo, ALICE)
    head = git(repo, "rev-parse", "--short=12", "HEAD").stdout.strip()
    topic = git(repo, "rev-parse", "--short=12", "topic").stdout.strip()
    code, out, _ = doctor_cli(repo, "--select", "YT505", "--format", "github")
    assert code == 1
    assert out == (
        f"::error file={THREAD},title=YT505::merge {head} (HEAD) dropped an event of parent 2 "
        f"({topic}, line 9): {BOB}"
        f"%0Ahint: run 'yoi ticket restore-events {head}' (or copy it back from 'git show "
        f"{topic}:{THREAD}' into thread.md in time order), and commit\n"
    )


YT501_HELP = """\
YT501: Unmerged index entry in the ticket store

Severity: error    Scope: git

What it does
    Reports ticket store paths with unmerged (stage 1-3) entries in the git index.

Why it matters
    A merge (or rebase, cherry-pick, stash pop) stopped on a ticket file and was never \
finished: git keeps the file's versions as unmerged index entries, the work tree copy holds \
conflict markers, and nothing can be committed until it is resolved.

Example
    git ls-files -u .yoi/tickets
    100644 3b18e5... 1\t.yoi/tickets/00001KSKBP9YG/thread.md
    100644 a1f0c2... 2\t.yoi/tickets/00001KSKBP9YG/thread.md
    100644 7d2e9b... 3\t.yoi/tickets/00001KSKBP9YG/thread.md

How to fix
    Resolve the file (for thread.md keep every event of both sides in time order), then \
'git add' it and finish the merge; or abandon it with 'git merge --abort'. With the merge \
driver installed ('yoi ticket merge-driver install') most ticket conflicts resolve themselves.
"""

YT502_WHAT = (
    "Reports whole conflict blocks in a ticket's files (text already read is reused; other "
    "files are decoded only when their bytes contain an opening marker)."
)
YT502_HELP = f"""\
YT502: Conflict block left in a ticket file

Severity: error    Scope: ticket

What it does
    {YT502_WHAT}

Why it matters
    A conflict block (<<<<<<<, optional |||||||, =======, >>>>>>>) left in item.md, \
thread.md, resolution.md or an artifact breaks parsing (frontmatter, event headers, JSON) and \
usually hides one side's events. It is reported whether the file is committed or only in the \
work tree. A lone ======= line (a Markdown heading underline) is not a conflict.

Example
    <<<<<<< HEAD
    <!-- event: comment author: alice at: 2026-06-08T09:00:00Z -->
    =======
    <!-- event: review author: bob at: 2026-06-08T10:00:00Z status: approve -->
    >>>>>>> topic

How to fix
    Keep what both sides meant (in thread.md: every event of both sides, in time order) and \
delete the four marker lines. An example of a conflict inside a ticket must be indented so \
that no line starts with a marker.
"""

YT503_WHAT = (
    "Reports ``*.orig``, ``*.rej``, ``*.BASE.*``/``*_BASE_<pid>*`` (and LOCAL, REMOTE, "
    "BACKUP) files in a ticket folder or its artifacts."
)
YT503_HELP = f"""\
YT503: Leftover merge file in a ticket folder

Severity: warning    Scope: ticket

What it does
    {YT503_WHAT}

Why it matters
    Merge tools leave copies next to the file they merged (thread.md.orig, \
thread_BASE_1234.md, *.rej from git apply --reject). In a ticket folder they look like \
artifacts, get committed by 'git add -A', and carry stale or conflicted content.

Example
    .yoi/tickets/00001KSKBP9YG/thread.md.orig

How to fix
    Delete the file (git rm it if it was committed); set 'git config \
mergetool.keepBackup false' to stop git mergetool from writing .orig files.
"""


def result(
    code: str, index: int, level: str, message: str, hint: str, path: str, line: int | None
) -> dict[str, Any]:
    text = f"{message} (hint: {hint})"
    return sarif_result(code, index, level, text, path, line, fingerprint(code, path, message))


def test_sarif_output_exact(stopped_merge: Path) -> None:
    code, out, err = doctor_cli(stopped_merge, "--select", "YT5", "--format", "sarif")
    assert (code, err) == (1, "")
    block = "conflict block left in the file (HEAD / topic, lines"
    document = sarif_document(
        rules=[
            sarif_rule(
                "YT501",
                "unmerged_entries",
                "Unmerged index entry in the ticket store",
                "Reports ticket store paths with unmerged (stage 1-3) entries in the git index.",
                "error",
                YT501_HELP,
            ),
            sarif_rule(
                "YT502",
                "conflict_blocks",
                "Conflict block left in a ticket file",
                YT502_WHAT,
                "error",
                YT502_HELP,
            ),
            sarif_rule(
                "YT503",
                "merge_leftovers",
                "Leftover merge file in a ticket folder",
                YT503_WHAT,
                "warning",
                YT503_HELP,
            ),
        ],
        results=[
            result("YT501", 0, "error", _UNMERGED, _ITEM_HINT, ITEM, None),
            result("YT502", 1, "error", f"{block} 5-9)", _BLOCK_HINT, ITEM, 5),
            result("YT501", 0, "error", _UNMERGED, _THREAD_HINT, THREAD, None),
            result("YT502", 1, "error", f"{block} 9-17)", _BLOCK_HINT, THREAD, 9),
            result(
                "YT503", 2, "warning", "leftover merge file thread.md.orig", _ORIG_HINT, _ORIG, None
            ),
        ],
    )
    assert out == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_conflict_scan_alone_finds_what_the_full_run_finds(stopped_merge: Path) -> None:
    """``--select YT5`` reads tickets as text only; the full run parses them. Same YT5 findings."""
    folder = stopped_merge / STORE / "00001KSKBPHRG"
    (folder / "resolution.md").write_text("<<<<<<< a\nx\n=======\ny\n>>>>>>> b\n")
    (folder / "artifacts" / "notes_LOCAL_4242.txt").write_text("x\n")
    (stopped_merge / STORE / OTHER / "artifacts" / "link").symlink_to("/etc/hostname")
    relations = stopped_merge / STORE / "00001KVZ9JGK0" / "artifacts" / "relations.json"
    text = relations.read_text(encoding="utf-8")
    relations.write_text(f"<<<<<<< HEAD\n{text}=======\n{text}>>>>>>> topic\n", "utf-8")
    plan = stopped_merge / STORE / OTHER / "artifacts" / "orchestration-plan.jsonl"
    record = f'{{"id": "p1", "ticket_id": "{OTHER}", "kind": "before", "target": "{TICKET}"}}'
    plan.write_text(f"{record}\n")  # parses cleanly: not read again
    scan = yt5(stopped_merge)
    full = run_doctor(stopped_merge, DoctorOptions(no_local=True)).diagnostics
    assert [d for d in full if d.code.startswith("YT5")] == scan
    assert {d.code for d in scan} == {"YT501", "YT502", "YT503"}
    assert ("YT502", "error", relations.relative_to(stopped_merge).as_posix(), 1) in found(scan)
    assert any(d.code == "YT212" for d in full)  # the escaping link, not followed by either
