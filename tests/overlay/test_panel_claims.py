"""Claims in yoi's panel registry hold their ticket like ours do (UPSTREAM.md section 3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.overlay import TICKETS
from harness.panel import write_panel_claim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.panel import panel_folder_name

TICKET = TICKETS[0]


def yoi(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "-C", str(workspace), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def panel_claim(overlay: Overlay, spelled: str, name_key: str, pod: str) -> Path:
    folder = overlay.locations.data_dir / "panel" / "workspaces" / panel_folder_name(spelled)
    return write_panel_claim(folder, {"ticket_id": TICKET, name_key: pod, "role": "coder"})


def register_live(overlay: Overlay, pod: str, pid: int) -> None:
    runtime = overlay.locations.runtime_dir
    runtime.mkdir(parents=True, exist_ok=True)
    table = {"allocations": [{"worker_name": pod, "pid": pid, "socket": None}]}
    (runtime / "workers.json").write_text(json.dumps(table, indent=2) + "\n")


def test_a_live_panel_claim_refuses_claim_launch_and_reclaim(
    overlay: Overlay, sleeper: subprocess.Popen[bytes]
) -> None:
    workspace = overlay.workspace
    path = panel_claim(overlay, overlay.identity.canonical_path, "worker_name", "panel-coder")
    register_live(overlay, "panel-coder", sleeper.pid)
    holder = f"Pod 'panel-coder' (role coder, status live) in yoi's panel registry ({path})"
    for args in (
        ("claim", TICKET, "--pod", "c2", "--role", "coder"),
        ("launch", TICKET, "--pod", "c2", "--role", "coder", "--", "true"),
        ("reclaim", TICKET, "--pod", "c2", "--role", "coder"),
    ):
        refused = yoi(workspace, *args)
        assert refused.returncode == 1, args
        assert holder in refused.stderr, args
    assert path.exists()
    assert not overlay.claim_path(TICKET).exists()


def test_a_stale_panel_claim_is_reclaimed_and_its_file_removed(
    overlay: Overlay, tmp_path: Path
) -> None:
    workspace = overlay.workspace
    link = tmp_path / "alias"
    link.symlink_to(workspace, target_is_directory=True)
    path = panel_claim(overlay, str(link), "pod_name", "gone-coder")  # the older era
    refused = yoi(link, "claim", TICKET, "--pod", "c2", "--role", "coder")
    assert refused.returncode == 1
    assert "Pod 'gone-coder' (role coder, status stale) in yoi's panel registry" in refused.stderr
    assert f"hint: the holder is stale; take the ticket over with: yoi ticket reclaim {TICKET}" in (
        refused.stderr
    )

    taken = yoi(link, "reclaim", TICKET, "--pod", "c2", "--role", "coder")
    assert taken.returncode == 0, taken.stderr
    assert not path.exists()
    assert json.loads(overlay.claim_path(TICKET).read_text())["pod_name"] == "c2"
    history = [json.loads(line) for line in overlay.history_path.read_text().splitlines()]
    panel_line = history[-1]
    assert (panel_line["action"], panel_line["old"], panel_line["panel_file"]) == (
        "reclaim",
        {"pod_name": "gone-coder", "role": "coder", "source": "panel"},
        str(path),
    )
    assert panel_line["panel_file_removed"] is True


def test_the_same_pod_and_role_in_the_panel_does_not_block_its_own_claim(
    overlay: Overlay,
) -> None:
    panel_claim(overlay, overlay.identity.canonical_path, "worker_name", "c1")
    done = yoi(overlay.workspace, "claim", TICKET, "--pod", "c1", "--role", "coder")
    assert done.returncode == 0, done.stderr
