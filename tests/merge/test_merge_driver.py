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

from conftest import V1, V2, git
from harness.merge import (
    V1_TICKET,
    V2_TICKET,
    append,
    branches,
    driver_repo,
    event,
    merge,
    replace,
    set_field,
    state_event,
    unmerged,
)
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.files.textfile import MAX_FILE_BYTES
from yoi_ticket.merge.driver import run_driver
from yoi_ticket.store.thread import parse_thread, parse_time


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


def test_inputs_over_the_size_limit_are_not_read_before_the_plain_merge(tmp_path: Path) -> None:
    """The sizes are asked of the file system first: the driver read every input in full
    before (1.1 GB for a 117 MB thread). Bytes read are the kernel's count for the driver's
    thread (``/proc/self/task/<tid>/io``: without git merge-file, its child)."""
    events = "".join(event(f"2026-06-26T10:{i % 60:02d}:00Z", f"line {i}") for i in range(40))
    small = events.encode()
    big = small * (MAX_FILE_BYTES // len(small) + 1)  # over the limit, still a valid thread
    paths = three_files(
        tmp_path / "driver", small, small + event("2026-06-27T00:00:00Z", "ours").encode(), big
    )
    plain = three_files(tmp_path / "plain", *(p.read_bytes() for p in paths))
    script = (
        "import sys, threading\n"
        "from pathlib import Path\n"
        "from yoi_ticket.merge.driver import run_driver\n"
        "io = Path(f'/proc/self/task/{threading.get_native_id()}/io')\n"
        "def read_bytes():\n"
        "    return int(io.read_text().split()[1])\n"
        "folder = Path(sys.argv[4])\n"
        "warm = [folder / n for n in ('base', 'ours', 'theirs')]\n"
        "for p in warm: p.write_text('a\\n')\n"
        "run_driver(*warm, 'X/thread.md', worktree=folder)\n"
        "before = read_bytes()\n"
        "status = run_driver(*map(Path, sys.argv[1:4]), 'X/thread.md', worktree=folder)\n"
        "print(status, read_bytes() - before)\n"
    )
    warm = tmp_path / "warm"
    warm.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, paths), str(warm)],
        capture_output=True,
        text=True,
        check=True,
    )
    status, read = map(int, done.stdout.split())
    assert read < MAX_FILE_BYTES // 8, read  # not one input was read
    labels = ["-L", "ours", "-L", "base", "-L", "theirs"]
    expected = git(
        tmp_path, "merge-file", *labels, *map(str, (plain[1], plain[0], plain[2])), check=False
    )
    assert status == (1 if expected.returncode else 0)
    assert paths[1].read_bytes() == plain[1].read_bytes()  # git's plain merge, as before
