"""Launch (SPEC 7.3): claim only after the Pod started, with real commands and processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness.overlay import kill, make_live, start_launch
from yoi_ticket.errors import RefusedError
from yoi_ticket.overlay import pending
from yoi_ticket.overlay.claims import claim, list_claims, read_claim, reclaim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.launch import LaunchCommandError, launch, run_launch
from yoi_ticket.overlay.sessions import get_session, list_sessions

TICKET = "00001KSKBPDVG"


def claim_holders(overlay: Overlay) -> list[str]:
    return [entry.claim.pod_name for entry in list_claims(overlay).claims]


def pending_files(overlay: Overlay) -> list[str]:
    return sorted(p.name for p in overlay.pending_dir.iterdir())


def test_a_failing_command_leaves_no_claim_no_pending_record_and_no_session(
    overlay: Overlay,
) -> None:
    assert run_launch(overlay, TICKET, "coder-1", "coder", ["sh", "-c", "exit 3"]).status == 3
    assert claim_holders(overlay) == []
    assert pending_files(overlay) == []
    assert list_sessions(overlay).sessions == []


def test_a_succeeding_command_leaves_one_claim_and_a_role_session(
    overlay: Overlay, tmp_path: Path
) -> None:
    seen = tmp_path / "env.json"
    script = (
        "import json, os, sys; json.dump({k: v for k, v in os.environ.items()"
        " if k.startswith('YOI_')}, open(sys.argv[1], 'w'))"
    )
    assert (
        run_launch(overlay, TICKET, "coder-1", "coder", [sys.executable, "-c", script, seen]).status
        == 0
    )

    assert claim_holders(overlay) == ["coder-1"]
    assert pending_files(overlay) == []
    session = get_session(overlay, "coder-1")
    assert session is not None
    assert (session.role, session.origin) == ("coder", "role_launch")
    assert [ref.id for ref in session.related_tickets] == [TICKET]
    env = json.loads(seen.read_text())
    assert (env["YOI_TICKET_ID"], env["YOI_POD_NAME"], env["YOI_ROLE"]) == (
        TICKET,
        "coder-1",
        "coder",
    )
    entry = json.loads(overlay.history_path.read_text().splitlines()[-1])
    assert (entry["action"], entry["via"]) == ("claim", "launch")


def test_a_command_killed_by_a_signal_claims_nothing(overlay: Overlay) -> None:
    assert run_launch(overlay, TICKET, "coder-1", "coder", ["sh", "-c", "kill -9 $$"]).status == 137
    assert claim_holders(overlay) == []
    assert pending_files(overlay) == []


def test_a_command_that_cannot_start_claims_nothing(overlay: Overlay, tmp_path: Path) -> None:
    with pytest.raises(LaunchCommandError) as missing:
        run_launch(overlay, TICKET, "coder-1", "coder", [str(tmp_path / "no-such-command")])
    assert missing.value.exit_code == 127
    assert claim_holders(overlay) == []
    assert pending_files(overlay) == []


def test_while_a_launch_is_in_flight_claims_and_launches_are_refused(overlay: Overlay) -> None:
    with launch(overlay, TICKET, "coder-1", "coder") as attempt:
        (entry,) = pending.list_pending(overlay)
        assert entry.alive and entry.ticket_id == TICKET
        assert entry.record is not None and entry.record.pid == os.getpid()
        with pytest.raises(RefusedError, match=r"launch by Pod 'coder-1' \(role coder, pid"):
            claim(overlay, TICKET, "coder-2", "coder")
        with pytest.raises(RefusedError, match="in progress"):
            run_launch(overlay, TICKET, "coder-2", "coder", ["true"])
        assert attempt.claim is None
    assert attempt.claim is not None and attempt.claim.pod_name == "coder-1"
    assert pending.list_pending(overlay) == []


def test_the_context_manager_claims_nothing_on_error_or_abort(overlay: Overlay) -> None:
    with pytest.raises(OSError, match="spawn failed"), launch(overlay, TICKET, "coder-1", "coder"):
        raise OSError("spawn failed")
    with launch(overlay, TICKET, "coder-1", "coder") as attempt:
        attempt.abort()
    assert claim_holders(overlay) == []
    assert pending_files(overlay) == []


def test_a_launch_refuses_a_live_and_a_stale_holder_and_reclaim_is_the_way(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, TICKET, "old-coder", "coder")
    make_live(overlay, ("old-coder", sleeper.pid))
    with pytest.raises(RefusedError, match=r"Pod 'old-coder' \(role coder, status live\)"):
        run_launch(overlay, TICKET, "coder-1", "coder", ["true"])

    make_live(overlay)  # no Pod is allocated any more: the old claim is stale
    with pytest.raises(RefusedError, match=r"status stale") as refused:
        run_launch(overlay, TICKET, "coder-1", "coder", ["true"])
    assert refused.value.hint == (
        f"the holder is stale; take the ticket over with: yoi ticket reclaim {TICKET}"
        " --pod coder-1 --role coder"
    )
    assert claim_holders(overlay) == ["old-coder"]  # a stale claim is never replaced silently
    assert pending_files(overlay) == []

    reclaim(overlay, TICKET, "coder-1", "coder")
    assert run_launch(overlay, TICKET, "coder-1", "coder", ["true"]).status == 0  # its own claim
    assert claim_holders(overlay) == ["coder-1"]
    actions = [json.loads(line) for line in overlay.history_path.read_text().splitlines()]
    assert [(a["action"], a["old"] and a["old"]["pod_name"]) for a in actions] == [
        ("claim", None),
        ("reclaim", "old-coder"),
        ("claim", "coder-1"),
    ]


def test_a_launch_killed_whole_leaves_a_dead_record_that_never_blocks_a_retry(
    overlay: Overlay, tmp_path: Path
) -> None:
    """The launcher and its command killed together (its process group): the lock is free.
    (The launcher alone killed: tests/overlay/test_launch_signals.py.)"""
    child_pid_file = tmp_path / "child.pid"
    launcher = start_launch(overlay, TICKET, "coder-1", child_pid_file)
    child_pid = int(child_pid_file.read_text())
    assert [entry.alive for entry in pending.list_pending(overlay)] == [True]
    try:
        os.killpg(launcher.pid, signal.SIGKILL)
        assert launcher.wait(timeout=10) == -signal.SIGKILL
        wait_gone(child_pid)

        (dead,) = pending.list_pending(overlay)
        assert not dead.alive and not dead.orphaned
        assert dead.record is not None and dead.record.pod_name == "coder-1"
        assert read_claim(overlay, TICKET) is None

        assert run_launch(overlay, TICKET, "coder-2", "coder", ["true"]).status == 0
        assert claim_holders(overlay) == ["coder-2"]
        assert pending_files(overlay) == []
    finally:
        kill(child_pid)


def wait_gone(pid: int) -> None:
    """Wait until ``pid`` (a child of a killed process, reaped by init) is gone."""
    from harness.launches import wait_until
    from yoi_ticket.overlay.locations import pid_alive

    wait_until(lambda: not pid_alive(pid), 10, f"pid {pid} to end")


def test_a_dead_pending_record_can_be_removed_and_a_live_one_cannot(overlay: Overlay) -> None:
    with launch(overlay, TICKET, "coder-1", "coder") as attempt:
        path = overlay.pending_path(TICKET)
        assert not pending.remove_dead(overlay, path)
        copy = path.read_bytes()
        attempt.abort()
    path.write_bytes(copy)  # what a killed launcher leaves behind
    (entry,) = pending.list_pending(overlay)
    assert not entry.alive
    assert pending.remove_dead(overlay, path)
    assert pending_files(overlay) == []
