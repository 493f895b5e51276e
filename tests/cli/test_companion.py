"""The Companion is named as yoi names it, and never holds a claim or a role session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.overlay import TICKETS, small_workspace

TICKET = TICKETS[0]


def yoi(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yoi_ticket", *args, "-C", str(workspace)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_workspace_called_yoi_work_has_the_companion_yoi_work(
    tmp_path: Path, yoi_home: Path
) -> None:
    workspace = small_workspace(tmp_path, "Yoi Work")
    shown = yoi(workspace, "workspace", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    names = json.loads(shown.stdout)
    assert (names["companion"], names["orchestrator"]) == ("yoi-work", "yoi-work-orchestrator")

    refused = yoi(workspace, "claim", TICKET, "--pod", "yoi-work", "--role", "coder")
    assert refused.returncode == 1
    assert "Companion" in refused.stderr
    assert yoi(workspace, "claims", "--format", "json").stdout.count('"pod_name"') == 0

    # The basename as spelled is not the Companion's name: a Pod may be called that.
    allowed = yoi(workspace, "claim", TICKET, "--pod", "Yoi Work", "--role", "coder")
    assert allowed.returncode == 0, allowed.stderr


def test_the_companion_records_and_links_no_role_session(tmp_path: Path, yoi_home: Path) -> None:
    workspace = small_workspace(tmp_path, "Yoi Work")
    recorded = yoi(workspace, "session", "record", "--pod", "yoi-work", "--role", "intake")
    assert recorded.returncode == 1
    assert "Companion" in recorded.stderr
    linked = yoi(workspace, "session", "link", "--pod", "yoi-work", TICKET)
    assert linked.returncode == 1
    assert "Companion" in linked.stderr
    sessions = yoi(workspace, "sessions", "--format", "json")
    assert json.loads(sessions.stdout)["sessions"] == []
