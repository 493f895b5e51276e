"""YT4xx on yoi's panel registry: files written as upstream writes them under a temporary
YOI_HOME, real processes for live Pods, and ``--fix`` removing only the lock and temps."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from harness.overlay import make_live
from harness.panel import age, write_panel_claim, write_panel_sessions
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.fixes import apply_fixes
from yoi_ticket.doctor.report import Report
from yoi_ticket.doctor.runner import make_context, run, selected_rules
from yoi_ticket.overlay.claims import claim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.panel import panel_folder_name

READY = "00001KVZSGT14"
QUEUED = "00001KVZSGT0Q"
OTHER = "00001KW04A8K6"
HOUR = 3600.0

Found = tuple[str, str, str, int | None]


@pytest.fixture
def overlay(v2_workspace: Path, yoi_home: Path) -> Overlay:
    return Overlay.for_workspace(v2_workspace)


def panel_folder(overlay: Overlay, spelled: str | None = None) -> Path:
    """The panel registry folder of the panel run in ``spelled`` (the canonical path)."""
    name = panel_folder_name(spelled or overlay.identity.canonical_path)
    return overlay.locations.data_dir / "panel" / "workspaces" / name


def local(workspace: Path, *select: str, no_local: bool = False) -> list[Diagnostic]:
    options = DoctorOptions(select=select or ("YT4",), no_local=no_local)
    return run_doctor(workspace, options).diagnostics


def found(diagnostics: list[Diagnostic]) -> set[Found]:
    return {(d.code, d.severity.value, d.path, d.line) for d in diagnostics}


def nanos() -> str:
    return str(time.time_ns())


# --- YT412 claimed in both registries -------------------------------------------------------


def test_a_ticket_claimed_here_and_in_the_panel_by_different_pods(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, READY, "coder-1", "coder")
    claim(overlay, QUEUED, "coder-3", "coder")
    folder = panel_folder(overlay)
    theirs = write_panel_claim(
        folder, {"ticket_id": READY, "worker_name": "coder-2", "role": "coder"}
    )
    write_panel_claim(folder, {"ticket_id": QUEUED, "pod_name": "coder-3", "role": "coder"})
    make_live(overlay, ("coder-1", sleeper.pid), ("coder-2", sleeper.pid), ("coder-3", sleeper.pid))
    diagnostics = local(overlay.workspace)
    ours = str(overlay.claim_path(READY))
    assert found(diagnostics) == {("YT412", "error", ours, None)}  # the same Pod twice is fine
    (diagnostic,) = diagnostics
    assert "Pod 'coder-1'" in diagnostic.message and "Pod 'coder-2'" in diagnostic.message
    assert str(theirs) in diagnostic.message
    assert diagnostic.hint is not None
    assert f"yoi ticket release {READY} --pod coder-1" in diagnostic.hint


# --- YT413 stale panel claims ---------------------------------------------------------------


def test_a_panel_claim_whose_pod_is_gone_is_stale_and_live_or_saved_ones_are_not(
    overlay: Overlay, yoi_home: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    folder = panel_folder(overlay)
    stale = write_panel_claim(
        folder, {"ticket_id": READY, "worker_name": "gone-1", "role": "coder"}
    )
    write_panel_claim(folder, {"ticket_id": QUEUED, "pod_name": "live-1", "role": "coder"})
    write_panel_claim(folder, {"ticket_id": OTHER, "worker_name": "saved-1", "role": "reviewer"})
    make_live(overlay, ("live-1", sleeper.pid))
    metadata = yoi_home / "workers" / "saved-1" / "metadata.json"
    metadata.parent.mkdir(parents=True)
    metadata.write_text("{}\n")
    diagnostics = local(overlay.workspace)
    assert found(diagnostics) == {("YT413", "warning", str(stale), None)}
    (diagnostic,) = diagnostics
    assert "Pod 'gone-1'" in diagnostic.message and "stale" in diagnostic.message
    assert diagnostic.hint == f"yoi ticket reclaim {READY} --pod POD --role coder"


# --- YT414 stuck lock, YT415 temp leftovers -------------------------------------------------


def test_a_lock_older_than_a_minute_is_stuck_and_a_fresh_one_is_not(overlay: Overlay) -> None:
    folder = panel_folder(overlay)
    folder.mkdir(parents=True)
    lock = folder / "role-sessions.lock"
    lock.touch()  # an update in progress
    assert local(overlay.workspace) == []
    age(lock, HOUR)
    diagnostics = local(overlay.workspace)
    assert found(diagnostics) == {("YT414", "warning", str(lock), None)}
    assert diagnostics[0].message.startswith("yoi's panel lock is 3600 s old")


def test_old_panel_temp_files_are_leftovers_and_fresh_ones_are_not(overlay: Overlay) -> None:
    folder = panel_folder(overlay)
    (folder / "ticket-claims").mkdir(parents=True)
    claim_temp = folder / "ticket-claims" / f".{nanos()}.tmp"
    sessions_temp = folder / f"role-sessions.json.{nanos()}.tmp"
    fresh = folder / "ticket-claims" / f".{nanos()}.tmp"
    for path in (claim_temp, sessions_temp, fresh):
        path.write_bytes(b'{\n  "ticket_id": "')
    age(claim_temp, HOUR)
    age(sessions_temp, 120)
    assert found(local(overlay.workspace)) == {
        ("YT415", "warning", str(claim_temp), None),
        ("YT415", "warning", str(sessions_temp), None),
    }


# --- YT416 a registry in a non-canonical folder -----------------------------------------------


def test_a_panel_registry_of_a_symlinked_path_is_noted(overlay: Overlay, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(overlay.workspace)
    canonical, other = panel_folder(overlay), panel_folder(overlay, str(link))
    canonical.mkdir(parents=True)
    write_panel_sessions(other, str(link), {})
    diagnostics = local(link)
    assert found(diagnostics) == {("YT416", "info", str(other), None)}
    assert str(link) in diagnostics[0].message
    assert overlay.identity.canonical_path in diagnostics[0].message
    assert local(overlay.workspace) == []  # through the canonical path the link is unknown


# --- YT403 unreadable panel files -----------------------------------------------------------


def test_unreadable_panel_files_are_yt403(overlay: Overlay) -> None:
    folder = panel_folder(overlay)
    write_panel_claim(folder, {"ticket_id": READY, "worker_name": "w", "role": "coder"})
    partial = folder / "ticket-claims" / f"{QUEUED}.json"
    partial.write_bytes(b'{\n  "ticket_id": "' + QUEUED.encode() + b'",\n  "wor')
    copied = folder / "ticket-claims" / f"{OTHER}.json"
    copied.write_bytes((folder / "ticket-claims" / f"{READY}.json").read_bytes())
    sessions = folder / "role-sessions.json"
    sessions.write_bytes(b'{\n  "version": 1,\n  "sessions": [\n')
    diagnostics = local(overlay.workspace, "YT403")
    assert found(diagnostics) == {
        ("YT403", "error", str(partial), None),
        ("YT403", "error", str(copied), None),
        ("YT403", "error", str(sessions), None),
    }
    assert all(d.message.startswith("yoi's panel registry: ") for d in diagnostics)


# --- --no-local, --fix ----------------------------------------------------------------------


@pytest.fixture
def cluttered(overlay: Overlay, sleeper: subprocess.Popen[bytes]) -> dict[str, Path]:
    """A stuck lock, two old temp files, a stale and a live panel claim."""
    folder = panel_folder(overlay)
    stale = write_panel_claim(
        folder, {"ticket_id": READY, "worker_name": "gone-1", "role": "coder"}
    )
    live = write_panel_claim(folder, {"ticket_id": QUEUED, "pod_name": "live-1", "role": "coder"})
    make_live(overlay, ("live-1", sleeper.pid))
    paths = {
        "lock": folder / "role-sessions.lock",
        "claim_temp": folder / "ticket-claims" / f".{nanos()}.tmp",
        "sessions_temp": folder / f"role-sessions.json.{nanos()}.tmp",
    }
    for path in paths.values():
        path.write_bytes(b"")
        age(path, HOUR)
    return {**paths, "stale": stale, "live": live}


def doctor(workspace: Path, *, fix: bool, dry_run: bool = False) -> Report:
    return run_doctor(workspace, DoctorOptions(select=("YT4",), fix=fix, dry_run=dry_run))


def test_no_local_reads_no_panel_registry(overlay: Overlay, cluttered: dict[str, Path]) -> None:
    assert len(local(overlay.workspace)) == 4
    report = run_doctor(overlay.workspace, DoctorOptions(no_local=True, fix=True))
    assert [d for d in report.diagnostics if d.code.startswith("YT4")] == []
    assert report.fixes == []
    assert all(path.exists() for path in cluttered.values())


def test_fix_removes_the_stuck_lock_and_the_temp_files_and_never_a_claim(
    overlay: Overlay, cluttered: dict[str, Path]
) -> None:
    before = found(doctor(overlay.workspace, fix=False).diagnostics)
    assert before == {
        ("YT413", "warning", str(cluttered["stale"]), None),
        ("YT414", "warning", str(cluttered["lock"]), None),
        ("YT415", "warning", str(cluttered["claim_temp"]), None),
        ("YT415", "warning", str(cluttered["sessions_temp"]), None),
    }
    fixed = doctor(overlay.workspace, fix=True)
    assert sorted(fixed.fixes) == sorted(
        [
            f"removed stuck panel lock {cluttered['lock']}",
            f"removed leftover panel temporary file {cluttered['claim_temp']}",
            f"removed leftover panel temporary file {cluttered['sessions_temp']}",
        ]
    )
    assert found(fixed.diagnostics) == {("YT413", "warning", str(cluttered["stale"]), None)}
    for name in ("lock", "claim_temp", "sessions_temp"):
        assert not cluttered[name].exists(), name
    assert cluttered["stale"].exists() and cluttered["live"].exists()
    assert doctor(overlay.workspace, fix=True).fixes == []


def test_fix_dry_run_lists_the_panel_fixes_and_touches_nothing(
    overlay: Overlay, cluttered: dict[str, Path]
) -> None:
    snapshot = {name: (path.read_bytes(), path.stat().st_mtime) for name, path in cluttered.items()}
    report = doctor(overlay.workspace, fix=True, dry_run=True)
    assert sorted(report.fixes) == sorted(
        [
            f"would remove stuck panel lock {cluttered['lock']}",
            f"would remove leftover panel temporary file {cluttered['claim_temp']}",
            f"would remove leftover panel temporary file {cluttered['sessions_temp']}",
        ]
    )
    assert len(report.diagnostics) == 4
    after = {name: (path.read_bytes(), path.stat().st_mtime) for name, path in cluttered.items()}
    assert after == snapshot


def test_fix_checks_again_right_before_removing(
    overlay: Overlay, cluttered: dict[str, Path], tmp_path: Path
) -> None:
    """Between the check and the fix a new update took the lock (a fresh file) and a temp
    file was replaced by a symlink: the fix keeps both, and never follows the link."""
    options = DoctorOptions(select=("YT4",), fix=True)
    rules = selected_rules(options)
    ctx = make_context(overlay.workspace, options, rules)
    try:
        diagnostics = run(ctx, rules)
        lock, temp = cluttered["lock"], cluttered["claim_temp"]
        lock.unlink()
        lock.touch()
        target = tmp_path / "elsewhere"
        target.write_bytes(b"keep")
        age(target, HOUR)
        temp.unlink()
        temp.symlink_to(target)
        age(temp, HOUR)
        outcome = apply_fixes(ctx, diagnostics)
    finally:
        ctx.git.close()
    assert sorted(outcome.lines) == sorted(
        [
            f"kept stuck panel lock {lock}: it is in use again",
            f"kept leftover panel temporary file {temp}: it is in use again",
            f"removed leftover panel temporary file {cluttered['sessions_temp']}",
        ]
    )
    assert lock.exists() and temp.is_symlink() and target.read_bytes() == b"keep"
    assert found(outcome.diagnostics) == {
        ("YT413", "warning", str(cluttered["stale"]), None),
        ("YT414", "warning", str(lock), None),
        ("YT415", "warning", str(temp), None),
    }
