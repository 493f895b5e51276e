"""Races of real processes (SPEC 7.2, 11): one winner per claim round, no lost session,
claim/release/reclaim interleaved with a reader that never sees a partial claim.

Each process imports yoi-ticket once and forks a fresh child per attempt, so that the
children meet at the gate within a millisecond and really race on the overlay.
bench/stress.py runs the same scenarios for longer (200 rounds, 2,000 sessions).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from harness.checks import check_overlay, history
from harness.overlay import TICKETS, small_workspace
from harness.reliability import claim_race, interleaved_claims, session_writers
from harness.workers import Gang
from yoi_ticket.overlay.folder import Overlay

pytestmark = pytest.mark.slow  # a stress run: not part of the oldest-versions pass

RACERS = 32
ROUNDS = 6
WRITERS = 8
SESSIONS_PER_WRITER = 25


@pytest.fixture
def overlay(tmp_path: Path) -> Overlay:
    return Overlay.for_workspace(small_workspace(tmp_path))


@pytest.fixture
def gang(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Gang]:
    size: int = request.param
    workers = Gang(tmp_path / "gang", size)
    yield workers
    workers.close()


@pytest.mark.parametrize("gang", [RACERS], indirect=True)
def test_32_processes_claim_one_ticket_exactly_one_wins_each_round(
    gang: Gang, overlay: Overlay
) -> None:
    report = claim_race(gang, overlay, TICKETS[0], ROUNDS)
    assert report.failures == []
    assert (report.rounds, report.attempts) == (ROUNDS, RACERS * ROUNDS)
    actions = [entry["action"] for entry in history(overlay)]
    assert actions == ["claim", "release"] * ROUNDS


@pytest.mark.parametrize("gang", [WRITERS], indirect=True)
def test_8_processes_recording_sessions_at_once_lose_nothing(gang: Gang, overlay: Overlay) -> None:
    report = session_writers(gang, overlay, SESSIONS_PER_WRITER)
    assert report.failures == []
    assert report.attempts == WRITERS * SESSIONS_PER_WRITER


@pytest.mark.parametrize("gang", [7], indirect=True)
def test_interleaved_claims_releases_and_reclaims_keep_every_invariant(
    gang: Gang, overlay: Overlay
) -> None:
    report = interleaved_claims(gang, overlay, TICKETS[:3], steps=40, seed=1)
    assert report.failures == []
    entries = history(overlay)
    assert {entry["action"] for entry in entries} == {"claim", "release", "reclaim"}
    assert check_overlay(overlay) == []


def test_the_stress_script_runs_its_quick_version_with_no_failures() -> None:
    """bench/stress.py (the long version of these tests) runs end to end."""
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "stress.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("total failures: 0 ")
    for section in ("claim race", "session writers", "claim/release/reclaim mix"):
        assert any(line.startswith(section) and "failures 0" in line for line in lines), lines
    assert any("SIGKILLed" in line and "failures 0" in line for line in lines), lines
    assert any("fuzzed parsers" in line and "failures 0" in line for line in lines), lines
    for section in ("launch under signals", "repeated launches"):
        assert any(line.startswith(section) and "failures 0" in line for line in lines), lines


def test_the_stress_script_loads_the_harness_without_tests_on_sys_path(tmp_path: Path) -> None:
    """bench/stress.py imports the harness package by location: tests/ stays off sys.path."""
    tests = REPO_ROOT / "tests"
    code = f"""
import json, runpy, sys
runpy.run_path({str(REPO_ROOT / "bench" / "stress.py")!r}, run_name="stress")
import harness.workers
print(json.dumps({{"path": sys.path, "harness": sys.modules["harness"].__file__,
                  "workers": harness.workers.__file__}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert not [p for p in seen["path"] if p and Path(p).resolve().is_relative_to(tests)]
    assert Path(seen["harness"]) == tests / "harness" / "__init__.py"
    assert Path(seen["workers"]) == tests / "harness" / "workers.py"
