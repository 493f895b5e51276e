"""Issue 14, store and item.md: what upstream yoi's own doctor rejects (UPSTREAM.md
section 5) is reported on a minimally broken copy of a real ticket, with the complete set
of findings; v1-era frontmatter written for upstream's line-based reader is read as that
reader did, with one warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import V1
from harness.doctor import STORE, edit, found, line_of, messages, ticket_dir, ticket_workspace
from yoi_ticket.cli.app import ticket_app

PLANNING = "00001KSKBPDVG"  # v2, title/state/created_at/updated_at only
CLOSED = "00001KSKBPVH0"  # v2, closed, with resolution.md, no relations
V1_OPEN = "20260607-223233-parse-ticket-frontmatter-as-yaml"
ITEM_PLANNING = f"{STORE}/{PLANNING}/item.md"
V1_OPEN_ITEM = f"{STORE}/open/{V1_OPEN}/item.md"
LEGACY = ("YT110", "warning", STORE, None)

# ---------------------------------------------------------------- YT120 value types


@pytest.mark.parametrize(
    ("added", "message"),
    [
        ("assignee: false", "field 'assignee' is a YAML boolean"),
        ("priority: 1", "field 'priority' is a YAML integer"),
        ("readiness: [a]", "field 'readiness' is a YAML sequence"),
        ("queued_by: {a: b}", "field 'queued_by' is a YAML mapping"),
        ("risk_flags: a", "field 'risk_flags' is a YAML string, not a list"),
        ("risk_flags: [a, 1]", "field 'risk_flags' has a list item that is a YAML integer"),
        ("extra: [a, [b]]", "field 'extra' has a list item that is a YAML sequence"),
        ("extra:\n  nested: 1", "field 'extra' holds a nested mapping"),
        ("1: one", "key 1 is a YAML integer, not a string"),
        ("true: yes", "key True is a YAML boolean, not a string"),
    ],
)
def test_yt120_value_of_a_type_upstream_rejects(tmp_path: Path, added: str, message: str) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    edit(
        ticket_dir(workspace, PLANNING) / "item.md",
        'state: "planning"',
        f'state: "planning"\n{added}',
    )
    assert found(workspace) == {("YT120", "error", ITEM_PLANNING, 4)}  # the line written
    [text] = messages(workspace, "YT120")
    assert text.startswith(message)


def test_yt120_a_number_as_title(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    edit(ticket_dir(workspace, PLANNING) / "item.md", 'title: "Permission', 'title: 123\nx: "P')
    assert found(workspace) == {("YT120", "error", ITEM_PLANNING, 2)}
    assert messages(workspace, "YT120") == ["field 'title' is a YAML integer, not a string or null"]


def test_yt120_real_optional_fields_and_unknown_scalars_pass(tmp_path: Path) -> None:
    """Null scalars, string lists, and an unknown number or boolean are what upstream reads."""
    workspace = ticket_workspace(tmp_path, PLANNING)
    item = ticket_dir(workspace, PLANNING) / "item.md"
    edit(
        item,
        'state: "planning"\n',
        'state: "planning"\nassignee: null\nqueued_by: ~\nreadiness: implementation_ready\n'
        "risk_flags: [a, 'b']\nextra_count: 3\nextra_flag: true\nextra_list: [x, y]\n",
    )
    assert found(workspace) == set()


# ---------------------------------------------------------------- YT119 boundaries


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [("---\ntitle", "--- \ntitle", 1), ('06Z"\n---\n', '06Z"\n---\t\n', 6)],
)
def test_yt119_boundary_with_trailing_whitespace(
    tmp_path: Path, old: str, new: str, line: int
) -> None:
    """Our reader stays tolerant (no YT105, the fields are read), doctor says upstream won't."""
    workspace = ticket_workspace(tmp_path, PLANNING)
    edit(ticket_dir(workspace, PLANNING) / "item.md", old, new)
    assert found(workspace) == {("YT119", "error", ITEM_PLANNING, line)}
    assert messages(workspace, "YT119")[0].endswith("upstream yoi will not read this ticket")


def test_yt119_bom_before_the_opener(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    item = ticket_dir(workspace, PLANNING) / "item.md"
    item.write_bytes(b"\xef\xbb\xbf" + item.read_bytes())
    assert found(workspace) == {("YT119", "error", ITEM_PLANNING, 1)}
    assert messages(workspace, "YT119") == [
        "item.md starts with a UTF-8 BOM: upstream yoi will not read this ticket"
    ]


# ---------------------------------------------------------------- YT101 / YT118 ids


def test_yt118_dated_ids_in_a_v2_store_and_yt101_ids_above_64_bits(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING, CLOSED)
    ticket_dir(workspace, PLANNING).rename(workspace / STORE / "20260608-101010-001")
    ticket_dir(workspace, CLOSED).rename(workspace / STORE / "ZZZZZZZZZZZZZ")
    assert found(workspace) == {
        ("YT118", "warning", f"{STORE}/20260608-101010-001", None),
        ("YT101", "error", f"{STORE}/ZZZZZZZZZZZZZ", None),
    }
    assert messages(workspace, "YT101") == [
        "folder name 'ZZZZZZZZZZZZZ' is above FZZZZZZZZZZZZ: its value does not fit in 64 bits"
    ]


# ---------------------------------------------------------------- YT113 .yoi/TODO.md


def test_yt113_store_todo_next_to_the_store_root_is_an_error(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    (workspace / ".yoi" / "TODO.md").write_text(
        "# TODO\n\n- see tickets/permission-default-policy.md\n", encoding="utf-8"
    )
    (workspace / "TODO.md").write_text("- [ ] unrelated\n", encoding="utf-8")
    assert found(workspace) == {("YT113", "error", ".yoi/TODO.md", 3)}


def test_yt113_store_todo_mentioning_tickets_and_md_apart(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNING)
    (workspace / ".yoi" / "TODO.md").write_text(
        "Old tickets/ folder.\nNotes in README.md\n", encoding="utf-8"
    )
    assert found(workspace) == {("YT113", "error", ".yoi/TODO.md", None)}


# ---------------------------------------------------------------- YT121 v1 line reader


def v1_line_read(tmp_path: Path) -> tuple[Path, Path]:
    """A v1 ticket whose title is valid for upstream's line-based reader, not for YAML,
    and whose frontmatter has no status or workflow_state (its bucket says open)."""
    workspace = ticket_workspace(tmp_path, V1_OPEN, layout=V1)
    item = ticket_dir(workspace, V1_OPEN) / "item.md"
    edit(item, "title: Parse Ticket frontmatter as YAML", "title: Pod/TUI: 手動 rewind 導線")
    edit(item, "status: open\n", "")
    edit(item, "workflow_state: done\n", "")
    return workspace, item


def test_yt121_v1_frontmatter_for_the_line_reader_gives_one_warning(tmp_path: Path) -> None:
    workspace, item = v1_line_read(tmp_path)
    assert found(workspace) == {
        LEGACY,
        ("YT121", "warning", V1_OPEN_ITEM, line_of(item, "title:")),
        ("YT106", "error", V1_OPEN_ITEM, 1),  # the v1 status is missing, as before
    }
    [message] = messages(workspace, "YT121")
    assert message.startswith("frontmatter is not valid YAML (invalid YAML: ")
    assert message.endswith("read line by line as upstream's pre-YAML reader did")


def test_list_shows_the_title_and_the_bucket_state_of_a_line_read_v1_ticket(
    tmp_path: Path,
) -> None:
    workspace, _ = v1_line_read(tmp_path)
    result = CliRunner().invoke(ticket_app, ["-C", str(workspace), "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)["tickets"]
    assert (row["title"], row["state"]) == ("Pod/TUI: 手動 rewind 導線", "open")


def test_invalid_yaml_in_a_v2_ticket_stays_yt105(tmp_path: Path) -> None:
    """Regression guard: only v1-era items are read line by line."""
    workspace = ticket_workspace(tmp_path, PLANNING)
    item = ticket_dir(workspace, PLANNING) / "item.md"
    edit(item, 'title: "Permission: allow-all 既定 policy への整理"', "title: Pod/TUI: rewind")
    assert found(workspace) == {("YT105", "error", ITEM_PLANNING, 2)}
