"""The local-claim commands through the real CLI app: output shapes and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import git
from harness.cli import run, run_json

FIRST = "00001KSKBPDVG"
SECOND = "00001KSKBPHRG"
THIRD = "00001KSKBPVH0"


def test_claim_release_and_reclaim_report_what_they_did(workspace: Path) -> None:
    ws = workspace
    assert run(ws, "claim", FIRST, "--pod", "c1", "--role", "coder").stdout == (
        f"claimed {FIRST} for Pod c1 (role coder)\n"
    )
    again = run(ws, "claim", FIRST, "--pod", "c1")  # role taken from the Pod's session
    assert (again.exit_code, again.stdout) == (0, f"Pod c1 already holds {FIRST} (role coder)\n")

    refused = run(ws, "claim", FIRST, "--pod", "c2", "--role", "coder")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        f"error: ticket {FIRST} is already claimed by Pod 'c1' (role coder, status stale)\n"
    )
    assert "hint: the holder is stale" in refused.stderr

    taken = run(ws, "reclaim", FIRST, "--pod", "c2", "--role", "coder")
    assert taken.stdout == f"reclaimed {FIRST} for Pod c2 (role coder) from Pod c1 (stale)\n"
    assert run(ws, "release", FIRST, "--pod", "c1").exit_code == 1
    released = run(ws, "release", FIRST, "--pod", "c2")
    assert released.stdout == f"released {FIRST} (held by Pod c2, role coder)\n"


def test_usage_errors_exit_2_and_refusals_exit_1(workspace: Path) -> None:
    ws = workspace
    cases = {
        ("claim", "../x", "--pod", "p", "--role", "coder"): 2,
        ("claim", FIRST, "--pod", "p/q", "--role", "coder"): 2,
        ("claim", FIRST, "--pod", "p", "--role", "astronaut"): 2,
        ("claim", FIRST, "--pod", "p"): 2,  # no --role and no session to take it from
        ("claim", FIRST, "--pod", "ws", "--role", "coder"): 1,  # the Companion
        ("claim", FIRST, "--pod", "p", "--role", "companion"): 1,
        ("claim", "missing-ticket", "--pod", "p", "--role", "coder"): 1,
        ("release", FIRST, "--pod", "p"): 1,
        ("session", "link", FIRST, "--pod", "nobody"): 2,
    }
    for args, code in cases.items():
        result = run(ws, *args)
        assert result.exit_code == code, (args, result.output)
        assert result.stderr.startswith("error: ")
        assert "Traceback" not in result.output
    assert git(ws, "status", "--porcelain", "--ignored").stdout == ""


def test_claims_json_joins_ticket_title_state_and_pod_status(
    workspace: Path, yoi_home: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    ws = workspace
    run(ws, "claim", FIRST, "--pod", "live-1", "--role", "coder")
    run(ws, "claim", "20990101-000000-idea", "--pod", "in-1", "--role", "intake", "--allow-missing")
    (yoi_home / "run").mkdir()
    (yoi_home / "run" / "pods.json").write_text(
        json.dumps({"allocations": [{"pod_name": "live-1", "pid": sleeper.pid}]})
    )

    document = run_json(ws, "claims")

    assert document["version"] == 1
    rows = {row["ticket_id"]: row for row in document["claims"]}
    assert set(rows) == {FIRST, "20990101-000000-idea"}
    first = rows[FIRST]
    required = {"ticket_id", "pod_name", "role", "status", "claimed_at", "host"}
    assert required | {"ticket_title", "ticket_state"} <= set(first)
    assert (first["pod_name"], first["role"], first["status"]) == ("live-1", "coder", "live")
    assert first["ticket_title"] == "Permission: allow-all 既定 policy への整理"
    assert first["ticket_state"] == "planning"
    missing = rows["20990101-000000-idea"]
    assert (missing["ticket_title"], missing["ticket_state"], missing["status"]) == (
        None,
        None,
        "stale",
    )
    stale_only = run_json(ws, "claims", "--stale")["claims"]
    assert [row["ticket_id"] for row in stale_only] == ["20990101-000000-idea"]
    table = run(ws, "claims").stdout.splitlines()
    assert len(table) == 2
    assert table[0].split("\t")[:6] == [
        FIRST,
        "Permission: allow-all 既定 policy への整理",
        "planning",
        "live-1",
        "coder",
        "live",
    ]


def test_claims_lists_nothing_and_creates_nothing_before_any_claim(
    workspace: Path, yoi_home: Path
) -> None:
    assert run_json(workspace, "claims") == {
        "version": 1,
        "workspace": str(workspace),
        "claims": [],
        "errors": [],
    }
    assert run_json(workspace, "sessions")["sessions"] == []
    assert not yoi_home.exists()


def test_list_shows_claims_and_filters_by_them(workspace: Path) -> None:
    ws = workspace
    run(ws, "claim", FIRST, "--pod", "c1", "--role", "coder")
    run(ws, "claim", SECOND, "--pod", "r1", "--role", "reviewer")

    tickets = {t["id"]: t for t in run_json(ws, "list")["tickets"]}
    assert tickets[FIRST]["claim"] == {
        "pod_name": "c1",
        "role": "coder",
        "status": "stale",
        "source": "overlay",
    }
    assert tickets[THIRD]["claim"] is None

    def ids(*args: str) -> list[str]:
        return [t["id"] for t in run_json(ws, "list", *args)["tickets"]]

    assert ids("--claimed") == [FIRST, SECOND]
    assert ids("--pod", "r1") == [SECOND]
    unclaimed = ids("--unclaimed")
    assert FIRST not in unclaimed and THIRD in unclaimed
    assert len(unclaimed) == len(tickets) - 2
    shown = run_json(ws, "show", SECOND)["ticket"]
    assert shown["claim"] == {
        "pod_name": "r1",
        "role": "reviewer",
        "status": "stale",
        "source": "overlay",
    }


def test_launch_runs_the_command_after_the_separator_and_passes_its_status(
    workspace: Path,
) -> None:
    ws = workspace
    failed = run(ws, "launch", FIRST, "--pod", "c1", "--role", "coder", "--", "sh", "-c", "exit 7")
    assert failed.exit_code == 7
    assert run_json(ws, "claims")["claims"] == []
    started = run(ws, "launch", FIRST, "--pod", "c1", "--role", "coder", "--", "true")
    assert started.exit_code == 0
    assert [row["pod_name"] for row in run_json(ws, "claims")["claims"]] == ["c1"]
    missing = run(ws, "launch", SECOND, "--pod", "c2", "--role", "coder", "--", "/no/such/cmd")
    assert missing.exit_code == 127
    assert missing.stderr.startswith("error: cannot run '/no/such/cmd'")


def test_session_record_link_and_sessions_json(workspace: Path) -> None:
    ws = workspace
    recorded = run(ws, "session", "record", "--pod", "in-1", "--role", "intake")
    assert (
        recorded.stdout
        == "recorded Pod in-1 (role intake, origin pre_ticket_intake); tickets: none\n"
    )
    linked = run(ws, "session", "link", FIRST, SECOND, FIRST, "--pod", "in-1")
    assert linked.stdout == f"Pod in-1 relates to: {FIRST}, {SECOND}\n"
    run(
        ws,
        *("session", "record", "--pod", "c-1", "--role", "coder", "--origin", "role_launch"),
        *("--ticket", THIRD, "--session-id", "abc"),
    )

    document = run_json(ws, "sessions")

    assert document["version"] == 1
    sessions = {s["pod_name"]: s for s in document["sessions"]}
    assert [ref["id"] for ref in sessions["in-1"]["related_tickets"]] == [FIRST, SECOND]
    assert sessions["c-1"]["session_id"] == "abc"
    assert sessions["c-1"]["origin"] == "role_launch"
    assert run(ws, "sessions").stdout.splitlines()[0].split("\t")[:4] == [
        "c-1",
        "coder",
        "role_launch",
        THIRD,
    ]


def test_workspace_prints_key_overlay_and_pod_names(
    workspace: Path, tmp_path: Path, yoi_home: Path
) -> None:
    link = tmp_path / "alias"
    link.symlink_to(workspace, target_is_directory=True)
    run(workspace, "claim", FIRST, "--pod", "c1", "--role", "coder")

    document = run_json(link, "workspace")

    key = document["key"]
    assert document == {
        "version": 1,
        "workspace": str(link),
        "canonical_path": os.path.realpath(workspace),
        "key": key,
        "overlay": str(yoi_home / "workspaces" / key),
        "overlay_exists": True,
        "data_dir": str(yoi_home),
        "runtime_dir": str(yoi_home / "run"),
        "legacy_data_dir": None,  # YOI_HOME names the data dir for old and new yoi alike
        "pod_registries": [
            str(yoi_home / "run" / "workers.json"),
            str(yoi_home / "run" / "pods.json"),
        ],
        "saved_pod_dirs": [str(yoi_home / "workers"), str(yoi_home / "pods")],
        "panel_registries": [],
        "companion": "ws",
        "orchestrator": "ws-orchestrator",
        "seen_paths": [str(workspace), str(link)],
        "other_overlays": [],
    }
    text = run(workspace, "workspace").stdout
    assert f"key:             {key}\n" in text
    assert "companion:       ws\n" in text
