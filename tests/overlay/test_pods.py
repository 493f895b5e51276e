"""Pod status (SPEC 6) from real registry files, real metadata and real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from harness.overlay import dead_pid
from yoi_ticket.overlay.claims import claim, list_claims
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import Locations, pid_alive
from yoi_ticket.overlay.pods import (
    PodStatusChecker,
    metadata_paths,
    pod_status,
    read_pod_registry,
    restorable_pod_names,
)
from yoi_ticket.overlay.records import TicketClaim

TICKETS = ("00001KSKBPDVG", "00001KSKBPHRG", "00001KSKBPVH0", "00001KSQK9T6R")


def register(locations: Locations, *allocations: dict[str, object]) -> None:
    locations.runtime_dir.mkdir(parents=True, exist_ok=True)
    locations.pod_registry.write_text(json.dumps({"allocations": list(allocations)}))


def save_metadata(locations: Locations, pod: str) -> None:
    folder = locations.pods_dir / pod
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(json.dumps({"pod_name": pod}))


def test_live_restorable_foreign_and_stale_claims_from_real_files(
    workspace: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    overlay = Overlay.for_workspace(workspace)
    locations = overlay.locations
    for ticket, pod in zip(TICKETS, ("live-pod", "saved-pod", "far-pod", "gone-pod"), strict=True):
        claim(overlay, ticket, pod, "coder")
    register(
        locations,
        {"pod_name": "live-pod", "pid": sleeper.pid, "socket": None},
        {"pod_name": "gone-pod", "pid": dead_pid(), "socket": None},
    )
    save_metadata(locations, "saved-pod")
    far = overlay.claim_path(TICKETS[2])
    data = json.loads(far.read_text())
    far.write_text(json.dumps({**data, "host": "another-machine.example"}))

    statuses = {e.claim.pod_name: e.status.status for e in list_claims(overlay).claims}

    assert statuses == {
        "live-pod": "live",
        "saved-pod": "restorable",
        "far-pod": "foreign",
        "gone-pod": "stale",
    }


def test_live_pod_whose_socket_refuses_is_live_but_unreachable(
    yoi_home: Path, sleeper: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    locations = Locations.from_env()
    listening = tmp_path / "up.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(listening))
    server.listen(1)
    try:
        register(
            locations,
            {"pod_name": "up", "pid": sleeper.pid, "socket": str(listening)},
            {"pod_name": "down", "pid": sleeper.pid, "socket": str(tmp_path / "gone.sock")},
            {"pod_name": "quiet", "pid": sleeper.pid},
        )
        checker = PodStatusChecker(locations)
        up, down, quiet = (checker.status(name) for name in ("up", "down", "quiet"))
    finally:
        server.close()
    assert (up.status, up.reachable, up.label) == ("live", True, "live")
    assert (down.status, down.reachable, down.label) == ("live", False, "live (unreachable)")
    assert (quiet.status, quiet.reachable) == ("live", None)
    assert down.pid == sleeper.pid


def test_a_live_pid_beats_saved_metadata_and_a_dead_one_falls_back_to_it(
    yoi_home: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    locations = Locations.from_env()
    save_metadata(locations, "both")
    save_metadata(locations, "dead")
    register(
        locations,
        {"pod_name": "both", "pid": sleeper.pid, "socket": None},
        {"pod_name": "dead", "pid": dead_pid(), "socket": None},
    )
    assert pod_status("both", locations).status == "live"
    assert pod_status("dead", locations).status == "restorable"
    assert pod_status("nobody", locations).status == "stale"
    assert restorable_pod_names(locations) == ["both", "dead"]


def test_foreign_is_decided_by_the_claim_host(
    yoi_home: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    locations = Locations.from_env()
    register(locations, {"pod_name": "p", "pid": sleeper.pid})
    checker = PodStatusChecker(locations)
    assert checker.status("p", "elsewhere").status == "foreign"
    assert checker.status("p", checker.host).status == "live"


def test_pid_alive_on_real_processes(sleeper: subprocess.Popen[bytes]) -> None:
    assert pid_alive(os.getpid())
    assert pid_alive(sleeper.pid)
    assert not pid_alive(dead_pid())
    assert not pid_alive(0)
    assert not pid_alive(-1)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{broken", "cannot read the Pod registry"),
        ('{"pods": []}', 'no "allocations" list'),
        ('{"allocations": [{"pid": 1}, "x"]}', "2 allocation(s) without a valid pod_name"),
    ],
)
def test_a_bad_registry_is_reported_and_lists_no_live_pod(
    yoi_home: Path, content: str, problem: str
) -> None:
    locations = Locations.from_env()
    locations.runtime_dir.mkdir(parents=True)
    locations.pod_registry.write_text(content)
    registry = read_pod_registry(locations.pod_registry)
    assert registry.error is not None and problem in registry.error
    assert registry.allocations == ()


def test_registry_entries_keep_their_extra_fields(yoi_home: Path) -> None:
    locations = Locations.from_env()
    register(locations, {"pod_name": "p", "pid": True, "socket": 5, "profile": "coder"})
    (allocation,) = read_pod_registry(locations.pod_registry).allocations
    assert (allocation.pid, allocation.socket) == (None, None)  # wrong types are ignored
    assert allocation.extra == {"profile": "coder"}


def test_unsafe_pod_names_never_reach_the_pods_folder(yoi_home: Path) -> None:
    locations = Locations.from_env()
    (locations.data_dir / "escape").mkdir(parents=True)
    (locations.data_dir / "escape" / "metadata.json").write_text("{}")
    assert metadata_paths(locations, "../escape") == []
    save_metadata(locations, "ok")
    assert metadata_paths(locations, "ok") == [locations.pods_dir / "ok" / "metadata.json"]
    stray = TicketClaim(ticket_id="x", pod_name="../../etc", role="coder", claimed_at="t", host="h")
    assert PodStatusChecker(locations, host="h").status(stray.pod_name, stray.host).status == (
        "stale"
    )


def test_known_pod_names_come_from_sessions_claims_registry_and_saved_pods(
    workspace: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    from yoi_ticket.overlay.launch import launch
    from yoi_ticket.overlay.sessions import record_session
    from yoi_ticket.overlay.views import known_pod_names

    overlay = Overlay.for_workspace(workspace)
    assert known_pod_names(overlay) == set()
    claim(overlay, TICKETS[0], "claimer", "coder")
    record_session(overlay, "intake-1", "intake")
    register(overlay.locations, {"pod_name": "running", "pid": sleeper.pid})
    save_metadata(overlay.locations, "saved")
    with launch(overlay, TICKETS[1], "launching", "coder") as attempt:
        names = known_pod_names(overlay)
        attempt.abort()
    assert names == {"claimer", "intake-1", "running", "saved", "launching"}
