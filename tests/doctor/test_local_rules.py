"""YT4xx: local claim health, on real overlays under a temporary YOI_HOME with real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import init_repo
from harness.doctor import edit, fingerprint, ticket_dir, ticket_workspace
from harness.overlay import dead_pid, kill, make_live, start_launch
from yoi_ticket import __version__
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.overlay.claims import claim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.records import TicketClaim
from yoi_ticket.overlay.sessions import record_session

READY = "00001KVZSGT14"
QUEUED = "00001KVZSGT0Q"
CLOSED = "00001KSKBPHRG"
MISSING = "00001ZZZZZZZZ"

Found = tuple[str, str, str, int | None]


@pytest.fixture
def overlay(v2_workspace: Path, yoi_home: Path) -> Overlay:
    return Overlay.for_workspace(v2_workspace)


def local(workspace: Path, *select: str, no_local: bool = False) -> list[Diagnostic]:
    options = DoctorOptions(select=select or ("YT4",), no_local=no_local)
    return run_doctor(workspace, options).diagnostics


def found(workspace: Path, *select: str) -> set[Found]:
    return {(d.code, d.severity.value, d.path, d.line) for d in local(workspace, *select)}


def claim_file(overlay: Overlay, ticket_id: str) -> str:
    return str(overlay.claim_path(ticket_id))


# --- YT401 stale claims, by Pod status ----------------------------------------------------


def test_a_claim_whose_pod_is_gone_is_stale(overlay: Overlay) -> None:
    claim(overlay, READY, "coder-1", "coder")
    diagnostics = local(overlay.workspace)
    assert {(d.code, d.severity.value, d.path, d.line) for d in diagnostics} == {
        ("YT401", "warning", claim_file(overlay, READY), None)
    }
    (diagnostic,) = diagnostics
    assert "Pod 'coder-1'" in diagnostic.message and "stale" in diagnostic.message
    assert diagnostic.hint is not None
    assert f"yoi ticket release {READY} --pod coder-1" in diagnostic.hint


def test_live_restorable_and_foreign_claims_are_not_stale(
    overlay: Overlay, yoi_home: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, READY, "live-1", "coder")
    claim(overlay, QUEUED, "saved-1", "coder")
    make_live(overlay, ("live-1", sleeper.pid))
    metadata = yoi_home / "pods" / "saved-1" / "metadata.json"
    metadata.parent.mkdir(parents=True)
    metadata.write_text("{}")
    foreign = TicketClaim(
        ticket_id="00001KW04A8K6",
        pod_name="elsewhere-1",
        role="coder",
        claimed_at="2026-06-01T00:00:00Z",
        host="another-host.example",
    )
    Path(claim_file(overlay, foreign.ticket_id)).write_bytes(foreign.to_json())
    assert local(overlay.workspace) == []
    metadata.unlink()
    assert found(overlay.workspace) == {("YT401", "warning", claim_file(overlay, QUEUED), None)}


def test_an_old_claim_of_a_live_pod_is_not_stale(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, READY, "coder-1", "coder")
    path = Path(claim_file(overlay, READY))
    old = json.loads(path.read_text())
    old["claimed_at"] = "2001-01-01T00:00:00Z"
    path.write_text(json.dumps(old))
    make_live(overlay, ("coder-1", sleeper.pid))
    assert local(overlay.workspace) == []


# --- YT402 claims on finished or missing tickets ------------------------------------------


def test_claims_on_closed_and_missing_tickets(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, CLOSED, "coder-1", "coder")
    claim(overlay, MISSING, "coder-2", "coder", allow_missing=True)
    claim(overlay, READY, "coder-3", "coder")
    make_live(overlay, ("coder-1", sleeper.pid), ("coder-2", sleeper.pid), ("coder-3", sleeper.pid))
    diagnostics = local(overlay.workspace)
    assert {(d.code, d.severity.value, d.path, d.line) for d in diagnostics} == {
        ("YT402", "warning", claim_file(overlay, CLOSED), None),
        ("YT402", "warning", claim_file(overlay, MISSING), None),
        ("YT410", "info", str(overlay.sessions_path), None),
    }
    messages = {d.path: d.message for d in diagnostics if d.code == "YT402"}
    assert messages[claim_file(overlay, CLOSED)].endswith("a ticket that is closed")
    assert messages[claim_file(overlay, MISSING)].endswith("a ticket that is not in the store")


def test_claim_state_is_judged_even_when_doctor_checks_only_some_paths(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, CLOSED, "coder-1", "coder")
    make_live(overlay, ("coder-1", sleeper.pid))
    options = DoctorOptions(select=("YT402",), paths=(".",))
    (diagnostic,) = run_doctor(overlay.workspace, options).diagnostics
    assert diagnostic.path == claim_file(overlay, CLOSED)


# --- YT403 unreadable files, YT404 wrong ticket, YT405 Companion ---------------------------


def test_unreadable_and_partial_overlay_and_registry_files(overlay: Overlay) -> None:
    claim(overlay, READY, "coder-1", "coder")
    partial = Path(claim_file(overlay, QUEUED))
    partial.write_text('{"version": 1, "ticket_id": "' + QUEUED + '", "pod_na')
    overlay.sessions_path.write_text("[1, 2")
    overlay.workspace_record_path.write_text('{"version": 1}')
    registry = overlay.locations.pod_registry
    registry.parent.mkdir(parents=True)
    registry.write_text('{"allocations": [{"pod_name": "coder-1", "pid": ')
    diagnostics = local(overlay.workspace, "YT403")
    assert {(d.code, d.severity.value, d.path, d.line) for d in diagnostics} == {
        ("YT403", "error", str(partial), None),
        ("YT403", "error", str(overlay.sessions_path), None),
        ("YT403", "error", str(overlay.workspace_record_path), None),
        ("YT403", "error", str(registry), None),
    }
    assert all(not d.message.startswith("/") for d in diagnostics)


def test_a_claim_file_holding_another_tickets_claim(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, READY, "coder-1", "coder")
    make_live(overlay, ("coder-1", sleeper.pid))
    copy = Path(claim_file(overlay, QUEUED))
    copy.write_bytes(Path(claim_file(overlay, READY)).read_bytes())
    diagnostics = local(overlay.workspace)
    assert {(d.code, d.severity.value, d.path, d.line) for d in diagnostics} == {
        ("YT404", "error", str(copy), None)
    }
    assert QUEUED in diagnostics[0].message and READY in diagnostics[0].message


def test_a_claim_held_by_the_companion(overlay: Overlay, sleeper: subprocess.Popen[bytes]) -> None:
    companion = overlay.identity.companion
    assert companion == "ws"
    overlay.ensure()
    by_hand = TicketClaim(
        ticket_id=READY,
        pod_name=companion,
        role="coder",
        claimed_at="2026-06-01T00:00:00Z",
        host=os.uname().nodename,
    )
    Path(claim_file(overlay, READY)).write_bytes(by_hand.to_json())
    make_live(overlay, (companion, sleeper.pid))
    assert found(overlay.workspace) == {("YT405", "error", claim_file(overlay, READY), None)}


# --- YT406 dead pending launches, YT407 temp files -----------------------------------------


def test_a_launcher_killed_with_sigkill_leaves_a_dead_pending_launch(
    overlay: Overlay, tmp_path: Path
) -> None:
    child_pid_file = tmp_path / "child.pid"
    launcher = start_launch(overlay, READY, "coder-1", child_pid_file)
    child = int(child_pid_file.read_text())
    try:
        assert local(overlay.workspace) == []  # in flight: its launcher holds the lock
        os.killpg(launcher.pid, signal.SIGKILL)
        assert launcher.wait(timeout=10) == -signal.SIGKILL
        diagnostics = local(overlay.workspace)
    finally:
        kill(child)
    pending = str(overlay.pending_path(READY))
    assert {(d.code, d.severity.value, d.path, d.line) for d in diagnostics} == {
        ("YT406", "warning", pending, None)
    }
    assert "Pod 'coder-1'" in diagnostics[0].message
    assert diagnostics[0].hint == "yoi ticket doctor --fix removes it"


def test_a_launcher_killed_alone_leaves_an_orphaned_launch_fix_never_removes(
    overlay: Overlay, tmp_path: Path
) -> None:
    from harness.launches import finish, start_cli_launch, started, stop_command

    folder = tmp_path / "spawns"
    launcher = start_cli_launch(overlay, READY, "coder-1", folder)
    (command,) = started(folder)
    os.kill(launcher.pid, signal.SIGKILL)
    finish(launcher)
    try:
        pending = str(overlay.pending_path(READY))
        (diagnostic,) = local(overlay.workspace)
        assert (diagnostic.code, diagnostic.severity.value, diagnostic.path) == (
            "YT417",
            "warning",
            pending,
        )
        assert diagnostic.message == (
            f"orphaned launch of Pod 'coder-1' (role coder) for {READY}: its launcher"
            f" (pid {launcher.pid}) is gone, its command (pid {command}) still runs"
        )
        assert diagnostic.hint == (
            f"wait for pid {command} to end (or kill {command}), then claim {READY} for the"
            f" Pod if it started: yoi ticket claim {READY} --pod coder-1 --role coder"
        )
        fixed = run_doctor(overlay.workspace, DoctorOptions(select=("YT4",), fix=True))
        assert [d.code for d in fixed.diagnostics] == ["YT417"] and fixed.fixes == []
        assert os.path.exists(pending)
    finally:
        stop_command(command)
    assert [d.code for d in local(overlay.workspace)] == ["YT406"]


def test_a_pending_record_nobody_locks_is_dead(overlay: Overlay) -> None:
    overlay.ensure()
    record = {
        "version": 1,
        "ticket_id": QUEUED,
        "pod_name": "coder-9",
        "role": "coder",
        "pid": dead_pid(),
        "host": "h",
        "started_at": "2026-06-01T00:00:00Z",
    }
    overlay.pending_path(QUEUED).write_text(json.dumps(record))
    assert found(overlay.workspace) == {
        ("YT406", "warning", str(overlay.pending_path(QUEUED)), None)
    }


def test_temp_files_of_dead_writers_are_leftovers_and_of_live_ones_are_not(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    overlay.ensure()
    leftover = overlay.claims_dir / f".tmp-{dead_pid()}-0a1b2c3d4e5f"
    leftover.write_text("{")
    (overlay.root / f".tmp-{sleeper.pid}-0a1b2c3d4e5f").write_text("{")
    assert found(overlay.workspace) == {("YT407", "info", str(leftover), None)}


# --- YT408 split overlays, YT409 vanished workspaces, YT410 sessions --------------------------


def other_overlay(yoi_home: Path, key: str, canonical: str, *seen: str) -> Path:
    folder = yoi_home / "workspaces" / key
    folder.mkdir(parents=True)
    record = {
        "version": 1,
        "canonical_path": canonical,
        "created_at": "2026-06-01T00:00:00Z",
        "seen_paths": list(seen),
    }
    (folder / "workspace.json").write_text(json.dumps(record))
    return folder


def test_an_overlay_recorded_under_a_symlink_of_this_workspace_is_a_split(
    overlay: Overlay, yoi_home: Path, tmp_path: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to(overlay.workspace)
    split = other_overlay(yoi_home, "link-00000000000000aa", str(link), str(link))
    moved = other_overlay(
        yoi_home, "old-00000000000000bb", "/nowhere/old", str(overlay.workspace) + "/"
    )
    unrelated = tmp_path / "other"
    (unrelated / ".yoi").mkdir(parents=True)
    other_overlay(yoi_home, "other-00000000000000cc", str(unrelated), str(unrelated))
    diagnostics = local(overlay.workspace)
    assert {(d.code, d.severity.value, d.path, d.line) for d in diagnostics} == {
        ("YT408", "warning", str(split), None),
        ("YT408", "warning", str(moved), None),
    }
    assert all(overlay.identity.canonical_path in d.message for d in diagnostics)


def test_overlays_of_workspaces_that_are_gone_are_noted(
    overlay: Overlay, yoi_home: Path, tmp_path: Path
) -> None:
    gone = other_overlay(yoi_home, "gone-00000000000000dd", str(tmp_path / "gone"))
    no_longer = tmp_path / "plain"
    no_longer.mkdir()  # the folder is there, but it holds no .yoi/ any more
    emptied = other_overlay(yoi_home, "plain-00000000000000ee", str(no_longer), str(no_longer))
    assert found(overlay.workspace) == {
        ("YT409", "info", str(gone), None),
        ("YT409", "info", str(emptied), None),
    }


def test_a_role_session_related_to_a_missing_ticket(overlay: Overlay) -> None:
    record_session(overlay, "intake-1", "intake", tickets=[READY, MISSING])
    diagnostics = local(overlay.workspace)
    assert {(d.code, d.severity.value, d.path, d.line) for d in diagnostics} == {
        ("YT410", "info", str(overlay.sessions_path), None)
    }
    assert MISSING in diagnostics[0].message and "intake-1" in diagnostics[0].message


def test_no_local_skips_every_overlay_check(overlay: Overlay, yoi_home: Path) -> None:
    claim(overlay, READY, "coder-1", "coder")
    overlay.sessions_path.write_text("{")
    other_overlay(yoi_home, "gone-00000000000000dd", "/nowhere/gone")
    assert len(local(overlay.workspace)) == 3
    assert local(overlay.workspace, "YT3", "YT4", no_local=True) == []


def test_a_workspace_without_an_overlay_has_no_local_findings(v2_workspace: Path) -> None:
    assert local(v2_workspace) == []


# --- exact renderings of YT3/YT4 findings ----------------------------------------------------

EXPECTED = Path(__file__).parents[1] / "data" / "expected"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yoi_ticket", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture
def leaky(tmp_path: Path, yoi_home: Path) -> tuple[Path, Overlay]:
    """An assignee naming a Pod that holds a (stale) claim, and a plan with a home path."""
    workspace = init_repo(ticket_workspace(tmp_path, READY))
    folder = ticket_dir(workspace, READY)
    edit(folder / "item.md", "assignee: null", "assignee: coder-1")
    (folder / "artifacts" / "orchestration-plan.jsonl").write_text(
        json.dumps(
            {
                "id": "p1",
                "ticket_id": READY,
                "kind": "accepted_plan",
                "worktree": "/home/alice/src/repo/.worktree/x",
            }
        )
        + "\n"
    )
    done = cli("claim", READY, "--pod", "coder-1", "--role", "coder", "-C", str(workspace))
    assert done.returncode == 0, done.stderr
    return workspace, Overlay.for_workspace(workspace)


def rendered(leaky: tuple[Path, Overlay], fmt: str, *codes: str) -> str:
    workspace, overlay = leaky
    selection = [arg for code in codes for arg in ("--select", code)]
    done = cli("doctor", "-C", str(workspace), "--format", fmt, *selection)
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    return done.stdout.replace(str(overlay.root), "<OVERLAY>").replace(__version__, "<VERSION>")


def test_github_rendering_of_leak_and_claim_findings(leaky: tuple[Path, Overlay]) -> None:
    output = rendered(leaky, "github", "YT302", "YT303", "YT401")
    assert output == (EXPECTED / "yt3_yt4.github.txt").read_text(encoding="utf-8")


def test_sarif_rendering_of_leak_and_claim_findings(leaky: tuple[Path, Overlay]) -> None:
    output = rendered(leaky, "sarif", "YT302", "YT401")
    # The claim file lies outside the workspace: its absolute path (this test's temporary
    # folder) is part of the fingerprint.
    stale = "claim by Pod 'coder-1' (role coder) on 00001KVZSGT14 is stale: not running"
    claim_path = str(leaky[1].claim_path(READY))
    local = fingerprint("YT401", claim_path, f"{stale}, nothing to restore")
    assert output.count(local) == 1
    output = output.replace(local, "<FINGERPRINT OF THE CLAIM FILE>")
    assert output == (EXPECTED / "yt3_yt4.sarif").read_text(encoding="utf-8")
