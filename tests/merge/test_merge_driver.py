"""The merge driver through real ``git merge`` runs on copies of corpus tickets.

git runs the driver as installed: ``<this interpreter> -m yoi_ticket merge-driver run ...``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import V1, V2, copy_corpus, git, init_repo
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.merge.driver import run_driver
from yoi_ticket.merge.install import driver_command, install, uninstall
from yoi_ticket.store.thread import parse_thread, parse_time

V2_TICKET = ".yoi/tickets/00001KW04A8K6"
V1_TICKET = ".yoi/tickets/open/20260609-032533-session-analytics-tooling"
ATTRIBUTE_LINES = [
    "# yoi-ticket merge driver for ticket files (yoi ticket merge-driver install)",
    ".yoi/tickets/**/thread.md merge=yoi-ticket",
    ".yoi/tickets/**/item.md merge=yoi-ticket",
]


def event(at: str, body: str, kind: str = "comment", **attrs: str) -> str:
    extra = "".join(f" {key}: {value}" for key, value in attrs.items())
    return f"\n<!-- event: {kind} author: hare at: {at}{extra} -->\n\n{body}\n\n---\n"


def state_event(at: str, old: str, new: str, field: str = "state") -> str:
    return event(
        at, "## State changed", kind="state_changed", to=new, reason="test", field=field,
        **{"from": old},
    )  # fmt: skip


def append(path: Path, *blocks: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "".join(blocks), encoding="utf-8")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def set_field(path: Path, key: str, line: str) -> None:
    """Replace the frontmatter line of ``key`` with ``line``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    matches = [i for i, text in enumerate(lines) if text.startswith(f"{key}:")]
    assert len(matches) == 1, key
    lines[matches[0]] = line
    path.write_text("\n".join(lines), encoding="utf-8")


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def branches(repo: Path, ours: object, theirs: object) -> None:
    """Commit ``theirs(repo)`` on branch ``theirs`` and ``ours(repo)`` on ``main``."""
    git(repo, "checkout", "-q", "-b", "theirs")
    theirs(repo)  # type: ignore[operator]
    commit_all(repo, "theirs")
    git(repo, "checkout", "-q", "main")
    ours(repo)  # type: ignore[operator]
    commit_all(repo, "ours")


def merge(repo: Path) -> subprocess.CompletedProcess[str]:
    return git(repo, "merge", "--no-edit", "theirs", check=False)


def unmerged(repo: Path) -> list[str]:
    return git(repo, "diff", "--name-only", "--diff-filter=U").stdout.split()


def driver_repo(layout: str, path: Path) -> Path:
    """A repository holding ``corpus/<layout>`` with the driver installed and committed."""
    workspace = init_repo(copy_corpus(layout, path))
    install(workspace, python=sys.executable)
    commit_all(workspace, "merge driver")
    return workspace


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return driver_repo(V2, tmp_path / "ws")


@pytest.fixture
def v1_repo(tmp_path: Path) -> Path:
    return driver_repo(V1, tmp_path / "ws1")


def appends_with_state_changes(ticket: str, field: str = "state", quote: str = "'") -> tuple:
    """Both sides append two events, change the state and bump updated_at."""
    key = field

    def ours(repo: Path) -> None:
        append(
            repo / ticket / "thread.md",
            event("2026-06-26T10:00:00Z", "ours: comment"),
            state_event("2026-06-26T10:05:00Z", "ready", "queued", field),
        )
        set_field(repo / ticket / "item.md", key, f"{key}: 'queued'")
        set_field(repo / ticket / "item.md", "updated_at", "updated_at: '2026-06-26T10:05:00Z'")

    def theirs(repo: Path) -> None:
        append(
            repo / ticket / "thread.md",
            event("2026-06-26T10:02:00Z", "theirs: comment"),
            state_event("2026-06-26T11:00:00Z", "ready", "inprogress", field),
        )
        set_field(repo / ticket / "item.md", key, f"{key}: {quote}inprogress{quote}")
        set_field(repo / ticket / "item.md", "updated_at", 'updated_at: "2026-06-26T11:00:00Z"')

    return ours, theirs


def test_both_sides_appending_events_and_changing_state_merge_cleanly(repo: Path) -> None:
    base_thread = (repo / V2_TICKET / "thread.md").read_text(encoding="utf-8")
    branches(repo, *appends_with_state_changes(V2_TICKET))
    done = merge(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert unmerged(repo) == []
    thread = (repo / V2_TICKET / "thread.md").read_text(encoding="utf-8")
    assert thread.startswith(base_thread)
    events = parse_thread(thread)
    assert [e.body.split("\n")[0] for e in events[-4:]] == [
        "ours: comment",
        "theirs: comment",
        "## State changed",
        "## State changed",
    ]
    assert [e.attrs.get("to") for e in events[-2:]] == ["queued", "inprogress"]
    assert len(events) == len(parse_thread(base_thread)) + 4
    times = [parse_time(e.at) for e in events]
    assert times == sorted(times)  # type: ignore[type-var]
    item = (repo / V2_TICKET / "item.md").read_text(encoding="utf-8")
    assert "\nstate: 'inprogress'\n" in item
    assert item.count("updated_at:") == 1
    assert '\nupdated_at: "2026-06-26T11:00:00Z"\n' in item
    assert "<<<<<<<" not in item + thread
    # the lost-event and bad-resolution checks of doctor agree
    report = run_doctor(repo, DoctorOptions(select=("YT21",), paths=(V2_TICKET,)))
    assert report.diagnostics == []


def test_state_changed_on_one_side_only(repo: Path) -> None:
    def ours(repo: Path) -> None:
        append(repo / V2_TICKET / "thread.md", event("2026-06-26T10:00:00Z", "ours"))

    def theirs(repo: Path) -> None:
        append(
            repo / V2_TICKET / "thread.md",
            state_event("2026-06-26T09:00:00Z", "ready", "queued"),
        )
        replace(repo / V2_TICKET / "item.md", "state: 'ready'", "state: 'queued'")

    branches(repo, ours, theirs)
    assert merge(repo).returncode == 0
    assert "\nstate: 'queued'\n" in (repo / V2_TICKET / "item.md").read_text(encoding="utf-8")


def test_same_event_edited_differently_stays_a_conflict(repo: Path) -> None:
    thread = V2_TICKET + "/thread.md"

    def ours(repo: Path) -> None:
        replace(repo / thread, "## Intake summary", "## Intake summary (ours)")

    def theirs(repo: Path) -> None:
        replace(repo / thread, "## Intake summary", "## Intake summary (theirs)")
        append(repo / thread, event("2026-06-26T10:00:00Z", "theirs appended"))

    branches(repo, ours, theirs)
    done = merge(repo)
    assert done.returncode != 0
    assert unmerged(repo) == [thread]
    text = (repo / thread).read_text(encoding="utf-8")
    assert text.count("<<<<<<< ours\n") == text.count("\n=======\n") == 1
    assert text.count("\n>>>>>>> theirs\n") == 1
    ours_part, theirs_part = text.split("<<<<<<< ours\n")[1].split("\n=======\n")
    assert "## Intake summary (ours)" in ours_part
    assert "## Intake summary (theirs)" in theirs_part.split(">>>>>>> theirs")[0]
    assert "theirs appended" in text.split(">>>>>>> theirs")[1]


def test_title_changed_differently_stays_a_conflict(repo: Path) -> None:
    item = V2_TICKET + "/item.md"

    def ours(repo: Path) -> None:
        replace(repo / item, "title: 'TUI", "title: 'ours TUI")

    def theirs(repo: Path) -> None:
        replace(repo / item, "title: 'TUI", "title: 'theirs TUI")

    branches(repo, ours, theirs)
    done = merge(repo)
    assert done.returncode != 0
    assert unmerged(repo) == [item]
    lines = (repo / item).read_text(encoding="utf-8").split("\n")
    assert lines[:6] == [
        "---",
        "<<<<<<< ours",
        "title: 'ours TUIをRuntime API/WebSocket接続へ移行する'",
        "=======",
        "title: 'theirs TUIをRuntime API/WebSocket接続へ移行する'",
        ">>>>>>> theirs",
    ]
    assert lines[6] == "state: 'ready'"


def test_v1_layout_ticket_merges_cleanly(v1_repo: Path) -> None:
    branches(
        v1_repo,
        *appends_with_state_changes(V1_TICKET, field="workflow_state", quote=""),
    )
    done = merge(v1_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    item = (v1_repo / V1_TICKET / "item.md").read_text(encoding="utf-8")
    assert "\nworkflow_state: inprogress\n" in item
    assert '\nupdated_at: "2026-06-26T11:00:00Z"\n' in item
    events = parse_thread((v1_repo / V1_TICKET / "thread.md").read_text(encoding="utf-8"))
    assert [e.body for e in events[-4:-2]] == ["ours: comment", "theirs: comment"]


def test_merging_twice_gives_the_same_bytes(repo: Path) -> None:
    branches(repo, *appends_with_state_changes(V2_TICKET))
    before = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert merge(repo).returncode == 0
    first = [(repo / V2_TICKET / name).read_bytes() for name in ("thread.md", "item.md")]
    git(repo, "checkout", "-q", "-b", "again", before)
    assert merge(repo).returncode == 0
    second = [(repo / V2_TICKET / name).read_bytes() for name in ("thread.md", "item.md")]
    assert first == second


def test_driver_process_run_twice_gives_the_same_bytes(tmp_path: Path, repo: Path) -> None:
    thread = (repo / V2_TICKET / "thread.md").read_text(encoding="utf-8")
    base = tmp_path / "base"
    base.write_text(thread, encoding="utf-8")
    theirs = tmp_path / "theirs"
    theirs.write_text(thread + event("2026-06-26T10:00:00Z", "theirs"), encoding="utf-8")
    results = []
    for number in range(2):
        ours = tmp_path / f"ours{number}"
        ours.write_text(thread + event("2026-06-26T10:00:00Z", "ours"), encoding="utf-8")
        command = [sys.executable, "-m", "yoi_ticket", "merge-driver", "run"]
        done = subprocess.run(
            [*command, str(base), str(ours), str(theirs), f"{V2_TICKET}/thread.md"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        results.append(ours.read_bytes())
    assert results[0] == results[1]
    assert (
        results[0]
        .decode()
        .endswith(event("2026-06-26T10:00:00Z", "ours") + event("2026-06-26T10:00:00Z", "theirs"))
    )


def test_uninstall_restores_a_plain_merge(repo: Path) -> None:
    uninstall(repo)
    assert not (repo / ".gitattributes").exists()
    assert git(repo, "config", "--get-regexp", "^merge\\.", check=False).stdout == ""
    commit_all(repo, "no merge driver")

    def ours(repo: Path) -> None:
        append(repo / V2_TICKET / "thread.md", event("2026-06-26T10:00:00Z", "ours"))

    def theirs(repo: Path) -> None:
        append(repo / V2_TICKET / "thread.md", event("2026-06-26T11:00:00Z", "theirs"))

    branches(repo, ours, theirs)
    done = merge(repo)
    assert done.returncode != 0
    assert unmerged(repo) == [f"{V2_TICKET}/thread.md"]
    text = (repo / V2_TICKET / "thread.md").read_text(encoding="utf-8")
    assert "<<<<<<< HEAD\n" in text  # git's own labels: the driver did not run


def test_install_is_idempotent_and_uninstall_restores_the_file(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    original = "*.png binary\n# keep me\n"
    (workspace / ".gitattributes").write_text(original, encoding="utf-8")
    first = install(workspace, python=sys.executable)
    text = (workspace / ".gitattributes").read_text(encoding="utf-8")
    assert text == original + "\n".join(ATTRIBUTE_LINES) + "\n"
    assert len(first.changes) == 3
    second = install(workspace, python=sys.executable)
    assert second.changes == ()
    assert (workspace / ".gitattributes").read_text(encoding="utf-8") == text
    config = git(workspace, "config", "--local", "--get-regexp", "^merge\\.").stdout
    assert config.splitlines() == [
        "merge.yoi-ticket.name yoi-ticket: union of thread events, field-by-field item merge",
        f"merge.yoi-ticket.driver {driver_command(sys.executable)}",
    ]
    assert driver_command(sys.executable) == (
        f"{sys.executable} -m yoi_ticket merge-driver run --marker-size %L %O %A %B %P"
    )
    uninstall(workspace)
    assert (workspace / ".gitattributes").read_text(encoding="utf-8") == original
    assert (
        git(workspace, "config", "--local", "--get-regexp", "^merge\\.", check=False).stdout == ""
    )
    assert "yoi-ticket" not in (workspace / ".git/config").read_text(encoding="utf-8")
    assert uninstall(workspace).changes == ()


def test_install_for_a_configured_store_root(tmp_path: Path) -> None:
    workspace = init_repo(tmp_path / "ws", commit=False)
    (workspace / ".yoi").mkdir()
    (workspace / ".yoi/ticket.config.toml").write_text(
        '[backend]\nroot = "work items"\n', encoding="utf-8"
    )
    install(workspace, python=sys.executable)
    lines = (workspace / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == [
        '"work items/**/thread.md" merge=yoi-ticket',
        '"work items/**/item.md" merge=yoi-ticket',
    ]
    checked = git(workspace, "check-attr", "merge", "--", "work items/A/thread.md").stdout
    assert checked.strip() == "work items/A/thread.md: merge: yoi-ticket"
    uninstall(workspace)
    assert not (workspace / ".gitattributes").exists()


def test_attributes_cover_both_layouts(repo: Path) -> None:
    paths = [f"{V2_TICKET}/thread.md", f"{V1_TICKET}/item.md", f"{V2_TICKET}/resolution.md"]
    lines = git(repo, "check-attr", "merge", "--", *paths).stdout.splitlines()
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "yoi-ticket",
        "yoi-ticket",
        "unspecified",
    ]


def test_cli_install_and_uninstall(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    command = [sys.executable, "-m", "yoi_ticket", "-C", str(workspace), "merge-driver"]
    done = subprocess.run([*command, "install"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"driver: {driver_command(sys.executable)}" in done.stdout
    again = subprocess.run([*command, "install"], capture_output=True, text=True, check=False)
    assert "already installed" in again.stdout
    done = subprocess.run([*command, "uninstall"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "git config --unset merge.yoi-ticket.driver" in done.stdout
    outside = subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "-C", str(tmp_path), "merge-driver", "install"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert outside.returncode == 2
    assert outside.stderr.startswith("error: ")


def test_install_refuses_a_gitattributes_fifo_without_hanging(tmp_path: Path) -> None:
    """A FIFO named .gitattributes is refused with a one-line error (exit 2), not read."""
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    os.mkfifo(workspace / ".gitattributes")
    done = subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "-C", str(workspace), "merge-driver", "install"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot edit ")
    assert "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- never crash on bad input


def three_files(folder: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (("base", base), ("ours", ours), ("theirs", theirs)):
        (folder / name).write_bytes(data)
    return folder / "base", folder / "ours", folder / "theirs"


@pytest.mark.parametrize("name", ["thread.md", "item.md", "resolution.md"])
def test_unreadable_input_gets_git_plain_merge(tmp_path: Path, name: str) -> None:
    base = b"---\ntitle: a\n---\nline\r\n"
    ours, theirs = base + b"ours \xff\r\n", base + b"theirs\r\n"
    paths = three_files(tmp_path / "driver", base, ours, theirs)
    assert run_driver(*paths, f".yoi/tickets/X/{name}", worktree=tmp_path) == 1
    plain = three_files(tmp_path / "plain", base, ours, theirs)
    labels = ["-L", "ours", "-L", "base", "-L", "theirs"]
    git(tmp_path, "merge-file", *labels, str(plain[1]), str(plain[0]), str(plain[2]), check=False)
    assert paths[1].read_bytes() == plain[1].read_bytes()
    assert b"<<<<<<< ours" in paths[1].read_bytes()


def test_binary_input_is_left_as_ours_with_a_conflict(tmp_path: Path) -> None:
    paths = three_files(tmp_path, b"\x00base", b"\x00ours", b"\x00theirs")
    assert run_driver(*paths, ".yoi/tickets/X/thread.md", worktree=tmp_path) != 0
    assert paths[1].read_bytes() == b"\x00ours"


def test_call_without_path_gets_git_plain_merge(tmp_path: Path) -> None:
    paths = three_files(tmp_path, b"a\n", b"a\nb\n", b"c\na\n")
    assert run_driver(*paths, None, worktree=tmp_path) == 0
    assert paths[1].read_bytes() == b"c\na\nb\n"


# ---------------------------------------------------------------- doctor YT601


def yt601(workspace: Path, *, no_local: bool = False) -> list[tuple[str, int | None, str]]:
    report = run_doctor(workspace, DoctorOptions(select=("YT601",), no_local=no_local))
    return [(d.path, d.line, d.message) for d in report.diagnostics]


def test_yt601_attributes_without_config(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    assert yt601(workspace) == []
    (workspace / ".gitattributes").write_text(
        "*.png binary\n" + "\n".join(ATTRIBUTE_LINES[1:]) + "\n", encoding="utf-8"
    )
    assert yt601(workspace) == [
        (
            ".gitattributes",
            2,
            ".gitattributes names the yoi-ticket merge driver but git config lacks "
            "merge.yoi-ticket.driver",
        )
    ]
    assert yt601(workspace, no_local=True) == []
    install(workspace, python=sys.executable)
    assert yt601(workspace) == []


def test_yt601_driver_interpreter_gone(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    venv_python = tmp_path / "old-venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("#!/bin/sh\n", encoding="utf-8")
    venv_python.chmod(0o755)
    install(workspace, python=os.fspath(venv_python))
    assert yt601(workspace) == []
    shutil.rmtree(tmp_path / "old-venv")
    assert yt601(workspace) == [
        (".gitattributes", 2, f"merge.yoi-ticket.driver runs {venv_python}, which does not exist")
    ]


def test_yt601_nested_attributes_file(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    (workspace / ".yoi/.gitattributes").write_text(
        "tickets/**/thread.md merge=yoi-ticket\n", encoding="utf-8"
    )
    assert [(path, line) for path, line, _ in yt601(workspace)] == [(".yoi/.gitattributes", 1)]


def test_ticket_created_on_both_sides_keeps_every_event_once(repo: Path) -> None:
    new = ".yoi/tickets/00001KW0NEW00"

    def create(repo: Path, body: str, at: str) -> None:
        shutil.copytree(repo / V2_TICKET, repo / new)
        append(repo / new / "thread.md", event(at, body))
        set_field(repo / new / "item.md", "updated_at", f"updated_at: '{at}'")

    branches(
        repo,
        lambda r: create(r, "ours", "2026-06-26T12:00:00Z"),
        lambda r: create(r, "theirs", "2026-06-26T11:00:00Z"),
    )
    done = merge(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    thread = (repo / new / "thread.md").read_text(encoding="utf-8")
    base = (repo / V2_TICKET / "thread.md").read_text(encoding="utf-8")
    assert thread == base + event("2026-06-26T11:00:00Z", "theirs") + event(
        "2026-06-26T12:00:00Z", "ours"
    )
    item = (repo / new / "item.md").read_text(encoding="utf-8")
    assert "\nupdated_at: '2026-06-26T12:00:00Z'\n" in item


def test_v1_ticket_moved_to_another_bucket_on_one_side(v1_repo: Path) -> None:
    moved = V1_TICKET.replace("/open/", "/closed/")

    def ours(repo: Path) -> None:
        append(
            repo / V1_TICKET / "thread.md",
            state_event("2026-06-26T10:00:00Z", "ready", "inprogress", "workflow_state"),
        )
        set_field(repo / V1_TICKET / "item.md", "workflow_state", "workflow_state: inprogress")
        set_field(repo / V1_TICKET / "item.md", "updated_at", "updated_at: '2026-06-26T10:00:00Z'")

    def theirs(repo: Path) -> None:
        git(repo, "mv", V1_TICKET, moved)
        append(
            repo / moved / "thread.md",
            state_event("2026-06-26T11:00:00Z", "ready", "done", "workflow_state"),
        )
        set_field(repo / moved / "item.md", "workflow_state", "workflow_state: done")
        set_field(repo / moved / "item.md", "status", "status: 'closed'")
        set_field(repo / moved / "item.md", "updated_at", "updated_at: '2026-06-26T11:00:00Z'")

    branches(v1_repo, ours, theirs)
    done = merge(v1_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (v1_repo / V1_TICKET).exists()
    item = (v1_repo / moved / "item.md").read_text(encoding="utf-8")
    assert "\nworkflow_state: done\n" in item
    assert "\nstatus: 'closed'\n" in item
    events = parse_thread((v1_repo / moved / "thread.md").read_text(encoding="utf-8"))
    assert [e.attrs.get("to") for e in events[-2:]] == ["inprogress", "done"]


# ---------------------------------------------------------------- the thread merge's memo


def driver_inputs(folder: Path, base: str, ours: str, theirs: str) -> tuple[Path, Path, Path]:
    return three_files(folder, base.encode(), ours.encode(), theirs.encode())


def test_state_memo_is_scoped_to_one_git_operation(tmp_path: Path, repo: Path) -> None:
    thread = (repo / V2_TICKET / "thread.md").read_text(encoding="utf-8")
    item = (repo / V2_TICKET / "item.md").read_text(encoding="utf-8")
    ours_thread = thread + state_event("2026-06-26T10:00:00Z", "ready", "queued")
    theirs_thread = thread + state_event("2026-06-26T11:00:00Z", "ready", "done")
    ours_item = item.replace("state: 'ready'", "state: 'queued'")
    theirs_item = item.replace("state: 'ready'", "state: 'done'")
    lock = repo / ".git" / "index.lock"
    runs = iter(range(100))

    def merge_thread_now(ours: str, theirs: str) -> int:
        paths = driver_inputs(tmp_path / f"run{next(runs)}", thread, ours, theirs)
        return run_driver(*paths, f"{V2_TICKET}/thread.md", worktree=repo)

    def merge_item_now() -> tuple[int, str]:
        paths = driver_inputs(tmp_path / f"run{next(runs)}", item, ours_item, theirs_item)
        status = run_driver(*paths, f"{V2_TICKET}/item.md", worktree=repo)
        return status, paths[1].read_text(encoding="utf-8")

    def new_operation(stamp: int) -> None:
        lock.unlink(missing_ok=True)
        lock.write_bytes(b"")
        os.utime(lock, ns=(stamp, stamp))

    (repo / V2_TICKET / "thread.md").write_text(ours_thread, encoding="utf-8")  # as in HEAD
    new_operation(1)
    assert merge_thread_now(ours_thread, theirs_thread) == 0
    status, text = merge_item_now()
    assert (status, "\nstate: 'done'\n" in text) == (0, True)
    assert merge_item_now() == (status, text)  # the same operation: the same bytes

    (repo / V2_TICKET / "thread.md").write_text(thread, encoding="utf-8")
    assert merge_item_now()[0] == 1  # the memo was made from another ours thread
    (repo / V2_TICKET / "thread.md").write_text(ours_thread, encoding="utf-8")

    new_operation(2)  # a later operation that did not merge the thread
    status, text = merge_item_now()
    assert status == 1
    assert "<<<<<<< ours\nstate: 'queued'\n=======\nstate: 'done'\n>>>>>>> theirs\n" in text

    assert merge_thread_now(ours_thread, theirs_thread) == 0
    assert merge_item_now()[0] == 0
    edited = ours_thread.replace("## Intake summary", "## Intake summary (ours)")
    assert merge_thread_now(edited, theirs_thread) == 1
    assert merge_item_now()[0] == 1  # a conflicted thread merge leaves no memo

    lock.unlink()
    assert merge_thread_now(ours_thread, theirs_thread) == 0
    assert merge_item_now()[0] == 1  # outside a git operation there is no memo


def test_driver_command_quotes_an_interpreter_path_with_spaces() -> None:
    assert driver_command("/opt/my tools/bin/python") == (
        "'/opt/my tools/bin/python' -m yoi_ticket merge-driver run --marker-size %L %O %A %B %P"
    )
