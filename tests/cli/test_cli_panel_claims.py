"""``claims``, ``list`` and ``show`` with yoi's panel registry beside our overlay: panel
files written as upstream writes them (both field eras), the real CLI app."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from harness.cli import run, run_json
from harness.panel import panel_folder, write_panel_claim
from yoi_ticket.overlay.folder import Overlay

FIRST = "00001KSKBPDVG"
SECOND = "00001KSKBPHRG"
THIRD = "00001KSKBPVH0"


def live_worker(overlay: Overlay, name: str, pid: int) -> None:
    """``workers.json`` of the newer era, listing ``name`` with a live pid."""
    runtime = overlay.locations.runtime_dir
    runtime.mkdir(parents=True, exist_ok=True)
    entry = {"worker_name": name, "pid": pid, "socket": None, "scope_allow": [], "scope_deny": []}
    (runtime / "workers.json").write_text(json.dumps({"allocations": [entry]}, indent=2) + "\n")


def three_claims(overlay: Overlay, pid: int) -> dict[str, Path]:
    """FIRST claimed only in the panel (old era, stale), SECOND only in the panel (new era,
    live), THIRD by us (c1) and by the panel (coder-p) both."""
    ws = overlay.workspace
    assert run(ws, "claim", THIRD, "--pod", "c1", "--role", "coder").exit_code == 0
    folder = panel_folder(overlay)
    files = {
        FIRST: write_panel_claim(
            folder, {"ticket_id": FIRST, "pod_name": "intake-a", "role": "intake"}
        ),
        SECOND: write_panel_claim(
            folder,
            {
                "ticket_id": SECOND,
                "ticket_slug": "slug-b",
                "worker_name": "coder-b",
                "role": "coder",
            },
        ),
        THIRD: write_panel_claim(
            folder, {"ticket_id": THIRD, "worker_name": "coder-p", "role": "coder"}
        ),
    }
    live_worker(overlay, "coder-b", pid)
    return files


def test_claims_lists_panel_claims_with_their_source_and_file(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    files = three_claims(overlay, sleeper.pid)
    document = run_json(overlay.workspace, "claims")
    assert document["errors"] == []
    shapes = [
        (r["ticket_id"], r["pod_name"], r["role"], r["status"], r["source"], r["panel_file"])
        for r in document["claims"]
    ]
    assert shapes == [
        (FIRST, "intake-a", "intake", "stale", "panel", str(files[FIRST])),
        (SECOND, "coder-b", "coder", "live", "panel", str(files[SECOND])),
        (THIRD, "c1", "coder", "stale", "overlay", None),
        (THIRD, "coder-p", "coder", "stale", "panel", str(files[THIRD])),
    ]
    rows = document["claims"]
    assert (rows[1]["claimed_at"], rows[1]["host"], rows[1]["ticket_slug"]) == (
        None,
        None,
        "slug-b",
    )
    assert rows[1]["ticket_title"] is not None and rows[1]["ticket_state"] is not None
    assert rows[2]["claimed_at"] is not None and rows[2]["host"] is not None

    stale = run_json(overlay.workspace, "claims", "--stale")["claims"]
    assert [(r["ticket_id"], r["source"]) for r in stale] == [
        (FIRST, "panel"),
        (THIRD, "overlay"),
        (THIRD, "panel"),
    ]

    table = run(overlay.workspace, "claims").stdout.splitlines()
    cells = [line.split("\t") for line in table]
    assert [(c[0], c[3], c[5], c[7], c[8]) for c in cells] == [
        (FIRST, "intake-a", "stale", "panel", str(files[FIRST])),
        (SECOND, "coder-b", "live", "panel", str(files[SECOND])),
        (THIRD, "c1", "stale", "overlay", ""),
        (THIRD, "coder-p", "stale", "panel", str(files[THIRD])),
    ]
    assert cells[1][6] == "" and cells[2][6] != ""  # the panel records no claim time


def test_list_and_show_give_each_claim_its_source(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    files = three_claims(overlay, sleeper.pid)
    ws = overlay.workspace
    tickets = {t["id"]: t["claim"] for t in run_json(ws, "list")["tickets"]}
    assert tickets[FIRST] == {
        "pod_name": "intake-a",
        "role": "intake",
        "status": "stale",
        "source": "panel",
        "panel_file": str(files[FIRST]),
    }
    assert tickets[SECOND] == {
        "pod_name": "coder-b",
        "role": "coder",
        "status": "live",
        "source": "panel",
        "panel_file": str(files[SECOND]),
    }
    both = {
        "pod_name": "c1",
        "role": "coder",
        "status": "stale",
        "source": "overlay",
        "other_claims": [
            {
                "pod_name": "coder-p",
                "role": "coder",
                "status": "stale",
                "source": "panel",
                "panel_file": str(files[THIRD]),
            }
        ],
    }
    assert tickets[THIRD] == both
    assert run_json(ws, "show", THIRD)["ticket"]["claim"] == both
    assert run_json(ws, "show", FIRST)["ticket"]["claim"] == tickets[FIRST]

    def ids(*args: str) -> list[str]:
        return [t["id"] for t in run_json(ws, "list", *args)["tickets"]]

    assert ids("--claimed") == [FIRST, SECOND, THIRD]
    assert ids("--pod", "coder-p") == [THIRD]  # a further holder counts too
    assert ids("--pod", "intake-a") == [FIRST]
    assert FIRST not in ids("--unclaimed")

    rows = {
        line.split("\t")[0]: line.split("\t")[3] for line in run(ws, "list").stdout.splitlines()
    }
    assert rows[FIRST] == "intake-a (intake, stale, panel)"
    assert rows[THIRD] == "c1 (coder, stale); coder-p (coder, stale, panel)"
    shown = run(ws, "show", THIRD).stdout.splitlines()
    assert "  claim: c1 (coder, stale); coder-p (coder, stale, panel)" in shown


def test_unreadable_panel_claim_files_are_errors_of_claims(overlay: Overlay) -> None:
    folder = panel_folder(overlay) / "ticket-claims"
    folder.mkdir(parents=True)
    (folder / f"{FIRST}.json").write_bytes(b'{"ticket_id": "00001KSKBPDVG", "ro')
    document = run_json(overlay.workspace, "claims")
    assert document["claims"] == []
    assert [e["path"] for e in document["errors"]] == [str(folder / f"{FIRST}.json")]
    assert "not valid JSON" in document["errors"][0]["message"]
    assert not overlay.exists()  # reading creates nothing
