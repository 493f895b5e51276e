"""Claims (SPEC 7.1, 7.2): rules, refusals, history, and a race of real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.overlay import make_live
from yoi_ticket.errors import InvalidNameError, RefusedError, UsageError
from yoi_ticket.overlay.claims import claim, list_claims, read_claim, reclaim, release
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.sessions import get_session

TICKET = "00001KSKBPDVG"
RACERS = 16

# Imports everything first, waits at a gate, then runs ``python -m yoi_ticket ARGS``,
# so that the processes really race on the claim rather than on interpreter start-up.
GATED_MAIN = """
import os, runpy, sys, time
import yoi_ticket.cli.app, yoi_ticket.store.reader
import yoi_ticket.overlay.claims, yoi_ticket.overlay.sessions
gate = sys.argv[1]
sys.argv = ["yoi_ticket", *sys.argv[2:]]
open(gate + "." + str(os.getpid()), "w").close()
while not os.path.exists(gate):
    time.sleep(0.002)
runpy.run_module("yoi_ticket", run_name="__main__", alter_sys=True)
"""


def history(overlay: Overlay) -> list[dict[str, object]]:
    return [json.loads(line) for line in overlay.history_path.read_text().splitlines()]


def test_claim_writes_the_claim_and_the_pods_role_session(overlay: Overlay) -> None:
    outcome = claim(overlay, TICKET, "coder-1", "coder")
    assert outcome.changed
    stored = read_claim(overlay, TICKET)
    assert stored is not None
    assert (stored.ticket_id, stored.pod_name, stored.role) == (TICKET, "coder-1", "coder")
    session = get_session(overlay, "coder-1")
    assert session is not None
    assert (session.role, session.origin) == ("coder", "ticket_claim")
    assert [ref.id for ref in session.related_tickets] == [TICKET]


def test_the_same_pod_and_role_claiming_again_changes_nothing(overlay: Overlay) -> None:
    claim(overlay, TICKET, "coder-1", "coder")
    before = overlay.claim_path(TICKET).read_bytes(), overlay.sessions_path.read_bytes()
    outcome = claim(overlay, TICKET, "coder-1", "coder")
    assert not outcome.changed
    assert (overlay.claim_path(TICKET).read_bytes(), overlay.sessions_path.read_bytes()) == before
    assert len(history(overlay)) == 1


def test_another_claim_is_refused_naming_the_holder_and_its_status(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, TICKET, "coder-1", "coder")
    with pytest.raises(RefusedError) as stale:
        claim(overlay, TICKET, "coder-2", "coder")
    assert stale.value.message == (
        f"ticket {TICKET} is already claimed by Pod 'coder-1' (role coder, status stale)"
    )
    assert stale.value.hint is not None and "yoi ticket reclaim" in stale.value.hint
    with pytest.raises(RefusedError, match=r"Pod 'coder-1' \(role coder, status stale\)"):
        claim(overlay, TICKET, "coder-1", "reviewer")  # same Pod, other role
    make_live(overlay, ("coder-1", sleeper.pid))
    with pytest.raises(RefusedError, match=r"Pod 'coder-1' \(role coder, status live\)"):
        claim(overlay, TICKET, "coder-2", "coder")
    assert read_claim(overlay, TICKET).pod_name == "coder-1"  # type: ignore[union-attr]


def test_the_companion_and_role_companion_cannot_claim(overlay: Overlay) -> None:
    companion = overlay.identity.companion
    assert companion == "ws"  # the basename of the workspace
    with pytest.raises(RefusedError, match="Companion"):
        claim(overlay, TICKET, companion, "coder")
    with pytest.raises(RefusedError, match="role 'companion'"):
        claim(overlay, TICKET, "helper", "companion")
    assert not overlay.exists()
    claim(overlay, TICKET, overlay.identity.orchestrator, "orchestrator")


def test_unknown_roles_are_rejected_and_configured_ones_accepted(
    overlay: Overlay, workspace: Path
) -> None:
    with pytest.raises(UsageError, match="unknown role 'painter'"):
        claim(overlay, TICKET, "p", "painter")
    config = workspace / ".yoi" / "ticket.config.toml"
    config.write_text(config.read_text() + '\n[roles.painter]\nprofile = "x"\n')
    assert claim(overlay, TICKET, "p", "painter").claim.role == "painter"


def test_a_missing_ticket_is_refused_unless_allowed(overlay: Overlay) -> None:
    with pytest.raises(RefusedError, match="does not exist"):
        claim(overlay, "20990101-000000-future", "intake-1", "intake")
    outcome = claim(overlay, "20990101-000000-future", "intake-1", "intake", allow_missing=True)
    assert outcome.claim.ticket_slug == "future"


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", "", "..", "x\x00y", "x" * 201])
def test_bad_ids_are_rejected_before_any_path_is_built(overlay: Overlay, bad_id: str) -> None:
    with pytest.raises(InvalidNameError):
        claim(overlay, bad_id, "coder-1", "coder", allow_missing=True)
    with pytest.raises(InvalidNameError):
        release(overlay, bad_id, "coder-1")
    assert not overlay.locations.data_dir.exists()


@pytest.mark.parametrize("bad_pod", ["../pod", "a\\b", "", ".", "p\nq"])
def test_bad_pod_names_are_rejected(overlay: Overlay, bad_pod: str) -> None:
    with pytest.raises(InvalidNameError):
        claim(overlay, TICKET, bad_pod, "coder")
    assert not overlay.locations.data_dir.exists()


def test_release_own_claim_and_others_only_with_force(overlay: Overlay) -> None:
    with pytest.raises(RefusedError, match="has no local claim"):
        release(overlay, TICKET, "coder-1")
    claim(overlay, TICKET, "coder-1", "coder")
    with pytest.raises(RefusedError, match=r"claimed by Pod 'coder-1'.*not by Pod 'coder-2'"):
        release(overlay, TICKET, "coder-2")
    assert release(overlay, TICKET, "coder-2", force=True).pod_name == "coder-1"
    assert read_claim(overlay, TICKET) is None
    claim(overlay, TICKET, "coder-2", "coder")
    release(overlay, TICKET, "coder-2")
    assert list_claims(overlay).claims == []
    actions = [(e["action"], e["forced"]) for e in history(overlay)]
    assert actions == [("claim", False), ("release", True), ("claim", False), ("release", False)]


def test_reclaim_replaces_only_a_stale_holder_unless_forced(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    claim(overlay, TICKET, "coder-1", "coder")
    make_live(overlay, ("coder-1", sleeper.pid))
    with pytest.raises(RefusedError, match=r"status live.*only a stale claim can be reclaimed"):
        reclaim(overlay, TICKET, "coder-2", "coder")
    forced = reclaim(overlay, TICKET, "coder-2", "coder", force=True)
    assert forced.replaced is not None and forced.replaced.pod_name == "coder-1"
    assert forced.replaced_status is not None and forced.replaced_status.status == "live"

    taken = reclaim(overlay, TICKET, "coder-3", "reviewer")  # coder-2 is stale
    assert taken.claim.pod_name == "coder-3"
    last = history(overlay)[-1]
    assert last["action"] == "reclaim"
    assert last["old"]["pod_name"] == "coder-2"  # type: ignore[index]
    assert last["new"]["pod_name"] == "coder-3"  # type: ignore[index]
    assert last["old_status"] == "stale"
    assert not reclaim(overlay, TICKET, "coder-3", "reviewer").changed


def test_racing_processes_exactly_one_wins_and_the_others_name_it(
    overlay: Overlay, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    racers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                GATED_MAIN,
                str(gate),
                "claim",
                TICKET,
                "--pod",
                f"racer-{index}",
                "--role",
                "coder",
                "-C",
                str(overlay.workspace),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(RACERS)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("gate.*"))) < RACERS and time.monotonic() < deadline:
        time.sleep(0.01)  # wait until every racer has imported everything
    gate.touch()
    results = [(p.wait(timeout=60), *p.communicate()) for p in racers]

    winners = [index for index, (code, _out, _err) in enumerate(results) if code == 0]
    assert len(winners) == 1, results
    winner = f"racer-{winners[0]}"
    for index, (code, _out, err) in enumerate(results):
        if index != winners[0]:
            assert code == 1, err
            assert f"claimed by Pod '{winner}' (role coder" in err
    assert [e.claim.pod_name for e in list_claims(overlay).claims] == [winner]
    assert [e["action"] for e in history(overlay)] == ["claim"]
    assert not [p for p in overlay.claims_dir.iterdir() if p.name.startswith(".tmp-")]
    assert os.listdir(overlay.pending_dir) == []
