"""What users of yoi type: ``list --state active|all|a,b``, ``--limit N``, ticket ids in any
case, and the store root of ``.yoi/workspace.toml``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import V1, V2, copy_corpus
from harness.cli import run, run_json
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.store.listing import STATES

FIRST = "00001KSKBPDVG"


@pytest.fixture(scope="module")
def v2_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_corpus(V2, tmp_path_factory.mktemp("habits") / "ws")


def listed(workspace: Path, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = run_json(workspace, "list", *args)["tickets"]
    return rows


# ---------------------------------------------------------------- list --state


def test_state_active_is_every_ticket_not_closed(v2_ws: Path) -> None:
    everything = listed(v2_ws)
    active = [row["id"] for row in everything if row["state"] != "closed"]
    assert 0 < len(active) < len(everything)
    assert [row["id"] for row in listed(v2_ws, "--state", "active")] == active
    assert [row["id"] for row in listed(v2_ws, "--state", "ACTIVE")] == active


def test_state_active_in_a_v1_store(tmp_path: Path) -> None:
    workspace = copy_corpus(V1, tmp_path / "v1")
    everything = listed(workspace)
    active = [row["id"] for row in everything if row["state"] != "closed"]
    assert 0 < len(active) < len(everything)
    assert [row["id"] for row in listed(workspace, "--state", "active")] == active


def test_state_all_and_lists(v2_ws: Path) -> None:
    everything = [row["id"] for row in listed(v2_ws)]
    assert [row["id"] for row in listed(v2_ws, "--state", "all")] == everything
    assert [row["id"] for row in listed(v2_ws, "--state", "queued,all")] == everything
    queued_or_ready = [row["id"] for row in listed(v2_ws) if row["state"] in ("queued", "ready")]
    assert len(queued_or_ready) >= 2
    assert [row["id"] for row in listed(v2_ws, "--state", "queued,ready")] == queued_or_ready
    repeated = listed(v2_ws, "--state", "ready", "--state", " Queued ")
    assert [row["id"] for row in repeated] == queued_or_ready


@pytest.mark.parametrize("value", ["bogus", "queued,bogus", "open-ish"])
def test_an_unknown_state_is_a_usage_error(v2_ws: Path, value: str) -> None:
    result = run(v2_ws, "list", "--state", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    bad = value.split(",")[-1]
    assert result.stderr == (
        f"error: unknown --state {bad!r}\nhint: use active, all, or states: {', '.join(STATES)}\n"
    )


# ---------------------------------------------------------------- list --limit


def test_limit_shows_the_first_tickets_and_says_how_many_more(v2_ws: Path) -> None:
    everything = listed(v2_ws)
    document = run_json(v2_ws, "list", "--limit", "3")
    assert document["tickets"] == everything[:3]
    assert document["omitted"] == len(everything) - 3
    text = run(v2_ws, "list", "--limit", "3")
    assert text.exit_code == 0
    assert [line.split("\t")[0] for line in text.stdout.splitlines()] == [
        row["id"] for row in everything[:3]
    ]
    assert text.stderr == f"({len(everything) - 3} more; raise --limit to see them)\n"
    active = [row for row in everything if row["state"] != "closed"]
    limited = run_json(v2_ws, "list", "--state", "active", "--limit", "2")
    assert (limited["tickets"], limited["omitted"]) == (active[:2], len(active) - 2)


def test_a_limit_above_the_count_omits_nothing(v2_ws: Path) -> None:
    everything = listed(v2_ws)
    document = run_json(v2_ws, "list", "--limit", str(len(everything) + 5))
    assert (document["tickets"], document["omitted"]) == (everything, 0)
    assert run(v2_ws, "list", "--limit", "1000").stderr == ""
    assert "omitted" not in run_json(v2_ws, "list")


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_a_bad_limit_is_a_usage_error(v2_ws: Path, value: str) -> None:
    result = run(v2_ws, "list", "--limit", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith("Error: Invalid value for '--limit'")


# ---------------------------------------------------------------- ids in any case


def test_show_matches_ids_in_any_case(v2_ws: Path) -> None:
    exact = run_json(v2_ws, "show", FIRST)
    assert run_json(v2_ws, "show", FIRST.lower()) == exact
    assert run_json(v2_ws, "show", FIRST.lower()[:-2]) == exact  # a unique prefix
    ambiguous = run(v2_ws, "show", "00001ksk")
    assert ambiguous.exit_code == 2
    assert ambiguous.stderr.startswith("error: '00001ksk' matches ")


def test_claims_and_sessions_use_the_stores_spelling(workspace: Path) -> None:
    lower = FIRST.lower()
    claimed = run(workspace, "claim", lower, "--pod", "c1", "--role", "coder")
    assert claimed.stdout == f"claimed {FIRST} for Pod c1 (role coder)\n"
    overlay = Overlay.for_workspace(workspace)
    assert overlay.claim_path(FIRST).is_file()
    assert not overlay.claim_path(lower).exists()
    claims = run_json(workspace, "claims")["claims"]
    assert [claim["ticket_id"] for claim in claims] == [FIRST]
    again = run(workspace, "reclaim", lower, "--pod", "c1", "--role", "coder")
    assert again.stdout == f"Pod c1 already holds {FIRST} (role coder)\n"
    linked = run(workspace, "session", "link", lower, "--pod", "c1")
    assert linked.stdout == f"Pod c1 relates to: {FIRST}\n"
    released = run(workspace, "release", lower, "--pod", "c1")
    assert released.stdout == f"released {FIRST} (held by Pod c1, role coder)\n"


def test_a_missing_id_keeps_its_spelling(workspace: Path) -> None:
    args = ("--pod", "c1", "--role", "coder", "--allow-missing")
    result = run(workspace, "claim", "00001zzzzzzzz", *args)
    assert result.stdout == "claimed 00001zzzzzzzz for Pod c1 (role coder)\n"


# ---------------------------------------------------------------- .yoi/workspace.toml

# What `yoi ticket init` writes into .yoi/workspace.toml (ticket_config_scaffold in
# upstream's crates/ticket/src/config.rs), with the root moved.
ORCHESTRATION = (  # one line of the file, too long for one line here
    "# Optional Panel Orchestrator worktree settings. When unset, Panel uses branch"
    " `orchestration` at `.worktree/orchestration`."
)
SCAFFOLD = """[ticket]
# Optional durable Ticket record language. When unset, generated Ticket text keeps current defaults.
# language = "Japanese"

[ticket.backend]
provider = "builtin:yoi_local"
root = "{root}"

{orchestration}
# [ticket.orchestration]
# branch = "orchestration"
# worktree_dir = ".worktree"
# worktree_name = "orchestration"

[ticket.roles.intake]
profile = "builtin:intake"

[ticket.roles.orchestrator]
profile = "builtin:orchestrator"

[ticket.roles.coder]
profile = "builtin:coder"

[ticket.roles.reviewer]
profile = "builtin:reviewer"
"""


def test_the_workspace_settings_root_wins(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    ids = [row["id"] for row in listed(workspace)]
    (workspace / ".yoi" / "tickets").rename(workspace / "work-tickets")
    (workspace / ".yoi" / "workspace.toml").write_text(
        SCAFFOLD.format(root="work-tickets", orchestration=ORCHESTRATION)
    )
    (workspace / ".yoi" / "ticket.config.toml").write_text('[backend]\nroot = "legacy"\n')
    rows = listed(workspace)
    assert [row["id"] for row in rows] == ids
    assert {row["path"].split("/")[0] for row in rows} == {"work-tickets"}
    doctor = run(workspace, "doctor", "--no-local", "--format", "json")
    paths = {d["path"] for d in json.loads(doctor.stdout)["diagnostics"]}
    assert paths and all(path.startswith("work-tickets/") for path in paths)
