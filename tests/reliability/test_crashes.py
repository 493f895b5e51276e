"""Crashes (SPEC 5.3, 7.3, 11): a process killed with SIGKILL between any two steps of a
claim, release, reclaim, session record or launch leaves the old or the new state plus
at most leftovers that doctor reports and ``--fix`` removes; no lock stays held and the
next operation succeeds at once.

The windows are hit deterministically with fault points (``YOI_FAULT``, see
yoi_ticket.files.faults), and at random moments with a timer that SIGKILLs the process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.checks import (
    check_after_crash,
    check_overlay,
    claim_holders,
    locks_free_now,
    temp_files,
)
from harness.launches import wait_for_launch_commands
from harness.overlay import TICKETS, small_workspace
from harness.reliability import KILLED, random_kills
from harness.workers import Worker, cli_job, overlay_env
from yoi_ticket.files import faults
from yoi_ticket.overlay.claims import claim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.overlay.sessions import get_session, list_sessions

pytestmark = pytest.mark.slow  # a stress run: not part of the oldest-versions pass

TICKET = TICKETS[0]
RANDOM_KILLS = 16


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Worker]]:
    """One workspace and one pre-imported worker for the module (each test has its own
    data dir, passed to every job)."""
    root = tmp_path_factory.mktemp("crashes")
    home = root / "home"
    home.mkdir()
    worker = Worker(root, "crash", env={"HOME": str(home), "YOI_HOME": str(home / "yoi")})
    yield small_workspace(root), worker
    worker.close()


@pytest.fixture
def overlay(
    shared: tuple[Path, Worker], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Overlay:
    data = tmp_path / "data"
    monkeypatch.setenv("YOI_DATA_DIR", str(data))
    monkeypatch.setenv("YOI_RUNTIME_DIR", str(data / "run"))
    return Overlay.for_workspace(shared[0], Locations(data, data / "run"))


@pytest.fixture
def worker(shared: tuple[Path, Worker]) -> Worker:
    return shared[1]


def run(worker: Worker, overlay: Overlay, *args: str, fault: str | None = None) -> tuple[int, str]:
    job = cli_job(overlay, *args)
    if fault is not None:
        job["fault"] = fault
    result = worker.run(job, timeout=60)
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    return result.rc, result.err


CLAIM = ("claim", TICKET, "--pod", "c1", "--role", "coder")
RELEASE = ("release", TICKET, "--pod", "c1")
RECLAIM = ("reclaim", TICKET, "--pod", "c1", "--role", "coder")
RECORD = ("session", "record", "--pod", "s1", "--role", "intake")
LAUNCH = ("launch", TICKET, "--pod", "c1", "--role", "coder", "--", "true")


@dataclass(frozen=True)
class Case:
    """A kill at ``fault`` while running ``command``, and the state it must leave."""

    command: tuple[str, ...]
    fault: str
    holder: str | None  # who holds TICKET right after the crash
    temp: bool = False  # a temp file is left
    pending: bool = False  # a dead pending record is left
    session: bool = False  # the Pod's role session relates to TICKET (s1: exists)
    before: str | None = None  # who held TICKET before (claimed with a session)
    starting: bool = False  # a launch's claim was written: it is starting, so launching
    # again is refused (the Pod may be on its way) and ``claim`` completes the session


CASES = [
    Case(CLAIM, "claim.locked", None),
    Case(CLAIM, "claim.after_temp_write", None, temp=True),
    Case(CLAIM, "claim.after_link", "c1", temp=True),
    Case(CLAIM, "claim.after_history", "c1"),
    Case(CLAIM, "session.locked", "c1"),
    Case(CLAIM, "session.after_temp_write", "c1", temp=True),
    Case(CLAIM, "session.after_replace", "c1", session=True),
    Case(RELEASE, "release.locked", "c1", session=True, before="c1"),
    Case(RELEASE, "release.after_remove", None, session=True, before="c1"),
    Case(RECLAIM, "reclaim.locked", "old", before="old"),
    Case(RECLAIM, "reclaim.after_temp_write", "old", temp=True, before="old"),
    Case(RECLAIM, "reclaim.after_replace", "c1", before="old"),
    Case(RECLAIM, "reclaim.after_history", "c1", before="old"),
    Case(RECORD, "session.after_temp_write", None, temp=True),
    Case(RECORD, "session.after_replace", None, session=True),
    Case(LAUNCH, "pending.after_temp_write", None, temp=True),
    Case(LAUNCH, "pending.after_replace", None, pending=True),
    Case(LAUNCH, "launch.after_pending_write", None, pending=True),
    Case(LAUNCH, "launch.after_command_start", None, pending=True),
    Case(LAUNCH, "launch.after_command_exit", None, pending=True),
    Case(LAUNCH, "launch.after_temp_write", None, temp=True, pending=True),
    Case(LAUNCH, "launch.after_link", "c1", temp=True, pending=True, starting=True),
    Case(LAUNCH, "launch.after_history", "c1", pending=True, starting=True),
    Case(LAUNCH, "launch.before_session", "c1", starting=True),
    Case(LAUNCH, "session.after_replace", "c1", session=True, starting=True),
]


def related(overlay: Overlay, pod: str) -> list[str]:
    session = get_session(overlay, pod)
    return [ref.id for ref in session.related_tickets] if session else []


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.command[0]}-{c.fault}")
def test_a_kill_at_each_fault_point_leaves_old_or_new_state_and_safe_leftovers(
    worker: Worker, overlay: Overlay, case: Case
) -> None:
    if case.before is not None:
        claim(overlay, TICKET, case.before, "coder")

    code, err = run(worker, overlay, *case.command, fault=f"{case.fault}:die")

    assert code == KILLED, f"the fault point {case.fault} was not reached: {err}"
    wait_for_launch_commands(overlay)  # a command the launcher left holds its lock a moment
    assert claim_holders(overlay).get(TICKET) == case.holder
    assert bool(temp_files(overlay)) == case.temp
    assert bool(list(overlay.pending_dir.glob("*.json"))) == case.pending
    if case.command == RECORD:
        assert (get_session(overlay, "s1") is not None) == case.session
    else:
        assert (TICKET in related(overlay, "c1")) == case.session
    assert check_overlay(overlay) == []  # every file parses, no lock is held
    assert locks_free_now(overlay) == []
    assert check_after_crash(worker, overlay) == []

    # The next operation succeeds at once and ends in the state the interrupted one wanted.
    started = time.monotonic()
    if case.starting:
        code, err = run(worker, overlay, *case.command)
        assert code == 1 and "(role coder, status starting)" in err, err
        code, err = run(worker, overlay, *CLAIM)
    else:
        code, err = run(worker, overlay, *case.command)
    assert time.monotonic() - started < 20
    if case.command == RELEASE and case.holder is None:
        assert (code, err.splitlines()[0]) == (1, f"error: ticket {TICKET} has no local claim")
    else:
        assert code == 0, err
    if case.command == RECORD:
        assert get_session(overlay, "s1") is not None
    elif case.command == RELEASE:
        assert claim_holders(overlay) == {}
    else:
        assert claim_holders(overlay) == {TICKET: "c1"}
        assert TICKET in related(overlay, "c1")
    assert list(overlay.pending_dir.glob("*")) == []
    assert check_overlay(overlay) == []


def test_claiming_again_restores_the_session_a_crash_left_out(
    worker: Worker, overlay: Overlay
) -> None:
    """Regression: a claim whose process died before its role session was written was
    never related to the Pod's session, because claiming again 'changed nothing'."""
    assert run(worker, overlay, *CLAIM, fault="claim.after_history:die")[0] == KILLED
    assert claim_holders(overlay) == {TICKET: "c1"} and list_sessions(overlay).sessions == []
    code, err = run(worker, overlay, *CLAIM)
    assert (code, err) == (0, "")
    assert related(overlay, "c1") == [TICKET]
    sessions = overlay.sessions_path.read_bytes()
    assert run(worker, overlay, *CLAIM)[0] == 0
    assert overlay.sessions_path.read_bytes() == sessions  # nothing more to restore


def test_an_unreadable_sessions_file_refuses_the_claim_before_writing_it(
    worker: Worker, overlay: Overlay
) -> None:
    """Regression: the claim was written, then the command failed on role-sessions.json."""
    overlay.ensure()
    overlay.sessions_path.write_bytes(b'{"version": 1, "sessions": {')
    code, err = run(worker, overlay, *CLAIM)
    assert code == 2
    assert err.startswith(f"error: {overlay.sessions_path}: not a valid RoleSessionsFile")
    assert claim_holders(overlay) == {}
    assert run(worker, overlay, *LAUNCH)[0] == 2
    assert claim_holders(overlay) == {}


# --- paused processes killed from outside ---------------------------------------------


def paused(overlay: Overlay, tmp_path: Path, point: str, *args: str) -> subprocess.Popen[str]:
    """Start ``yoi-ticket ARGS`` in a new process group, paused at fault ``point``."""
    ready = tmp_path / "ready"
    env = {
        **os.environ,
        faults.FAULT_ENV: f"{point}:pause",
        faults.READY_ENV: str(ready),
        **overlay_env(overlay),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "yoi_ticket", *cli_job(overlay, *args)["argv"]],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{point} never reached"
        time.sleep(0.01)
    assert ready.read_text().split() == [str(process.pid), point]
    return process


def sigkill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    _out, err = process.communicate(timeout=10)
    assert process.returncode == KILLED, err


def test_a_claimer_paused_under_the_lock_blocks_others_until_killed(
    worker: Worker, overlay: Overlay, tmp_path: Path
) -> None:
    process = paused(overlay, tmp_path, "claim.locked", *CLAIM)
    try:
        assert locks_free_now(overlay) == ["claims.lock is still locked"]
    finally:
        sigkill(process)
    assert locks_free_now(overlay) == []
    code, err = run(worker, overlay, "claim", TICKET, "--pod", "c2", "--role", "coder")
    assert (code, err) == (0, "")
    assert claim_holders(overlay) == {TICKET: "c2"}


def test_a_launch_paused_in_flight_refuses_others_and_its_death_frees_the_ticket(
    worker: Worker, overlay: Overlay, tmp_path: Path
) -> None:
    process = paused(overlay, tmp_path, "launch.after_command_exit", *LAUNCH)
    try:
        code, err = run(worker, overlay, "claim", TICKET, "--pod", "c2", "--role", "coder")
        assert code == 1 and "launch by Pod 'c1' (role coder" in err
        code, err = run(worker, overlay, *LAUNCH)
        assert code == 1 and "in progress" in err
    finally:
        sigkill(process)
    assert claim_holders(overlay) == {}
    assert check_after_crash(worker, overlay) == []
    assert run(worker, overlay, "claim", TICKET, "--pod", "c2", "--role", "coder")[0] == 0


def test_a_paused_process_carries_on_when_its_ready_file_is_removed(
    overlay: Overlay, tmp_path: Path
) -> None:
    process = paused(overlay, tmp_path, "claim.after_link", *CLAIM)
    assert claim_holders(overlay) == {TICKET: "c1"}
    (tmp_path / "ready").unlink()
    _out, err = process.communicate(timeout=60)
    assert (process.returncode, err) == (0, "")
    assert temp_files(overlay) == []
    assert related(overlay, "c1") == [TICKET]


# --- random moments -----------------------------------------------------------------


def test_kills_at_random_moments_never_leave_a_broken_overlay(
    worker: Worker, overlay: Overlay
) -> None:
    report = random_kills(worker, overlay, TICKET, RANDOM_KILLS, seed=20260601)
    assert report.failures == []
    assert report.attempts == RANDOM_KILLS
    assert report.killed >= RANDOM_KILLS // 2, report.kills
    assert report.doctor_checks == RANDOM_KILLS // 4
    # --force: the last holder may be a launch's claim, starting (not stale) for a while
    force = ("reclaim", TICKET, "--pod", "last", "--role", "coder", "--force")
    code, err = run(worker, overlay, *force)
    assert (code, err) == (0, "")
    assert json.loads(overlay.claim_path(TICKET).read_text())["pod_name"] == "last"
