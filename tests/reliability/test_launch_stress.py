"""Launch stress (SPEC 7.3, 11): the short version of the launch sections of
bench/stress.py. Real launchers, real commands, real signals; see
tests/harness/launch_scenarios.py for what each checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.launch_scenarios import launches_under_signals, repeated_launches
from harness.overlay import TICKETS
from harness.workers import Gang
from yoi_ticket.overlay.folder import Overlay

pytestmark = pytest.mark.slow  # a stress run: not part of the oldest-versions pass


def test_launches_under_every_signal_never_run_two_commands_or_exit_0_unclaimed(
    overlay: Overlay, tmp_path: Path
) -> None:
    report = launches_under_signals(overlay, TICKETS[0], tmp_path, rounds=4, seed=18)
    assert report.failures == []
    assert report.rounds == 4
    assert {how: report.counts[how] for how in ("SIGTERM", "SIGHUP", "SIGKILL")} == {
        "SIGTERM": 1,
        "SIGHUP": 1,
        "SIGKILL": 1,
    }
    assert report.counts["orphaned launches"] == 1
    assert report.counts["second launch refused while a command ran"] >= 1


def test_a_launch_repeated_at_once_and_a_moment_later_spawns_its_pod_once(
    overlay: Overlay, tmp_path: Path
) -> None:
    """Regression: 14 double spawns in 30 rounds, the fresh claim looking stale."""
    gang = Gang(tmp_path / "gang", 2)
    try:
        report = repeated_launches(gang, overlay, TICKETS[0], tmp_path, rounds=5)
    finally:
        gang.close()
    assert report.failures == []
    assert report.counts == {"launches": 15, "spawns": 5}
