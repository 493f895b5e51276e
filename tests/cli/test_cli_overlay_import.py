"""``overlay import``: yoi's panel registry (both field eras, written as upstream writes
it) moved into our overlay through the real CLI app; no mocks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.cli import run, run_json
from harness.panel import panel_folder, panel_session, write_panel_claim, write_panel_sessions
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import this_host

FIRST = "00001KSKBPDVG"
SECOND = "00001KSKBPHRG"
THIRD = "00001KSKBPVH0"
IDEA = "20990101-000000-idea"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (lock files included)."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def history(overlay: Overlay) -> list[dict[str, Any]]:
    lines = overlay.history_path.read_text().splitlines()
    return [json.loads(line) for line in lines]


def write_panel(overlay: Overlay, *, conflict: bool) -> dict[str, Path]:
    """Two panel claims (one per era), the sessions of both eras and the Companion's; with
    ``conflict``, a panel claim on THIRD, which c1 holds in our overlay."""
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
    }
    if conflict:
        files[THIRD] = write_panel_claim(
            folder, {"ticket_id": THIRD, "worker_name": "coder-p", "role": "coder"}
        )
    sessions = {
        "intake-a": panel_session("pod_name", "intake-a", "intake", "pre_ticket_intake", FIRST),
        "coder-b": panel_session(
            "worker_name", "coder-b", "coder", "ticket_claim", SECOND, IDEA, session_id="s-1"
        ),
        "c1": panel_session("worker_name", "c1", "coder", "role_launch", THIRD, SECOND),
        "ws": panel_session("worker_name", "ws", "coder", "role_launch"),  # the Companion
    }
    files["sessions"] = write_panel_sessions(folder, overlay.identity.canonical_path, sessions)
    return files


def test_import_moves_claims_and_sessions_refuses_a_conflict_and_is_idempotent(
    overlay: Overlay,
) -> None:
    ws = overlay.workspace
    assert run(ws, "claim", THIRD, "--pod", "c1", "--role", "coder").exit_code == 0
    files = write_panel(overlay, conflict=True)

    done = run(ws, "overlay", "import")
    assert done.exit_code == 1, done.output
    assert done.stderr == (
        f"refused {THIRD}: claimed by Pod 'c1' (role coder) in our overlay and by Pod"
        f" 'coder-p' (role coder) in {files[THIRD]}; release one of them, then import again\n"
    )
    out = done.stdout.splitlines()
    assert out[-1] == "imported 2 claims and 3 sessions; 1 refused"
    assert f"skipped the session of Pod 'ws' ({files['sessions']}):" in done.stdout
    assert (
        f"imported claim {FIRST} for Pod intake-a (role intake) from {files[FIRST]}" in done.stdout
    )

    claims = {
        c["ticket_id"]: c for c in run_json(ws, "claims")["claims"] if c["source"] == "overlay"
    }
    assert {t: (c["pod_name"], c["role"], c["host"]) for t, c in claims.items()} == {
        FIRST: ("intake-a", "intake", this_host()),
        SECOND: ("coder-b", "coder", this_host()),
        THIRD: ("c1", "coder", this_host()),
    }
    assert claims[SECOND]["ticket_slug"] == "slug-b"
    assert not files[FIRST].exists() and not files[SECOND].exists()
    assert files[THIRD].exists() and files["sessions"].exists()  # refused; yoi's file stays

    sessions = {s["pod_name"]: s for s in run_json(ws, "sessions")["sessions"]}
    assert set(sessions) == {"intake-a", "coder-b", "c1"}  # never the Companion
    related = {pod: [r["id"] for r in s["related_tickets"]] for pod, s in sessions.items()}
    assert related == {"intake-a": [FIRST], "coder-b": [SECOND, IDEA], "c1": [THIRD, SECOND]}
    assert sessions["intake-a"]["origin"] == "pre_ticket_intake"
    assert (sessions["coder-b"]["origin"], sessions["coder-b"]["session_id"]) == (
        "ticket_claim",
        "s-1",
    )
    assert sessions["c1"]["origin"] == "ticket_claim"  # ours, kept

    imports = [e for e in history(overlay) if e["action"] == "import"]
    steps = sorted((e["step"], e.get("ticket_id") or e["by_pod"], e["panel_file"]) for e in imports)
    assert steps == sorted(
        [
            ("session", "c1", str(files["sessions"])),
            ("session", "coder-b", str(files["sessions"])),
            ("session", "intake-a", str(files["sessions"])),
            ("claim", FIRST, str(files[FIRST])),
            ("claim", SECOND, str(files[SECOND])),
            ("remove_panel_file", FIRST, str(files[FIRST])),
            ("remove_panel_file", SECOND, str(files[SECOND])),
        ]
    )
    eras = {e["by_pod"]: e["panel_era"] for e in imports if e["step"] == "claim"}
    assert eras == {"intake-a": "pod_name", "coder-b": "worker_name"}

    before = snapshot(overlay.locations.data_dir)
    again = run(ws, "overlay", "import")
    assert again.exit_code == 1  # the conflict is still refused
    assert again.stdout.splitlines()[-1] == "nothing imported; 1 refused"
    assert snapshot(overlay.locations.data_dir) == before

    assert run(ws, "release", THIRD, "--pod", "c1").exit_code == 0
    third = run(ws, "overlay", "import")
    assert (third.exit_code, third.stderr) == (0, "")
    assert third.stdout.splitlines()[-1] == "imported 1 claim and 0 sessions"
    assert not files[THIRD].exists()
    owner = {c["ticket_id"]: c["pod_name"] for c in run_json(ws, "claims")["claims"]}
    assert owner[THIRD] == "coder-p"

    before = snapshot(overlay.locations.data_dir)
    last = run(ws, "overlay", "import")
    assert last.exit_code == 0
    assert last.stdout.splitlines()[-1] == (
        "nothing to import: the overlay already holds the panel's claims and sessions"
    )
    assert snapshot(overlay.locations.data_dir) == before


def test_dry_run_prints_the_steps_and_changes_nothing(overlay: Overlay) -> None:
    ws = overlay.workspace
    files = write_panel(overlay, conflict=False)
    before = snapshot(overlay.locations.data_dir)

    dry = run(ws, "overlay", "import", "--dry-run")
    assert (dry.exit_code, dry.stderr) == (0, "")
    lines = dry.stdout.splitlines()
    assert lines[-1] == "dry run: would import 2 claims and 3 sessions; nothing changed"
    assert f"would import claim {SECOND} for Pod coder-b (role coder) from {files[SECOND]}" in (
        dry.stdout
    )
    assert any(line.startswith("would import the session of Pod c1 ") for line in lines)
    assert snapshot(overlay.locations.data_dir) == before
    assert not overlay.exists()  # not even the overlay folder was created

    done = run(ws, "overlay", "import")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[-1] == "imported 2 claims and 3 sessions"
    assert [c["pod_name"] for c in run_json(ws, "claims")["claims"]] == ["intake-a", "coder-b"]


def test_a_workspace_without_a_panel_registry_has_nothing_to_import(overlay: Overlay) -> None:
    result = run(overlay.workspace, "overlay", "import")
    assert (result.exit_code, result.stdout) == (
        0,
        "nothing to import: this workspace has no panel registry\n",
    )
    assert not overlay.exists()


def test_panel_folders_that_disagree_and_unreadable_files_are_refused(
    overlay: Overlay, tmp_path: Path
) -> None:
    ws = overlay.workspace
    link = tmp_path / "ws-link"
    link.symlink_to(ws)
    overlay.ensure()
    assert run(link, "workspace").exit_code == 0  # seen_paths now has the link's spelling
    here, there = panel_folder(overlay), panel_folder(overlay, str(link))
    assert here != there
    first = write_panel_claim(here, {"ticket_id": FIRST, "pod_name": "a", "role": "coder"})
    other = write_panel_claim(there, {"ticket_id": FIRST, "worker_name": "b", "role": "coder"})
    same = [
        write_panel_claim(folder, {"ticket_id": THIRD, "worker_name": "c", "role": "coder"})
        for folder in (here, there)
    ]
    bad = here / "ticket-claims" / f"{SECOND}.json"
    bad.write_bytes(b'{"ticket_id": "00001KSKBPHRG", "ro')

    result = run(ws, "overlay", "import")
    assert result.exit_code == 1
    refused = result.stderr.splitlines()
    assert f"refused {bad}: not valid JSON" in refused[0]
    holders = sorted([(str(first), "a"), (str(other), "b")])  # in the order of their files
    assert refused[1] == (
        f"refused {FIRST}: yoi's panel registries claim it for different Pods: "
        + "; ".join(f"Pod '{pod}' (role coder) in {path}" for path, pod in holders)
    )
    assert result.stdout.splitlines()[-1] == "imported 1 claim and 0 sessions; 2 refused"
    assert bad.exists() and first.exists() and other.exists()
    assert not any(path.exists() for path in same)  # one holder in both folders: one claim
    rows = run_json(ws, "claims")["claims"]
    assert [(r["ticket_id"], r["pod_name"], r["source"]) for r in rows] == [
        *((FIRST, pod, "panel") for _path, pod in holders),
        (THIRD, "c", "overlay"),
    ]
    removals = [e for e in history(overlay) if e.get("step") == "remove_panel_file"]
    assert sorted(e["panel_file"] for e in removals) == sorted(str(path) for path in same)
