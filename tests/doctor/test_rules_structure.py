"""YT1xx: each rule fires on a minimally broken copy of a real ticket, with its exact
code, severity, path and line, and nothing else fires; the clean corpus stays quiet."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CORPUS, V1, V2, copy_corpus
from harness.doctor import (
    STORE,
    diagnose,
    edit,
    found,
    line_of,
    messages,
    ticket_dir,
    ticket_workspace,
)
from yoi_ticket.cli.app import ticket_app
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic

PLANNING = "00001KSKBPDVG"  # v2, state planning, one migration event
CLOSED = "00001KSKBPVH0"  # v2, state closed, with resolution.md
V1_OPEN = "20260607-223233-parse-ticket-frontmatter-as-yaml"  # v1, open/, workflow_state done
V1_CLOSED = "20260527-000023-multi-pod-view-ui"  # v1, closed/, status closed
ITEM_PLANNING = f"{STORE}/{PLANNING}/item.md"
ITEM_CLOSED = f"{STORE}/{CLOSED}/item.md"
V1_CLOSED_ITEM = f"{STORE}/closed/{V1_CLOSED}/item.md"
V1_OPEN_ITEM = f"{STORE}/open/{V1_OPEN}/item.md"
LEGACY = ("YT110", "warning", STORE, None)


def v1_store(tmp_path: Path) -> Path:
    return ticket_workspace(tmp_path, V1_OPEN, V1_CLOSED, layout=V1)


# ---------------------------------------------------------------- the clean corpus


def test_clean_v2_corpus_has_only_dangling_relation_warnings(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    diagnostics = run_all(workspace)
    assert {(d.code, d.severity.value, d.path, d.line) for d in diagnostics} == {
        ("YT208", "warning", f"{STORE}/{source}/artifacts/relations.json", line)
        for source, line in [
            ("00001KTNMN02R", 7),
            ("00001KTNY6AK0", 7),
            ("00001KVDJCVWZ", 7),
            ("00001KVDQH839", 7),
            ("00001KVF0ZJM5", 7),
            ("00001KVHQDS6B", 7),
            ("00001KVHQDS6B", 15),
            ("00001KVZKST83", 7),
            ("00001KVZKSTE2", 7),
            ("00001KVZKSTJT", 7),
            ("00001KVZKSV6C", 7),
            ("00001KVZQHPNY", 7),
        ]
    }
    assert len(diagnostics) == 12


def test_clean_v1_corpus_gives_only_the_legacy_layout_warning(tmp_path: Path) -> None:
    workspace = copy_corpus(V1, tmp_path / "ws")
    diagnostics = run_all(workspace)
    assert [(d.code, d.severity.value, d.path, d.line) for d in diagnostics] == [LEGACY]
    assert diagnostics[0].message == (
        "store uses the legacy v1 layout (10 tickets in open/pending/closed buckets)"
    )


def test_real_density_sample_has_errors_only_for_leaked_local_state(tmp_path: Path) -> None:
    """v2-sample is a real store with its real findings; upstream's tools accept every ticket
    of it, so every error of ours there is a YT3/YT4/YT5 one (leaks, overlay, merges)."""
    workspace = copy_corpus("v2-sample", tmp_path / "ws")
    diagnostics = run_all(workspace)
    errors = {(d.code, d.path) for d in diagnostics if d.severity.value == "error"}
    assert errors, "the sample holds real leaked worktree paths"
    assert {code for code, _ in errors} == {"YT303"}
    assert {d.code for d in diagnostics} == {"YT208", "YT303", "YT304"}
    assert len(diagnostics) == 107


def run_all(workspace: Path) -> list[Diagnostic]:
    """Every rule, as CI runs doctor."""
    return run_doctor(workspace, DoctorOptions(no_local=True)).diagnostics


@pytest.mark.parametrize("layout", [V1, V2])
def test_every_corpus_ticket_alone_is_clean_apart_from_dangling_relations(
    tmp_path: Path, layout: str
) -> None:
    source = CORPUS / layout / ".yoi" / "tickets"
    ids = sorted(p.name for p in [*source.glob("0*"), *source.glob("*/2*")])
    assert len(ids) == (36 if layout == V2 else 10)
    for ticket_id in ids:
        workspace = ticket_workspace(tmp_path, ticket_id, layout=layout, name=ticket_id)
        codes = {code for code, *_ in found(workspace)}
        assert codes <= ({"YT208"} if layout == V2 else {"YT110"}), ticket_id


# ---------------------------------------------------------------- YT101 folder id


def test_yt101_folder_name_that_is_no_ticket_id(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    ticket_dir(workspace, PLANNING).rename(workspace / STORE / "my ticket")
    assert found(workspace) == {("YT101", "error", f"{STORE}/my ticket", None)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Dated ids are ids (no YT101), but upstream rejects them in a v2 store (YT118).
        ("20260527-000006-001", {("YT118", "warning", f"{STORE}/20260527-000006-001", None)}),
        (
            "20260527-000006-permission-default-policy",
            {("YT118", "warning", f"{STORE}/20260527-000006-permission-default-policy", None)},
        ),
        ("00001KSKBPDVH", set()),
        ("FZZZZZZZZZZZZ", set()),  # 2**64 - 1
    ],
)
def test_yt101_accepts_all_three_id_forms(
    tmp_path: Path, name: str, expected: set[tuple[str, str, str, None]]
) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    ticket_dir(workspace, PLANNING).rename(workspace / STORE / name)
    assert found(workspace) == expected


@pytest.mark.parametrize(
    "name",
    [
        "00001kskbpdvg",
        "20261327-000006-001",
        "20260527-000006-Slug",
        "0001KSKBPDVG",
        "G000000000000",  # 2**64: upstream keeps the value in 64 bits
        "ZZZZZZZZZZZZZ",
    ],
)
def test_yt101_rejects_near_misses(tmp_path: Path, name: str) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    ticket_dir(workspace, PLANNING).rename(workspace / STORE / name)
    assert found(workspace) == {("YT101", "error", f"{STORE}/{name}", None)}


def test_yt101_in_a_v1_bucket(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    folder = ticket_dir(workspace, V1_CLOSED)
    folder.rename(folder.parent / "multi-pod-view-ui")
    edit(
        folder.parent / "multi-pod-view-ui" / "item.md", f"id: {V1_CLOSED}", "id: multi-pod-view-ui"
    )
    assert found(workspace) == {
        LEGACY,
        ("YT101", "error", f"{STORE}/closed/multi-pod-view-ui", None),
    }


# ---------------------------------------------------------------- YT102-YT104 missing parts


def test_yt102_item_missing(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    (ticket_dir(workspace, CLOSED) / "item.md").unlink()
    assert found(workspace) == {("YT102", "error", ITEM_CLOSED, None)}


def test_yt103_thread_missing(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    (ticket_dir(workspace, CLOSED) / "thread.md").unlink()
    assert found(workspace) == {("YT103", "error", f"{STORE}/{CLOSED}/thread.md", None)}


def test_yt104_artifacts_missing(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    shutil.rmtree(ticket_dir(workspace, CLOSED) / "artifacts")
    assert found(workspace) == {("YT104", "error", f"{STORE}/{CLOSED}/artifacts", None)}


def test_yt104_artifacts_holding_only_gitkeep_is_fine(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    assert os.listdir(ticket_dir(workspace, CLOSED) / "artifacts") == [".gitkeep"]
    assert found(workspace) == set()


def test_yt102_to_yt104_in_a_v1_store(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    folder = ticket_dir(workspace, V1_OPEN)
    (folder / "item.md").unlink()
    (folder / "thread.md").unlink()
    shutil.rmtree(folder / "artifacts")
    path = f"{STORE}/open/{V1_OPEN}"
    assert found(workspace) == {
        LEGACY,
        ("YT102", "error", f"{path}/item.md", None),
        ("YT103", "error", f"{path}/thread.md", None),
        ("YT104", "error", f"{path}/artifacts", None),
    }


# ---------------------------------------------------------------- YT105 frontmatter


def test_yt105_yaml_error_points_at_its_line(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    item = ticket_dir(workspace, CLOSED) / "item.md"
    edit(item, 'state: "closed"', 'state: "closed" extra')
    diagnostics = diagnose(workspace)
    assert found(workspace) == {("YT105", "error", ITEM_CLOSED, 3)}
    assert diagnostics[0].message.startswith("invalid YAML: ")


def test_yt105_yaml_error_line_after_blank_lines(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    item = ticket_dir(workspace, CLOSED) / "item.md"
    edit(item, 'updated_at: "2026-05-29T05:05:43Z"', '\n\nupdated_at: "2026-05-29T05:05:43Z" x')
    assert found(workspace) == {("YT105", "error", ITEM_CLOSED, 7)}


FRONTMATTER_SHAPES = {
    "no-opening": (
        lambda t: t.removeprefix("---\n"),
        1,
        "no YAML frontmatter (file must start with '---')",
    ),
    "no-closing": (
        lambda t: t.replace("\n---\n", "\n", 1),
        1,
        "frontmatter is not closed by a '---' line",
    ),
    "not-a-mapping": (
        lambda t: "---\n- a list\n---\nbody\n",
        2,
        "frontmatter is a YAML list, not a mapping of fields",
    ),
}


@pytest.mark.parametrize("shape", sorted(FRONTMATTER_SHAPES))
def test_yt105_frontmatter_shape(tmp_path: Path, shape: str) -> None:
    change, line, message = FRONTMATTER_SHAPES[shape]
    workspace = ticket_workspace(tmp_path, CLOSED)
    item = ticket_dir(workspace, CLOSED) / "item.md"
    item.write_text(change(item.read_text(encoding="utf-8")), encoding="utf-8")
    assert [(d.code, d.path, d.line, d.message) for d in diagnose(workspace)] == [
        ("YT105", ITEM_CLOSED, line, message)
    ]


def test_yt105_yaml_aliases_are_refused(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    item = ticket_dir(workspace, CLOSED) / "item.md"
    edit(item, 'title: "Generalize system-reminder history append lane"', "title: &t x\nslug: *t")
    assert {code for code, *_ in found(workspace)} == {"YT105"}


# ---------------------------------------------------------------- YT106 required fields


@pytest.mark.parametrize("key", ["title", "state", "created_at", "updated_at"])
def test_yt106_required_field_missing(tmp_path: Path, key: str) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    item = ticket_dir(workspace, PLANNING) / "item.md"
    lines = item.read_text(encoding="utf-8").split("\n")
    item.write_text("\n".join(line for line in lines if not line.startswith(f"{key}:")))
    assert found(workspace) == {("YT106", "error", ITEM_PLANNING, 1)}
    assert messages(workspace, "YT106") == [f"required field {key!r} is missing"]


def test_yt106_empty_required_field_points_at_its_line(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    edit(
        ticket_dir(workspace, PLANNING) / "item.md",
        'title: "Permission: allow-all',
        'title: ""\nx: "',
    )
    assert found(workspace) == {("YT106", "error", ITEM_PLANNING, 2)}
    assert messages(workspace, "YT106") == ["required field 'title' is missing or empty"]


def test_yt106_v1_store_checks_v1_fields(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    item = ticket_dir(workspace, V1_CLOSED) / "item.md"
    edit(item, f"id: {V1_CLOSED}\n", "")
    edit(item, "status: closed\n", "")
    assert found(workspace) == {LEGACY, ("YT106", "error", V1_CLOSED_ITEM, 1)}
    assert sorted(messages(workspace, "YT106")) == [
        "required field 'id' is missing",
        "v1 field 'status' (or 'workflow_state') is missing",
    ]


def test_yt106_v1_ticket_needs_no_v2_state(tmp_path: Path) -> None:
    """A wholly-v1 store is judged by v1 fields: no 'state' needed, v1 fields allowed."""
    workspace = v1_store(tmp_path)
    item = ticket_dir(workspace, V1_OPEN) / "item.md"
    assert "state:" not in item.read_text().replace("workflow_state:", "")
    assert found(workspace) == {LEGACY}


def test_yt106_workflow_state_alone_is_enough_in_v1(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    edit(ticket_dir(workspace, V1_OPEN) / "item.md", "status: open\n", "")
    assert found(workspace) == {LEGACY}


# ---------------------------------------------------------------- YT107 state


def test_yt107_invalid_state(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    edit(ticket_dir(workspace, PLANNING) / "item.md", 'state: "planning"', 'state: "in-progress"')
    assert found(workspace) == {("YT107", "error", ITEM_PLANNING, 3)}


def test_yt107_v1_intake_is_not_a_v2_state(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    edit(ticket_dir(workspace, PLANNING) / "item.md", 'state: "planning"', "state: intake")
    assert found(workspace) == {("YT107", "error", ITEM_PLANNING, 3)}


def test_yt107_v1_workflow_state_and_status(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    item = ticket_dir(workspace, V1_OPEN) / "item.md"
    edit(item, "status: open", "status: active")
    edit(item, "workflow_state: done", "workflow_state: intake")  # intake is a v1 state
    assert found(workspace) == {
        LEGACY,
        ("YT107", "error", V1_OPEN_ITEM, 5),  # status
        ("YT215", "warning", V1_OPEN_ITEM, 9),  # workflow_state: intake, thread says done
    }


# ---------------------------------------------------------------- YT108-YT110 v1 leftovers


def test_yt108_v1_field_in_a_v2_store(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    edit(
        ticket_dir(workspace, PLANNING) / "item.md",
        'state: "planning"\n',
        'state: "planning"\nworkflow_state: planning\nslug: x\n',
    )
    assert found(workspace) == {
        ("YT108", "error", ITEM_PLANNING, 4),
        ("YT108", "error", ITEM_PLANNING, 5),
    }


def test_yt109_v1_bucket_left_in_a_v2_store(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    shutil.copytree(
        CORPUS / V1 / STORE / "closed" / V1_CLOSED, workspace / STORE / "closed" / V1_CLOSED
    )
    item = f"{STORE}/closed/{V1_CLOSED}/item.md"
    assert found(workspace) == {
        ("YT109", "error", f"{STORE}/closed", None),
        ("YT106", "error", item, 1),  # no v2 state
        *(("YT108", "error", item, line) for line in (2, 3, 5, 6, 8)),  # id slug status kind labels
    }


def test_yt109_empty_bucket_in_a_v2_store(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    (workspace / STORE / "pending").mkdir()
    assert found(workspace) == {("YT109", "error", f"{STORE}/pending", None)}


def test_yt110_reported_once_for_a_wholly_v1_store(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    assert found(workspace) == {LEGACY}
    assert messages(workspace, "YT110") == [
        "store uses the legacy v1 layout (2 tickets in open/pending/closed buckets)"
    ]


# ---------------------------------------------------------------- YT111 resolution


def test_yt111_closed_without_resolution(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    (ticket_dir(workspace, CLOSED) / "resolution.md").unlink()
    assert found(workspace) == {("YT111", "warning", f"{STORE}/{CLOSED}/resolution.md", None)}


def test_yt111_v1_status_closed_without_resolution(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    (ticket_dir(workspace, V1_CLOSED) / "resolution.md").unlink()
    assert found(workspace) == {
        LEGACY,
        ("YT111", "warning", f"{STORE}/closed/{V1_CLOSED}/resolution.md", None),
    }


def test_yt111_open_ticket_needs_no_resolution(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    assert not (ticket_dir(workspace, PLANNING) / "resolution.md").exists()
    assert found(workspace) == set()


# ---------------------------------------------------------------- YT112 duplicate id


def test_yt112_same_id_in_v2_root_and_a_v1_bucket(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    shutil.copytree(ticket_dir(workspace, CLOSED), workspace / STORE / "closed" / CLOSED)
    assert found(workspace) == {
        ("YT112", "error", f"{STORE}/{CLOSED}", None),
        ("YT112", "error", f"{STORE}/closed/{CLOSED}", None),
        ("YT109", "error", f"{STORE}/closed", None),
    }
    assert messages(workspace, "YT112") == [
        f"ticket id also used by {STORE}/closed/{CLOSED}",
        f"ticket id also used by {STORE}/{CLOSED}",
    ]


def test_yt112_same_id_in_two_v1_buckets(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    shutil.copytree(ticket_dir(workspace, V1_OPEN), workspace / STORE / "pending" / V1_OPEN)
    assert found(workspace) == {
        LEGACY,
        ("YT112", "error", f"{STORE}/open/{V1_OPEN}", None),
        ("YT112", "error", f"{STORE}/pending/{V1_OPEN}", None),
    }


def test_yt112_ids_differing_only_in_case(tmp_path: Path) -> None:
    """On a case-insensitive file system the two folders would be one."""
    workspace = ticket_workspace(tmp_path, CLOSED)
    shutil.copytree(ticket_dir(workspace, CLOSED), workspace / STORE / CLOSED.lower())
    assert found(workspace) == {
        ("YT101", "error", f"{STORE}/{CLOSED.lower()}", None),
        ("YT112", "error", f"{STORE}/{CLOSED.lower()}", None),
        ("YT112", "error", f"{STORE}/{CLOSED}", None),
    }


# ---------------------------------------------------------------- YT113 legacy files


def test_yt113_legacy_todo_references_and_files(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    # The migration event of this ticket names its legacy file.
    assert (
        "tickets/permission-default-policy.md"
        in (ticket_dir(workspace, PLANNING) / "thread.md").read_text()
    )
    (workspace / "TODO.md").write_text(
        "# TODO\n\n"
        "- [ ] permission default, see tickets/permission-default-policy.md\n"
        "- [ ] no ticket file: .yoi/tickets/00001KSKBPDVG/item.md\n"
        "- [x] [done](tickets/old-one.md) and `tickets/other.md`\n",
        encoding="utf-8",
    )
    (workspace / "tickets").mkdir()
    (workspace / "tickets" / "permission-default-policy.md").write_text("# old\n")
    (workspace / "tickets" / "notes.txt").write_text("not a ticket\n")
    (workspace / STORE / "flat-ticket.md").write_text("# flat\n")
    (workspace / STORE / "index.json").write_text("{}\n")  # not Markdown: not a legacy ticket
    assert found(workspace) == {
        ("YT113", "warning", "TODO.md", 3),
        ("YT113", "warning", "TODO.md", 5),
        ("YT113", "warning", "tickets/permission-default-policy.md", None),
        ("YT113", "error", f"{STORE}/flat-ticket.md", None),  # upstream rejects it
    }
    assert sorted(messages(workspace, "YT113")) == [
        "leftover flat ticket file",
        "leftover legacy ticket file",
        "reference to legacy ticket file tickets/old-one.md",
        "reference to legacy ticket file tickets/other.md",
        "reference to legacy ticket file tickets/permission-default-policy.md",
    ]


# ---------------------------------------------------------------- YT114 v1 id


def test_yt114_v1_id_differs_from_folder(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    edit(
        ticket_dir(workspace, V1_CLOSED) / "item.md",
        f"id: {V1_CLOSED}",
        "id: 20260527-000023-multi-pod-view",
    )
    assert found(workspace) == {LEGACY, ("YT114", "error", V1_CLOSED_ITEM, 2)}


def test_yt114_quoted_v1_id_is_compared_as_text(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, "20260609-032533-session-analytics-tooling", layout=V1)
    item = ticket_dir(workspace, "20260609-032533-session-analytics-tooling") / "item.md"
    assert "id: '20260609-032533-session-analytics-tooling'" in item.read_text()
    assert found(workspace) == {LEGACY}


# ---------------------------------------------------------------- YT115 timestamps


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('updated_at: "2026-05-29T05:05:43Z"', 'updated_at: "May 29 2026"'),
        ('created_at: "2026-05-27T00:00:20Z"', 'created_at: "2026-05-27 00:00:20"'),
        ('created_at: "2026-05-27T00:00:20Z"', "created_at: 2026-05-27T00:00:20"),  # no zone
    ],
)
def test_yt115_timestamp_not_rfc3339(tmp_path: Path, old: str, new: str) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    item = ticket_dir(workspace, CLOSED) / "item.md"
    edit(item, old, new)
    assert found(workspace) == {("YT115", "error", ITEM_CLOSED, line_of(item, new))}


def test_yt115_queued_at_is_checked_and_unquoted_times_are_fine(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, "00001KVZKSV6C")
    item = ticket_dir(workspace, "00001KVZKSV6C") / "item.md"
    edit(item, "queued_at: '2026-06-25T16:31:28Z'", "queued_at: yesterday")
    edit(item, "created_at: '2026-06-25T14:44:03Z'", "created_at: 2026-06-25T14:44:03Z")
    assert found(workspace, "YT115") == {("YT115", "error", f"{STORE}/00001KVZKSV6C/item.md", 8)}


# ---------------------------------------------------------------- YT116 folder symlinks

SECRET = "OUTSIDE-SECRET-7f3a"


def outside_ticket(tmp_path: Path) -> Path:
    """A ticket folder outside the store whose content would trip rules if it were read."""
    folder = tmp_path / "outside" / PLANNING
    shutil.copytree(CORPUS / V2 / STORE / PLANNING, folder)
    (folder / "item.md").write_text(
        f"---\ntitle: {SECRET}\nstate: bogus\n---\n{SECRET}\n", encoding="utf-8"
    )
    (folder / "thread.md").write_text(f"<!-- event: comment {SECRET}\n", encoding="utf-8")
    return folder


def test_yt116_symlinked_ticket_folder_outside_the_store_is_not_followed(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    os.symlink(outside_ticket(tmp_path), workspace / STORE / PLANNING)
    assert found(workspace) == {("YT116", "error", f"{STORE}/{PLANNING}", None)}
    assert messages(workspace, "YT116") == [
        "ticket folder is a symlink resolving outside the store (not followed)"
    ]
    result = CliRunner().invoke(
        ticket_app, ["doctor", "-C", str(workspace), "--no-local", "--format", "json"]
    )
    assert result.exit_code == 1
    assert SECRET not in result.output
    codes = {d["code"] for d in json.loads(result.output)["diagnostics"]}
    assert codes == {"YT116"}


def test_yt116_symlink_inside_the_store_is_followed(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    (workspace / STORE / ".real").mkdir()
    ticket_dir(workspace, PLANNING).rename(workspace / STORE / ".real" / PLANNING)
    os.symlink(f".real/{PLANNING}", workspace / STORE / PLANNING)
    assert found(workspace) == set()


@pytest.mark.parametrize("target", ["loop", "missing"])
def test_yt116_looping_or_broken_folder_symlink_is_reported(tmp_path: Path, target: str) -> None:
    """Regression: such links used to be dropped from the scan without a word."""
    workspace = ticket_workspace(tmp_path, CLOSED)
    link = workspace / STORE / PLANNING
    os.symlink(PLANNING if target == "loop" else str(tmp_path / "gone"), link)
    assert found(workspace) == {("YT116", "error", f"{STORE}/{PLANNING}", None)}
    assert messages(workspace, "YT116") == [
        "ticket folder is a broken or looping symlink (not followed)"
    ]


def test_yt116_looping_symlink_in_a_v1_bucket(tmp_path: Path) -> None:
    workspace = v1_store(tmp_path)
    os.symlink("a", workspace / STORE / "open" / "b")
    os.symlink("b", workspace / STORE / "open" / "a")
    assert found(workspace) == {
        LEGACY,
        ("YT101", "error", f"{STORE}/open/a", None),
        ("YT116", "error", f"{STORE}/open/a", None),
        ("YT101", "error", f"{STORE}/open/b", None),
        ("YT116", "error", f"{STORE}/open/b", None),
    }


def test_yt116_through_a_real_process(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    os.symlink(outside_ticket(tmp_path), workspace / STORE / PLANNING)
    done = subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "doctor", "--no-local", "--format", "github"],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    assert SECRET not in done.stdout
    assert done.stdout.splitlines() == [
        f"::error file={STORE}/{PLANNING},title=YT116::"
        "ticket folder is a symlink resolving outside the store (not followed)"
        f"%0Ahint: replace the symlink {STORE}/{PLANNING} with a real folder, or git rm it"
    ]


# ---------------------------------------------------------------- YT117 unreadable text


def test_yt117_invalid_utf8_points_at_its_line(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    thread = ticket_dir(workspace, CLOSED) / "thread.md"
    data = thread.read_bytes().replace(b"## Closed", b"## Cl\xe9sed")
    thread.write_bytes(data)
    assert found(workspace) == {("YT117", "error", f"{STORE}/{CLOSED}/thread.md", 11)}
    offset = data.index(b"\xe9")
    assert messages(workspace, "YT117") == [f"invalid UTF-8 at byte {offset} (line 11)"]


def test_yt117_nul_byte_in_item(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    item = ticket_dir(workspace, CLOSED) / "item.md"
    item.write_bytes(item.read_bytes().replace(b"## Background", b"## Back\x00ground"))
    assert found(workspace) == {("YT117", "error", ITEM_CLOSED, 8)}


def test_yt117_item_that_is_a_directory(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    item = ticket_dir(workspace, CLOSED) / "item.md"
    item.unlink()
    item.mkdir()
    diagnostics = diagnose(workspace)
    assert {(d.code, d.path, d.line) for d in diagnostics} == {
        ("YT117", ITEM_CLOSED, None),
        ("YT105", ITEM_CLOSED, 1),  # nothing to parse
    }


def test_yt117_bom_and_crlf_are_not_problems(tmp_path: Path) -> None:
    """Both files are read (no YT117, no YT105); only the BOM of item.md is reported, as
    the one thing upstream yoi will not read (YT119)."""
    workspace = ticket_workspace(tmp_path, CLOSED)
    for name in ("item.md", "thread.md"):
        path = ticket_dir(workspace, CLOSED) / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert found(workspace) == {("YT119", "error", ITEM_CLOSED, 1)}


def test_repeated_key_is_reported_at_the_line_yaml_keeps(tmp_path: Path) -> None:
    """Regression: a key written twice (a typical bad merge) pointed at its first line,
    while YAML keeps the value of the last one."""
    workspace = ticket_workspace(tmp_path, PLANNING)
    edit(
        ticket_dir(workspace, PLANNING) / "item.md",
        'updated_at: "2026-05-27T00:00:06Z"\n',
        'updated_at: "2026-05-27T00:00:06Z"\nstate: started\n',
    )
    assert found(workspace) == {("YT107", "error", ITEM_PLANNING, 6)}
