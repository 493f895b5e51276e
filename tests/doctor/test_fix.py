"""``doctor --fix`` and ``--fix --dry-run``: only safe fixes, each reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import git
from harness.overlay import dead_pid, kill, make_live, start_launch
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.fixes import DEAD_PENDING, LEFTOVER_TEMP, FixOutcome
from yoi_ticket.doctor.report import Report
from yoi_ticket.overlay.claims import claim
from yoi_ticket.overlay.folder import Overlay

READY = "00001KVZSGT14"
QUEUED = "00001KVZSGT0Q"
OTHER = "00001KW04A8K6"


@pytest.fixture
def overlay(v2_workspace: Path, yoi_home: Path) -> Overlay:
    return Overlay.for_workspace(v2_workspace)


def doctor(workspace: Path, *, fix: bool, dry_run: bool = False) -> Report:
    return run_doctor(workspace, DoctorOptions(select=("YT4",), fix=fix, dry_run=dry_run))


def codes(report: Report) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in report.diagnostics]


@pytest.fixture
def broken(
    overlay: Overlay, tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> Iterator[dict[str, Path]]:
    """A dead pending launch (launcher killed), a live launch, a temp file, claims."""
    dead_launcher = start_launch(overlay, READY, "coder-1", tmp_path / "dead.pid")
    os.killpg(dead_launcher.pid, signal.SIGKILL)
    dead_launcher.wait(timeout=10)
    kill(int((tmp_path / "dead.pid").read_text()))
    live_launcher = start_launch(overlay, QUEUED, "coder-2", tmp_path / "live.pid")
    claim(overlay, OTHER, "coder-3", "coder")
    make_live(overlay, ("coder-3", sleeper.pid))
    temp = overlay.claims_dir / f".tmp-{dead_pid()}-0a1b2c3d4e5f"
    temp.write_text("{")
    try:
        yield {
            "dead": overlay.pending_path(READY),
            "live": overlay.pending_path(QUEUED),
            "claim": overlay.claim_path(OTHER),
            "temp": temp,
        }
    finally:
        os.killpg(live_launcher.pid, signal.SIGKILL)
        live_launcher.wait(timeout=10)
        kill(int((tmp_path / "live.pid").read_text()))


def test_fix_removes_dead_pending_launches_and_temp_files_and_reports_each(
    overlay: Overlay, broken: dict[str, Path]
) -> None:
    before = doctor(overlay.workspace, fix=False)
    assert codes(before) == sorted(
        [("YT406", str(broken["dead"])), ("YT407", str(broken["temp"]))], key=lambda c: c[1]
    )
    fixed = doctor(overlay.workspace, fix=True)
    assert fixed.diagnostics == []
    assert sorted(fixed.fixes) == sorted(
        [
            f"removed dead pending launch {broken['dead']}",
            f"removed leftover temporary file {broken['temp']}",
        ]
    )
    assert (
        fixed.fix_summary == "Fixed 2 findings: 1 dead pending launch, 1 leftover temporary file."
    )
    assert not broken["dead"].exists() and not broken["temp"].exists()
    assert broken["live"].exists() and broken["claim"].exists()
    again = doctor(overlay.workspace, fix=True)
    assert (again.fixes, again.fix_summary) == ([], "Nothing to fix.")
    assert doctor(overlay.workspace, fix=False).fix_summary is None


def test_dry_run_lists_the_fixes_and_touches_nothing(
    overlay: Overlay, broken: dict[str, Path]
) -> None:
    snapshot = {name: path.read_bytes() for name, path in broken.items()}
    report = doctor(overlay.workspace, fix=True, dry_run=True)
    assert sorted(report.fixes) == sorted(
        [
            f"would remove dead pending launch {broken['dead']}",
            f"would remove leftover temporary file {broken['temp']}",
        ]
    )
    assert sorted(codes(report)) == [("YT406", str(broken["dead"])), ("YT407", str(broken["temp"]))]
    assert report.fix_summary == (
        "Would fix 2 findings: 1 dead pending launch, 1 leftover temporary file."
    )
    assert {name: path.read_bytes() for name, path in broken.items()} == snapshot


def test_fix_never_removes_claims_stale_or_live(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, READY, "gone-1", "coder")  # stale: nothing runs it
    report = doctor(overlay.workspace, fix=True)
    assert [d.code for d in report.diagnostics] == ["YT401"]
    assert report.fixes == []
    assert overlay.claim_path(READY).exists()


def test_fix_never_edits_tracked_files(overlay: Overlay) -> None:
    workspace = overlay.workspace
    item = workspace / ".yoi" / "tickets" / READY / "item.md"
    item.write_text(item.read_text().replace("assignee: null", "claimed_by: coder-1"))
    git(workspace, "commit", "-q", "-am", "leak")
    options = DoctorOptions(select=("YT3",), fix=True)
    report = run_doctor(workspace, options)
    assert [d.code for d in report.diagnostics] == ["YT301"]
    assert report.fixes == []
    assert git(workspace, "status", "--porcelain").stdout == ""


def test_no_local_fixes_nothing(overlay: Overlay) -> None:
    overlay.ensure()
    temp = overlay.root / f".tmp-{dead_pid()}-0a1b2c3d4e5f"
    temp.write_text("x")
    report = run_doctor(overlay.workspace, DoctorOptions(no_local=True, fix=True))
    assert report.fixes == []
    assert temp.exists()


def test_the_cli_prints_the_fixes_on_stderr(overlay: Overlay) -> None:
    overlay.ensure()
    temp = overlay.pending_dir / f".tmp-{dead_pid()}-0a1b2c3d4e5f"
    temp.write_text("x")
    command = [sys.executable, "-m", "yoi_ticket", "doctor", "-C", str(overlay.workspace)]
    select = ["--select", "YT4"]
    dry = subprocess.run([*command, *select, "--fix", "--dry-run"], capture_output=True, text=True)
    assert dry.stderr == (
        f"would remove leftover temporary file {temp}\n"
        "Would fix 1 finding: 1 leftover temporary file.\n"
    )
    assert "YT407" in dry.stdout
    assert dry.returncode == 0  # an info finding does not fail the run
    assert temp.exists()
    done = subprocess.run([*command, *select, "--fix"], capture_output=True, text=True)
    assert done.stderr == (
        f"removed leftover temporary file {temp}\nFixed 1 finding: 1 leftover temporary file.\n"
    )
    assert "YT407" not in done.stdout
    assert not temp.exists()
    again = subprocess.run([*command, *select, "--fix"], capture_output=True, text=True)
    assert again.stderr == "Nothing to fix.\n"
    assert again.returncode == 0


def test_the_fix_summary_counts_each_kind_and_what_was_kept() -> None:
    outcome = FixOutcome([], [], {LEFTOVER_TEMP: 3, DEAD_PENDING: 1}, kept=1)
    assert outcome.summary() == (
        "Fixed 4 findings: 1 dead pending launch, 3 leftover temporary files; 1 kept: in use again."
    )
    assert FixOutcome([], [], {}, kept=2).summary() == "Fixed 0 findings; 2 kept: in use again."
    assert FixOutcome([], [], {DEAD_PENDING: 2}, dry_run=True).summary() == (
        "Would fix 2 findings: 2 dead pending launches."
    )
    assert FixOutcome([], [], {}, dry_run=True).summary() == "Nothing to fix."


@pytest.mark.parametrize("target", ["file", "folder", "nothing"])
def test_fix_removes_a_temp_symlink_out_of_the_overlay_and_never_its_target(
    overlay: Overlay, tmp_path: Path, target: str
) -> None:
    """Regression: such a link was kept "in use again" and reported forever."""
    overlay.ensure()
    outside = tmp_path / "outside"
    if target == "file":
        outside.write_text("precious")
    elif target == "folder":
        outside.mkdir()
        (outside / "inside").write_text("precious")
    link = overlay.claims_dir / f".tmp-{dead_pid()}-0a1b2c3d4e5f"
    link.symlink_to(outside)
    assert codes(doctor(overlay.workspace, fix=False)) == [("YT407", str(link))]
    report = doctor(overlay.workspace, fix=True)
    assert report.fixes == [f"removed leftover temporary file {link}"]
    assert codes(report) == []
    assert not os.path.lexists(link)
    if target == "file":
        assert outside.read_text() == "precious"
    elif target == "folder":
        assert (outside / "inside").read_text() == "precious"
    else:
        assert not os.path.lexists(outside)
    assert codes(doctor(overlay.workspace, fix=False)) == []
