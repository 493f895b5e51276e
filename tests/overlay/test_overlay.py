"""The overlay's place, modes, records and atomic writes (SPEC 5), on real files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import git
from harness.overlay import dead_pid
from yoi_ticket.errors import UsageError
from yoi_ticket.files import atomicfile
from yoi_ticket.overlay.claims import claim, list_claims, read_claim
from yoi_ticket.overlay.folder import Overlay, leftover_temp_files, list_overlays, other_overlays
from yoi_ticket.overlay.launch import run_launch
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.overlay.records import RecordError, TicketClaim
from yoi_ticket.overlay.sessions import record_session

TICKET = "00001KSKBPDVG"
OTHER_TICKET = "00001KSKBPHRG"


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_locations_follow_the_documented_precedence(yoi_home: Path, tmp_path: Path) -> None:
    assert Locations.from_env() == Locations(yoi_home, yoi_home / "run")
    chosen = Locations.from_env(
        {
            "YOI_DATA_DIR": str(tmp_path / "d"),
            "YOI_RUNTIME_DIR": str(tmp_path / "r"),
            "YOI_HOME": "x",
        }
    )
    assert chosen == Locations(tmp_path / "d", tmp_path / "r")
    home = yoi_home.parent
    fallback = Locations.from_env(  # the XDG steps, as yoi takes them
        {key: os.environ[key] for key in ("HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR")}
    )
    assert fallback.data_dir == home / "xdg_data_home" / "yoi"
    assert fallback.runtime_dir == home / "xdg_runtime_dir" / "yoi"


@pytest.mark.parametrize("mask", [0o000, 0o277])
def test_overlay_is_0700_and_its_files_0600_whatever_the_umask(
    workspace: Path, yoi_home: Path, umask: None, mask: int
) -> None:
    overlay = Overlay.for_workspace(workspace)
    os.umask(mask)
    claim(overlay, TICKET, "coder-1", "coder")
    assert run_launch(overlay, OTHER_TICKET, "reviewer-1", "reviewer", ["true"]).status == 0
    os.umask(0o022)

    modes = {}
    for folder, dirs, files in os.walk(yoi_home):
        for name in dirs + files:
            path = Path(folder) / name
            modes[path.relative_to(yoi_home).as_posix()] = stat.S_IMODE(path.lstat().st_mode)
    key = overlay.identity.key
    expected_files = {
        f"workspaces/{key}/workspace.json",
        f"workspaces/{key}/role-sessions.json",
        f"workspaces/{key}/history.jsonl",
        f"workspaces/{key}/ticket-claims/{TICKET}.json",
        f"workspaces/{key}/ticket-claims/{OTHER_TICKET}.json",
    }
    assert expected_files <= set(modes)
    for name, mode in modes.items():
        is_dir = (yoi_home / name).is_dir()
        assert mode == (0o700 if is_dir else 0o600), name
    assert stat.S_IMODE(yoi_home.stat().st_mode) == 0o700


def test_nothing_is_written_inside_the_workspace(workspace: Path) -> None:
    overlay = Overlay.for_workspace(workspace)
    claim(overlay, TICKET, "coder-1", "coder")
    record_session(overlay, "intake-1", "intake")
    assert run_launch(overlay, OTHER_TICKET, "coder-2", "coder", ["true"]).status == 0
    assert git(workspace, "status", "--porcelain", "--ignored").stdout == ""
    assert not overlay.root.is_relative_to(workspace)


def test_a_data_dir_inside_the_workspace_is_refused(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YOI_DATA_DIR", str(workspace / ".yoi" / "local"))
    overlay = Overlay.for_workspace(workspace)
    with pytest.raises(UsageError, match="inside the workspace"):
        claim(overlay, TICKET, "coder-1", "coder")
    assert not (workspace / ".yoi" / "local").exists()
    assert git(workspace, "status", "--porcelain", "--ignored").stdout == ""


def test_workspace_json_records_every_path_the_workspace_was_seen_under(
    workspace: Path, tmp_path: Path
) -> None:
    link = tmp_path / "alias"
    link.symlink_to(workspace, target_is_directory=True)
    claim(Overlay.for_workspace(workspace), TICKET, "coder-1", "coder")
    overlay = Overlay.for_workspace(link)
    overlay.ensure()
    overlay.ensure()

    record = json.loads(overlay.workspace_record_path.read_text())
    assert record["version"] == 1
    assert record["canonical_path"] == os.path.realpath(workspace)
    assert record["seen_paths"] == [str(workspace), str(link)]
    assert record["created_at"].endswith("Z")


def test_unknown_fields_are_read_and_written_back(workspace: Path) -> None:
    overlay = Overlay.for_workspace(workspace)
    record_session(overlay, "intake-1", "intake")
    data = json.loads(overlay.sessions_path.read_text())
    data["written_by"] = "a newer tool"
    data["sessions"]["intake-1"]["model"] = {"name": "m", "tokens": 3}
    overlay.sessions_path.write_text(json.dumps(data))

    record_session(overlay, "intake-1", "intake", tickets=[TICKET])

    after = json.loads(overlay.sessions_path.read_text())
    assert after["written_by"] == "a newer tool"
    assert after["sessions"]["intake-1"]["model"] == {"name": "m", "tokens": 3}
    assert after["sessions"]["intake-1"]["related_tickets"][0]["id"] == TICKET


def test_claim_files_are_complete_json_with_the_schema_fields(workspace: Path) -> None:
    overlay = Overlay.for_workspace(workspace)
    claim(overlay, TICKET, "coder-1", "coder")
    data = json.loads(overlay.claim_path(TICKET).read_text())
    assert set(data) == {
        "version",
        "ticket_id",
        "ticket_slug",
        "pod_name",
        "role",
        "claimed_at",
        "host",
    }
    assert data["version"] == 1
    assert list(overlay.claims_dir.iterdir()) == [overlay.claim_path(TICKET)]


def test_a_newer_or_broken_claim_file_is_reported_not_raised(workspace: Path) -> None:
    overlay = Overlay.for_workspace(workspace)
    claim(overlay, TICKET, "coder-1", "coder")
    newer = overlay.claim_path(OTHER_TICKET)
    newer.write_text(
        json.dumps(
            {
                **json.loads(overlay.claim_path(TICKET).read_text()),
                "ticket_id": OTHER_TICKET,
                "version": 2,
            }
        )
    )
    (overlay.claims_dir / "garbage.json").write_text("{not json")
    (overlay.claims_dir / "misnamed.json").write_text(overlay.claim_path(TICKET).read_text())

    listing = list_claims(overlay)

    assert [entry.claim.ticket_id for entry in listing.claims] == [TICKET]
    messages = sorted(error.message for error in listing.errors)
    assert len(messages) == 3
    assert any("newer yoi-ticket" in m for m in messages)
    assert any("not a valid TicketClaim" in m for m in messages)
    assert any("file is named for 'misnamed'" in m for m in messages)
    with pytest.raises(RecordError):
        read_claim(overlay, OTHER_TICKET)


def test_write_exclusive_never_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "claim.json"
    assert atomicfile.write_exclusive(target, b"first")
    assert not atomicfile.write_exclusive(target, b"second")
    atomicfile.write_replace(target, b"third")
    assert target.read_bytes() == b"third"
    assert [p.name for p in tmp_path.iterdir()] == ["claim.json"]


def test_temp_files_of_dead_writers_are_leftovers(workspace: Path) -> None:
    overlay = Overlay.for_workspace(workspace)
    claim(overlay, TICKET, "coder-1", "coder")
    dead = overlay.claims_dir / f".tmp-{dead_pid()}-0badc0de"
    dead.write_bytes(b'{"half": ')
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as writer:
        busy = overlay.root / f".tmp-{writer.pid}-feedface"
        busy.write_bytes(b"")
        try:
            assert leftover_temp_files(overlay) == [dead]
        finally:
            writer.kill()
    assert [entry.claim.ticket_id for entry in list_claims(overlay).claims] == [TICKET]


def test_overlays_are_listed_and_a_split_one_is_found(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(workspace, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    main = Overlay.for_workspace(tmp_path / "side")
    claim(main, TICKET, "coder-1", "coder")
    no_git = tmp_path / "no-git-bin"
    no_git.mkdir()
    monkeypatch.setenv("PATH", str(no_git))  # git missing: the worktree is keyed by its own path
    split = Overlay.for_workspace(tmp_path / "side")
    claim(split, OTHER_TICKET, "coder-2", "coder")

    assert split.identity.key != main.identity.key
    assert [info.key for info in list_overlays(main.locations)] == sorted(
        [main.identity.key, split.identity.key]
    )
    found = other_overlays(main)
    assert [info.key for info in found] == [split.identity.key]
    assert found[0].seen_paths == [str(tmp_path / "side")]
    (split.root / "workspace.json").write_text("[]")
    broken = [info for info in list_overlays(main.locations) if info.key == split.identity.key]
    assert broken[0].record is None
    assert broken[0].error is not None


def test_history_is_one_json_object_per_line(workspace: Path) -> None:
    overlay = Overlay.for_workspace(workspace)
    claim(overlay, TICKET, "coder-1", "coder")
    claim(overlay, TICKET, "coder-1", "coder")  # unchanged: no history line
    lines = overlay.history_path.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["action"] == "claim"
    assert entry["old"] is None
    assert TicketClaim.model_validate(entry["new"]).pod_name == "coder-1"


def test_an_unusable_data_dir_is_a_clear_error(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("YOI_DATA_DIR", str(blocker / "data"))
    with pytest.raises(UsageError, match="cannot write the overlay"):
        claim(Overlay.for_workspace(workspace), TICKET, "coder-1", "coder")


@pytest.mark.parametrize(
    "content", ["{broken", '{"version": 2, "canonical_path": "x", "created_at": "t"}']
)
def test_an_unreadable_or_newer_workspace_json_is_never_overwritten(
    workspace: Path, content: str
) -> None:
    overlay = Overlay.for_workspace(workspace)
    overlay.ensure()
    overlay.workspace_record_path.write_text(content)
    claim(overlay, TICKET, "coder-1", "coder")
    assert overlay.workspace_record_path.read_text() == content
    with pytest.raises(RecordError):
        overlay.read_workspace_record()
