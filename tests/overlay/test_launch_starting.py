"""A launch's claim is ``starting`` (SPEC 6) until its Pod registers in yoi's Worker
registry or its grace period ends: never stale, so the next launch does not spawn the Pod
a second time. Registries are written as yoi writes them; the commands are real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from harness.cli import run, run_json
from harness.launches import register_worker, spawn_command, started, wait_until
from harness.overlay import TICKETS
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.errors import RefusedError
from yoi_ticket.overlay.claims import claim, list_claims, read_claim, reclaim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.launch import run_launch
from yoi_ticket.overlay.locations import TIME_FORMAT
from yoi_ticket.overlay.pods import PodStatusChecker
from yoi_ticket.overlay.records import TicketClaim

TICKET = TICKETS[0]


def status_of(overlay: Overlay) -> str:
    (entry,) = list_claims(overlay).claims
    return entry.status.status


def spawn(overlay: Overlay, folder: Path, pod: str = "a", **options: float) -> int:
    """A launch of a spawn command that starts and exits 0 at once."""
    return run_launch(
        overlay, TICKET, pod, "coder", spawn_command(folder, seconds=0), **options
    ).status


def test_a_fresh_launch_claim_is_starting_and_the_next_launch_does_not_spawn_again(
    overlay: Overlay, tmp_path: Path
) -> None:
    """Regression: until the Pod registered its claim looked stale, and a second launch a
    moment later replaced it and spawned the Pod again."""
    folder = tmp_path / "spawns"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    assert spawn(overlay, folder) == 0
    fresh = read_claim(overlay, TICKET)
    assert fresh is not None and fresh.starting_until is not None
    until = datetime.strptime(fresh.starting_until, TIME_FORMAT).replace(tzinfo=timezone.utc)
    assert before + timedelta(seconds=120) <= until <= before + timedelta(seconds=122)
    assert status_of(overlay) == "starting"

    with pytest.raises(RefusedError) as refused:
        spawn(overlay, folder)
    assert refused.value.message == (
        f"ticket {TICKET} is already claimed by Pod 'a' (role coder, status starting): its"
        " Pod was launched moments ago and has not registered yet"
    )
    with pytest.raises(RefusedError, match="status starting"):
        reclaim(overlay, TICKET, "b", "coder")  # not stale: only --force takes it
    with pytest.raises(RefusedError, match="status starting"):
        claim(overlay, TICKET, "b", "coder")
    assert len(started(folder)) == 1
    assert read_claim(overlay, TICKET) == fresh


def test_once_the_pod_registers_it_is_live_and_a_second_launch_is_still_refused(
    overlay: Overlay, tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    folder = tmp_path / "spawns"
    assert spawn(overlay, folder) == 0
    register_worker(overlay.locations, "a", sleeper.pid)
    assert status_of(overlay) == "live"
    with pytest.raises(RefusedError, match=r"status live\): its Pod is running"):
        spawn(overlay, folder)
    assert len(started(folder)) == 1


def test_a_pod_that_never_registers_is_stale_once_the_grace_period_ends(
    overlay: Overlay, tmp_path: Path
) -> None:
    folder = tmp_path / "spawns"
    assert spawn(overlay, folder, grace=1) == 0
    assert status_of(overlay) == "starting"
    assert yt401(overlay) == []
    wait_until(lambda: status_of(overlay) == "stale", 5, "the grace period to end")
    assert len(yt401(overlay)) == 1
    assert spawn(overlay, folder) == 0  # the holder's own stale claim: it may launch again
    assert len(started(folder)) == 2


def yt401(overlay: Overlay) -> list[str]:
    report = run_doctor(overlay.workspace, DoctorOptions(select=("YT401",)))
    return [d.message for d in report.diagnostics]


def test_grace_0_makes_a_claim_that_is_never_starting(overlay: Overlay, tmp_path: Path) -> None:
    assert spawn(overlay, tmp_path / "spawns", grace=0) == 0
    assert "starting_until" not in json.loads(overlay.claim_path(TICKET).read_text())
    assert status_of(overlay) == "stale"


def test_a_claim_made_by_claim_is_never_starting(overlay: Overlay) -> None:
    claim(overlay, TICKET, "a", "coder")
    data = json.loads(overlay.claim_path(TICKET).read_text())
    assert "starting_until" not in data
    assert status_of(overlay) == "stale"


REGISTERING = """
import json, os, sys
runtime, pid = sys.argv[1], int(sys.argv[2])
entry = {"worker_name": os.environ["YOI_POD_NAME"], "pid": pid, "socket": None,
         "scope_allow": [], "scope_deny": [], "delegated_from": None, "segment_id": None}
os.makedirs(runtime, exist_ok=True)
with open(os.path.join(runtime, "workers.json"), "w") as out:
    out.write(json.dumps({"allocations": [entry]}, indent=2) + "\\n")
"""


def test_a_pod_that_registers_before_its_spawn_command_exits_is_claimed_live(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    """A relaunch over the Pod's own stale claim whose Pod is live by the time the
    command exits: the claim is written, not refused."""
    claim(overlay, TICKET, "a", "coder")
    runtime = str(overlay.locations.runtime_dir)
    command = [sys.executable, "-c", REGISTERING, runtime, str(sleeper.pid)]
    assert run_launch(overlay, TICKET, "a", "coder", command).status == 0
    held = read_claim(overlay, TICKET)
    assert held is not None and held.starting_until is not None
    assert status_of(overlay) == "live"


def test_a_restorable_holder_may_launch_again_a_foreign_one_may_not(
    overlay: Overlay, tmp_path: Path
) -> None:
    claim(overlay, TICKET, "a", "coder")
    saved = overlay.locations.data_dir / "workers" / "a" / "metadata.json"
    saved.parent.mkdir(parents=True)
    saved.write_text(json.dumps({"name": "a", "profile": "coder"}, indent=2) + "\n")
    assert status_of(overlay) == "restorable"
    assert spawn(overlay, tmp_path / "spawns") == 0

    path = overlay.claim_path(TICKET)
    path.write_text(json.dumps({**json.loads(path.read_text()), "host": "elsewhere.example"}))
    foreign = r"status foreign\) on host elsewhere.example: the claim was made on another"
    with pytest.raises(RefusedError, match=foreign):
        spawn(overlay, tmp_path / "spawns")


def test_a_starting_until_beyond_the_longest_grace_is_cut_short(overlay: Overlay) -> None:
    """A hand edit or a clock jump cannot make a claim block for ever."""
    claimed = datetime.now(timezone.utc) - timedelta(hours=2)
    by_hand = TicketClaim(
        ticket_id=TICKET,
        pod_name="a",
        role="coder",
        claimed_at=claimed.strftime(TIME_FORMAT),
        host=os.uname().nodename,
        starting_until="2099-01-01T00:00:00Z",
    )
    assert PodStatusChecker(overlay.locations).claim_status(by_hand).status == "stale"
    recent = by_hand.model_copy(update={"claimed_at": by_hand.starting_until})
    assert PodStatusChecker(overlay.locations).claim_status(recent).status == "stale"
    unreadable = by_hand.model_copy(update={"starting_until": "soon"})
    assert PodStatusChecker(overlay.locations).claim_status(unreadable).status == "stale"


def test_claims_and_list_show_a_starting_claim(overlay: Overlay, tmp_path: Path) -> None:
    ws = overlay.workspace
    launched = run(
        ws, "launch", TICKET, "--pod", "a", "--role", "coder", "--grace", "300", "--", "true"
    )
    assert (launched.exit_code, launched.output) == (0, "")
    until = read_claim(overlay, TICKET).starting_until  # type: ignore[union-attr]

    (row,) = run_json(ws, "claims")["claims"]
    assert (row["status"], row["starting_until"], row["reachable"]) == ("starting", until, None)
    table = run(ws, "claims").stdout
    assert f"starting (until {until})" in table
    tickets = {t["id"]: t for t in run_json(ws, "list")["tickets"]}
    assert tickets[TICKET]["claim"] == {
        "pod_name": "a",
        "role": "coder",
        "status": "starting",
        "source": "overlay",
    }
    assert "a (coder, starting)" in run(ws, "list").stdout
    assert run_json(ws, "claims", "--stale")["claims"] == []

    again = run(ws, "launch", TICKET, "--pod", "a", "--role", "coder", "--", "true")
    assert again.exit_code == 1
    assert "status starting" in again.stderr
    assert "wait until it registers" in again.stderr
    bad = run(ws, "launch", TICKET, "--pod", "a", "--role", "coder", "--grace", "-1", "--", "true")
    assert bad.exit_code == 2
