"""yoi's panel registry, read from files written the way upstream's TUI writes them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from harness.panel import pretty, write_panel_claim, write_panel_sessions
from yoi_ticket.overlay.panel import (
    PanelRegistry,
    fnv1a64,
    panel_folder_name,
    panel_leaf,
    panel_registries,
)


@pytest.mark.parametrize(
    ("text", "digest"), [("a", 0xAF63DC4C8601EC8C), ("foobar", 0x85944171F73967E8)]
)
def test_fnv1a64_vectors(text: str, digest: int) -> None:
    assert fnv1a64(text.encode()) == digest


@pytest.mark.parametrize(
    ("path", "leaf"),
    [
        ("/home/hare/Projects/yoi", "yoi"),
        ("/tmp/Yoi Workspace", "Yoi-Workspace"),
        ("/tmp/yoi/", "yoi"),
        ("/tmp/--x.y--", "x-y"),
        ("/", "workspace"),
        ("C:\\Users\\hare\\yoi", "yoi"),
    ],
)
def test_panel_leaf(path: str, leaf: str) -> None:
    assert panel_leaf(path) == leaf


def test_folder_name_hashes_the_path_as_spelled() -> None:
    assert panel_folder_name("a") == "a-af63dc4c8601ec8c"
    assert panel_folder_name("/w/yoi") != panel_folder_name("/w/yoi/")
    assert panel_folder_name("C:\\w\\yoi") == panel_folder_name("C:/w/yoi")


def test_claims_and_sessions_of_both_eras(tmp_path: Path) -> None:
    folder = tmp_path / "panel" / "workspaces" / panel_folder_name("/w/yoi")
    old = write_panel_claim(
        folder, {"ticket_id": "00001KSKBPDVG", "pod_name": "intake-a", "role": "intake"}
    )
    new = write_panel_claim(
        folder,
        {
            "ticket_id": "00001KSKBPVH0",
            "ticket_slug": "queue",
            "worker_name": "coder-b",
            "role": "coder",
        },
    )
    nanos = str(time.time_ns())
    write_panel_sessions(
        folder,
        "/w/yoi",
        {
            "intake-a": {
                "role": "intake",
                "pod_name": "intake-a",
                "origin": "pre_ticket_intake",
                "created_at": nanos,
                "updated_at": nanos,
                "related_tickets": [],
            },
            "coder-b": {
                "role": "coder",
                "worker_name": "coder-b",
                "origin": "ticket_claim",
                "created_at": nanos,
                "updated_at": nanos,
                "session_id": "s-1",
                "related_tickets": [{"id": "00001KSKBPVH0", "slug": "queue"}],
            },
        },
    )
    contents = PanelRegistry(folder, "/w/yoi").read()
    assert contents.problems == []
    assert [(c.ticket_id, c.pod_name, c.role, c.name_key, c.path) for c in contents.claims] == [
        ("00001KSKBPDVG", "intake-a", "intake", "pod_name", old),
        ("00001KSKBPVH0", "coder-b", "coder", "worker_name", new),
    ]
    assert contents.claims[1].ticket_slug == "queue"
    assert [
        (s.pod_name, s.role, s.origin, s.related_tickets, s.name_key) for s in contents.sessions
    ] == [
        ("coder-b", "coder", "ticket_claim", ("00001KSKBPVH0",), "worker_name"),
        ("intake-a", "intake", "pre_ticket_intake", (), "pod_name"),
    ]


def test_broken_files_are_problems_not_claims(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    claims = folder / "ticket-claims"
    claims.mkdir(parents=True)
    (claims / "00001KSKBPDVG.json").write_bytes(b'{"ticket_id": "00001KSKBPDVG", "ro')
    (claims / "00001KSKBPVH0.json").write_bytes(pretty({"ticket_id": "00001KSKBPVH0", "role": "x"}))
    (claims / "00001KSKBPHRG.json").write_bytes(
        pretty({"ticket_id": "00001KSKBPDVG", "worker_name": "w", "role": "coder"})
    )
    (folder / "role-sessions.json").write_bytes(b"[]")
    contents = PanelRegistry(folder, "/w").read()
    assert contents.claims == []
    assert sorted((p.path.name, p.message.split(":")[0]) for p in contents.problems) == [
        ("00001KSKBPDVG.json", "not valid JSON"),
        ("00001KSKBPHRG.json", "names ticket '00001KSKBPDVG', not the one of its file name"),
        ("00001KSKBPVH0.json", "neither worker_name nor pod_name"),
        ("role-sessions.json", "no sessions mapping"),
    ]


def test_temp_leftovers_and_a_stuck_lock(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    (folder / "ticket-claims").mkdir(parents=True)
    claim_temp = folder / "ticket-claims" / ".1764600000000000000.tmp"
    sessions_temp = folder / "role-sessions.json.1764600000000000001.tmp"
    claim_temp.write_bytes(b"{}")
    sessions_temp.write_bytes(b"{}")
    (folder / "ticket-claims" / ".keep").write_bytes(b"")  # not upstream's temp pattern
    registry = PanelRegistry(folder, "/w")
    assert registry.temp_leftovers() == sorted([claim_temp, sessions_temp])
    assert registry.stuck_lock_age() is None  # no lock
    registry.lock_path.touch()
    assert registry.stuck_lock_age() is None  # a fresh lock: an update in progress
    old = time.time() - 3600
    os.utime(registry.lock_path, (old, old))
    age = registry.stuck_lock_age()
    assert age is not None and 3590 < age < 3700


def test_registries_are_found_for_every_spelling_in_every_data_dir(tmp_path: Path) -> None:
    current, legacy = tmp_path / "share" / "yoi", tmp_path / ".yoi"
    for data_dir, spelled in ((current, "/w/yoi"), (legacy, "/w/yoi"), (legacy, "/link/yoi")):
        (data_dir / "panel" / "workspaces" / panel_folder_name(spelled)).mkdir(parents=True)
    (current / "panel" / "workspaces" / panel_folder_name("/other")).mkdir(parents=True)
    found = panel_registries([current, legacy], ["/w/yoi", "/link/yoi", "/never"])
    assert sorted((str(r.folder.relative_to(tmp_path)), r.spelled) for r in found) == sorted(
        [
            (f"share/yoi/panel/workspaces/{panel_folder_name('/w/yoi')}", "/w/yoi"),
            (f".yoi/panel/workspaces/{panel_folder_name('/w/yoi')}", "/w/yoi"),
            (f".yoi/panel/workspaces/{panel_folder_name('/link/yoi')}", "/link/yoi"),
        ]
    )
