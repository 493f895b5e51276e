"""``yoi ticket list`` and ``show``: JSON shapes, prefixes, errors, tables, entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import V1, V2, copy_corpus, git, init_repo
from yoi_ticket.cli.app import app

SAMPLE = "00001KVZKSV6C"
SAMPLE_ROW = {
    "id": SAMPLE,
    "state": "queued",
    "title": "Backend RuntimeRegistryの基盤をworker-runtime向けに整理する",
    "layout": "v2",
    "path": f".yoi/tickets/{SAMPLE}",
    "claim": None,
}
LIST_KEYS = {"id", "state", "title", "layout", "path", "claim"}
SHOW_KEYS = LIST_KEYS | {
    "fields",
    "body",
    "events",
    "artifacts",
    "relations",
    "plan",
    "resolution",
    "problems",
}
BIN = Path(sys.executable).parent


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(app, ["ticket", *args], env=env)
    assert "Traceback" not in result.output
    return result


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def v2_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the v2 corpus (read-only use: shared by the module)."""
    return init_repo(copy_corpus(V2, tmp_path_factory.mktemp("cli") / "ws"))


@pytest.fixture(scope="module")
def v1_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_repo(copy_corpus(V1, tmp_path_factory.mktemp("cli1") / "ws1"))


# ---------------------------------------------------------------- list --format json


def test_list_json_matches_the_spec_shape(v2_ws: Path, yoi_home: Path) -> None:
    result = run("list", "--format", "json", "-C", str(v2_ws))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    document = strict_json(result.stdout)
    assert set(document) == {"version", "tickets"}
    assert document["version"] == 1
    tickets = document["tickets"]
    assert len(tickets) == 36
    for row in tickets:
        assert set(row) == LIST_KEYS
        assert row["claim"] is None
        assert row["layout"] == "v2"
        assert row["path"] == f".yoi/tickets/{row['id']}"
        assert isinstance(row["title"], str) and row["title"]
        assert row["state"] in ("planning", "ready", "queued", "inprogress", "done", "closed")
    assert [row["id"] for row in tickets] == sorted(row["id"] for row in tickets)
    assert [row for row in tickets if row["id"] == SAMPLE] == [SAMPLE_ROW]
    assert not yoi_home.exists()  # listing writes nothing


def test_list_json_v1_store(v1_ws: Path) -> None:
    result = run("list", "--format", "json", "-C", str(v1_ws))
    assert result.exit_code == 0, result.output
    tickets = strict_json(result.stdout)["tickets"]
    assert len(tickets) == 10
    assert {row["layout"] for row in tickets} == {"v1"}
    row = next(r for r in tickets if r["id"] == "20260527-000023-multi-pod-view-ui")
    assert row == {
        "id": "20260527-000023-multi-pod-view-ui",
        "state": "closed",
        "title": "Multi-Pod view UI",
        "layout": "v1",
        "path": ".yoi/tickets/closed/20260527-000023-multi-pod-view-ui",
        "claim": None,
    }


def test_list_state_filter(v2_ws: Path) -> None:
    everything = strict_json(run("list", "--format", "json", "-C", str(v2_ws)).stdout)["tickets"]
    by_state: dict[str, list[str]] = {}
    for row in everything:
        by_state.setdefault(row["state"], []).append(row["id"])
    assert len(by_state) >= 3
    for state, ids in by_state.items():
        result = run("list", "--state", state, "--format", "json", "-C", str(v2_ws))
        assert [row["id"] for row in strict_json(result.stdout)["tickets"]] == ids
    result = run(
        "list", "--state", "closed", "--state", "queued", "--format", "json", "-C", str(v2_ws)
    )
    ids = [row["id"] for row in strict_json(result.stdout)["tickets"]]
    assert ids == sorted(by_state["closed"] + by_state["queued"])
    result = run("list", "--state", "closed,QUEUED", "--format", "json", "-C", str(v2_ws))
    assert [row["id"] for row in strict_json(result.stdout)["tickets"]] == ids


def test_list_table_is_tab_separated_without_ansi_when_not_a_tty(
    v2_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("FORCE_COLOR", "1")
    rows = strict_json(run("list", "--format", "json", "-C", str(v2_ws)).stdout)["tickets"]
    result = run("list", "-C", str(v2_ws))
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert [line.split("\t") for line in lines] == [
        [row["id"], row["state"], row["title"], ""] for row in rows
    ]


def test_list_table_state_filter(v2_ws: Path) -> None:
    result = run("list", "--state", "queued", "-C", str(v2_ws))
    assert result.exit_code == 0
    assert f"{SAMPLE}\tqueued\t{SAMPLE_ROW['title']}\t" in result.stdout.splitlines()
    assert {line.split("\t")[1] for line in result.stdout.splitlines()} == {"queued"}


@pytest.mark.parametrize("command", ["list", "claims", "sessions", "workspace"])
@pytest.mark.parametrize("fmt", ["yaml", "tabel", ""])
def test_a_bad_format_is_a_usage_error(v2_ws: Path, command: str, fmt: str) -> None:
    result = run(command, "--format", fmt, "-C", str(v2_ws))
    assert result.exit_code == 2
    assert result.stdout == ""
    last = result.stderr.splitlines()[-1]
    assert last == f"Error: Invalid value for '--format': {fmt!r} is not one of 'text', 'json'."


# ---------------------------------------------------------------- show


def test_show_json_shape(v2_ws: Path) -> None:
    result = run("show", SAMPLE, "--format", "json", "-C", str(v2_ws))
    assert result.exit_code == 0, result.output
    document = strict_json(result.stdout)
    assert set(document) == {"version", "ticket"}
    assert document["version"] == 1
    ticket = document["ticket"]
    assert set(ticket) == SHOW_KEYS
    assert {key: ticket[key] for key in LIST_KEYS} == SAMPLE_ROW
    assert ticket["fields"] == {
        "title": SAMPLE_ROW["title"],
        "state": "queued",
        "created_at": "2026-06-25T14:44:03Z",
        "updated_at": "2026-06-25T16:32:17Z",
        "assignee": None,
        "queued_by": "workspace-panel",
        "queued_at": "2026-06-25T16:31:28Z",
    }
    assert ticket["body"].lstrip().startswith("## 背景")
    assert ticket["events"][0] == {
        "line": 1,
        "event": "create",
        "author": "yoi ticket",
        "at": "2026-06-25T14:44:03Z",
        "attrs": {"event": "create", "author": "yoi ticket", "at": "2026-06-25T14:44:03Z"},
        "body": "## 作成\n\nLocalTicketBackend によって作成されました。",
    }
    assert all(
        set(e) == {"line", "event", "author", "at", "attrs", "body"} for e in ticket["events"]
    )
    assert ticket["artifacts"] == [".gitkeep", "orchestration-plan.jsonl", "relations.json"]
    assert ticket["relations"] == [
        {
            "ticket_id": SAMPLE,
            "kind": "depends_on",
            "target": "00001KVZBCQH4",
            "note": (
                "Backend RuntimeRegistry foundation should use worker-runtime core domain types."
            ),
            "author": "yoi ticket",
            "at": "2026-06-25T16:30:00Z",
        }
    ]
    assert [(p["id"], p["ticket_id"], p["kind"]) for p in ticket["plan"]] == [
        ("orch-plan-20260625-163206-1", SAMPLE, "blocked_by")
    ]
    assert ticket["plan"][0]["related_ticket"] == "00001KVZBCQH4"
    assert ticket["resolution"] is None
    assert ticket["problems"] == []


def test_show_json_of_a_closed_v1_ticket_has_its_resolution(v1_ws: Path) -> None:
    result = run("show", "20260527-000023", "--format", "json", "-C", str(v1_ws))
    assert result.exit_code == 0, result.output
    ticket = strict_json(result.stdout)["ticket"]
    assert ticket["layout"] == "v1"
    assert ticket["path"] == ".yoi/tickets/closed/20260527-000023-multi-pod-view-ui"
    resolution = v1_ws / ticket["path"] / "resolution.md"
    assert ticket["resolution"] == resolution.read_text(encoding="utf-8")


def test_show_json_is_strict_json_for_odd_frontmatter(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    item = workspace / ".yoi" / "tickets" / SAMPLE / "item.md"
    item.write_text(
        '---\ntitle: Odd\nstate: ready\nqueued_by: null | "user"\nscore: .nan\nbig: -.inf\n'
        "nested: {a: [1, .inf]}\n---\nbody\n",
        encoding="utf-8",
    )
    (item.parent / "artifacts" / "relations.json").write_text(
        json.dumps(
            {
                "version": 1,
                "relations": [{"ticket_id": SAMPLE, "kind": "related", "target": "00001KSKBPDVG"}],
            }
        ).replace("}]", ', "weight": NaN}]'),
        encoding="utf-8",
    )
    result = run("show", SAMPLE, "--format", "json", "-C", str(workspace))
    assert result.exit_code == 0, result.output
    ticket = strict_json(result.stdout)["ticket"]
    assert ticket["relations"][0]["weight"] == "nan"
    fields = ticket["fields"]
    assert fields == {
        "title": "Odd",
        "state": "ready",
        "queued_by": 'null | "user"',
        "score": "nan",
        "big": "-inf",
        "nested": {"a": [1, "inf"]},
    }


def test_show_json_reports_problems(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    item = workspace / ".yoi" / "tickets" / SAMPLE / "item.md"
    item.write_text("---\ntitle: !!python/object:os.system {}\n---\n", encoding="utf-8")
    result = run("show", SAMPLE, "--format", "json", "-C", str(workspace))
    assert result.exit_code == 0, result.output
    ticket = strict_json(result.stdout)["ticket"]
    assert ticket["fields"] == {}
    assert ticket["state"] is None
    assert [(p["kind"], p["file"], p["line"]) for p in ticket["problems"]] == [
        ("frontmatter", "item.md", 2)
    ]


def test_show_text(v2_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = run("show", SAMPLE, "-C", str(v2_ws))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        f"{SAMPLE}  {SAMPLE_ROW['title']}",
        "  state: queued   layout: v2",
        f"  path: .yoi/tickets/{SAMPLE}",
        "  claim: none",
    ]
    assert '  queued_by: "workspace-panel"' in lines
    assert "Artifacts:" in lines
    assert any(line.startswith("Thread (") and line.endswith(" events):") for line in lines)


def test_show_accepts_an_unambiguous_prefix(v2_ws: Path) -> None:
    full = run("show", SAMPLE, "--format", "json", "-C", str(v2_ws))
    for prefix in (SAMPLE[:-1], "00001KVZKSV"):
        result = run("show", prefix, "--format", "json", "-C", str(v2_ws))
        assert result.exit_code == 0, result.output
        assert result.stdout == full.stdout


def test_ambiguous_prefix_is_a_one_line_usage_error(v2_ws: Path) -> None:
    result = run("show", "00001KSKBP", "-C", str(v2_ws))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: '00001KSKBP' matches 3 tickets: 00001KSKBPDVG, 00001KSKBPHRG, 00001KSKBPVH0\n"
        "hint: give more characters of the id\n"
    )
    many = run("show", "00001KS", "--format", "json", "-C", str(v2_ws))
    assert many.exit_code == 2
    assert many.stderr.splitlines()[0] == (
        "error: '00001KS' matches 10 tickets: 00001KSKBPDVG, 00001KSKBPHRG, 00001KSKBPVH0, "
        "00001KSQK9T6R, 00001KSRZA8GR and 5 more"
    )


@pytest.mark.parametrize("query", ["00001KZZZZZZZ", "nope", "../../etc", "00001KVZKSV6CX"])
def test_unknown_id_is_a_one_line_error_exit_1(v2_ws: Path, query: str) -> None:
    result = run("show", query, "--format", "json", "-C", str(v2_ws))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: no ticket matches {query!r}\nhint: run 'yoi ticket list' to see the ticket ids\n"
    )


def test_show_needs_an_id(v2_ws: Path) -> None:
    result = run("show", "-C", str(v2_ws))
    assert result.exit_code == 2
    assert "Missing argument 'ID'" in result.output


# ---------------------------------------------------------------- workspace selection


def test_workspace_option_before_and_after_the_subcommand(v2_ws: Path) -> None:
    expected = run("list", "--format", "json", "-C", str(v2_ws)).stdout
    for args in (
        ("-C", str(v2_ws), "list", "--format", "json"),
        ("--workspace", str(v2_ws), "list", "--format", "json"),
        ("list", "--workspace", str(v2_ws), "--format", "json"),
        ("list", "--format", "json", f"--workspace={v2_ws}"),
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout == expected


def test_workspace_from_environment_and_from_a_subdirectory(
    v2_ws: Path, v1_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected_v2 = run("list", "--format", "json", "-C", str(v2_ws)).stdout
    expected_v1 = run("list", "--format", "json", "-C", str(v1_ws)).stdout
    assert expected_v1 != expected_v2
    monkeypatch.setenv("YOI_WORKSPACE", str(v2_ws))
    assert run("list", "--format", "json").stdout == expected_v2
    # An explicit option wins over the environment, before or after the subcommand.
    assert run("-C", str(v1_ws), "list", "--format", "json").stdout == expected_v1
    assert run("list", "--format", "json", "-C", str(v1_ws)).stdout == expected_v1
    monkeypatch.delenv("YOI_WORKSPACE")
    monkeypatch.chdir(v1_ws / ".yoi" / "tickets" / "open")
    assert run("list", "--format", "json").stdout == expected_v1


def test_not_a_workspace_is_a_one_line_error_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "plain"
    empty.mkdir()
    for args in (("list", "-C", str(empty)), ("show", SAMPLE, "-C", str(empty))):
        result = run(*args)
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[0].startswith("error: ")
        assert "not a yoi workspace" in lines[0]
        assert len(lines) == 2 and lines[1].startswith("hint: ")
    missing = run("list", "-C", str(tmp_path / "missing"))
    assert missing.exit_code == 2
    assert missing.stderr.startswith(f"error: {tmp_path / 'missing'}: no such directory\n")


def test_invalid_config_is_a_one_line_error_exit_2(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    (workspace / ".yoi" / "ticket.config.toml").write_text("[backend\n", encoding="utf-8")
    for args in (("list",), ("show", SAMPLE), ("doctor",)):
        result = run(*args, "-C", str(workspace))
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith("error: .yoi/ticket.config.toml is not valid TOML: ")


def test_store_root_from_config_is_used_by_list(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    (workspace / ".yoi" / "tickets").rename(workspace / "tracked")
    (workspace / ".yoi" / "ticket.config.toml").write_text(
        '[backend]\nroot = "tracked"\n[unknown.section]\nkey = "ignored"\n', encoding="utf-8"
    )
    tickets = strict_json(run("list", "--format", "json", "-C", str(workspace)).stdout)["tickets"]
    assert len(tickets) == 36
    assert {row["path"] for row in tickets} == {f"tracked/{row['id']}" for row in tickets}


# ---------------------------------------------------------------- real processes


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "yoi"), "ticket"],
        [str(BIN / "yoi-ticket")],
        [sys.executable, "-m", "yoi_ticket"],
    ],
    ids=["yoi ticket", "yoi-ticket", "python -m yoi_ticket"],
)
def test_entry_points(command: list[str], v2_ws: Path, tmp_path: Path) -> None:
    expected = run("list", "--format", "json", "-C", str(v2_ws)).stdout
    listed = subprocess.run(
        [*command, "list", "--format", "json", "-C", str(v2_ws)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == expected
    shown = subprocess.run(
        [*command, "show", "00001KVZKSV", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "YOI_WORKSPACE": str(v2_ws)},
    )
    assert shown.returncode == 0, shown.stderr
    assert strict_json(shown.stdout)["ticket"]["id"] == SAMPLE
    unknown = subprocess.run(
        [*command, "show", "nope", "-C", str(v2_ws)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert unknown.returncode == 1
    assert unknown.stderr.splitlines()[0] == "error: no ticket matches 'nope'"
    assert "Traceback" not in unknown.stderr
    helped = subprocess.run([*command, "--help"], capture_output=True, text=True, check=False)
    assert helped.returncode == 0
    for name in ("list", "show", "doctor"):
        assert name in helped.stdout


def test_list_leaves_the_workspace_untouched(v2_ws: Path, yoi_home: Path) -> None:
    before = git(v2_ws, "status", "--porcelain", "--ignored").stdout
    subprocess.run(
        [str(BIN / "yoi-ticket"), "list", "-C", str(v2_ws)], check=True, capture_output=True
    )
    subprocess.run(
        [str(BIN / "yoi-ticket"), "show", SAMPLE, "-C", str(v2_ws)],
        check=True,
        capture_output=True,
    )
    assert git(v2_ws, "status", "--porcelain", "--ignored").stdout == before
    assert not yoi_home.exists()


def test_undecodable_folder_name_prints_as_an_escape(tmp_path: Path) -> None:
    """A ticket folder whose name is not UTF-8 must not crash output on a strict stdout."""
    workspace = copy_corpus(V2, tmp_path / "ws")
    root = workspace / ".yoi" / "tickets"
    try:
        os.mkdir(os.fsencode(root) + b"/bad\xff")
    except OSError:
        pytest.skip("this file system refuses non-UTF-8 names")
    bad = root / os.fsdecode(b"bad\xff")
    for name in ("item.md", "thread.md"):
        (bad / name).write_bytes((root / SAMPLE / name).read_bytes())
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}

    def yoi(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [str(BIN / "yoi-ticket"), *args, "-C", str(workspace)],
            capture_output=True,
            check=False,
            env=env,
        )

    listed = yoi("list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    ids = [row["id"] for row in strict_json(listed.stdout.decode("utf-8"))["tickets"]]
    assert ids[-1] == "bad\udcff"
    table = yoi("list")
    assert table.returncode == 0, table.stderr
    assert table.stdout.decode("utf-8").splitlines()[-1].startswith("bad\\udcff\tqueued\t")
    shown = yoi("show", "bad", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert strict_json(shown.stdout.decode("utf-8"))["ticket"]["id"] == "bad\udcff"
    for fmt in ("text", "json", "github", "sarif"):
        checked = yoi("doctor", "--no-local", "--format", fmt)
        assert checked.returncode == 1, (fmt, checked.stderr)
        assert b"internal error" not in checked.stderr
        assert "bad" in checked.stdout.decode("utf-8")
    report = tmp_path / "doctor.sarif"
    written = yoi("doctor", "--no-local", "--format", "sarif", "-o", str(report))
    assert written.returncode == 1, written.stderr
    uris = [
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in strict_json(report.read_text(encoding="utf-8"))["runs"][0]["results"]
    ]
    assert ".yoi/tickets/bad%FF" in uris


def test_unreadable_store_is_a_one_line_error_exit_2(tmp_path: Path) -> None:
    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "tickets").symlink_to("tickets")
    for args in (("list",), ("show", SAMPLE), ("doctor", "--no-local")):
        result = run(*args, "-C", str(tmp_path))
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr == (
            "error: cannot read the ticket store folder .yoi/tickets: "
            "Too many levels of symbolic links\n"
            "hint: check its permissions, or where it links to\n"
        )


def retitle(workspace: Path, ticket_id: str, title: str) -> None:
    item = workspace / ".yoi" / "tickets" / ticket_id / "item.md"
    text = item.read_text(encoding="utf-8")
    lines = text.split("\n")
    index = next(n for n, line in enumerate(lines) if line.startswith("title:"))
    lines[index] = "title: " + json.dumps(title)
    item.write_text("\n".join(lines), encoding="utf-8")


ODD_TITLES = {
    "00001KSKBPDVG": "[/] closing tag",
    "00001KSKBPHRG": "[WIP] a [bold]b[/bold]",
    "00001KSKBPVH0": "tab\there\nnew line \x1b[31mred\x1b[0m",
}


def test_table_cells_stay_on_one_line_without_escapes(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    for ticket_id, title in ODD_TITLES.items():
        retitle(workspace, ticket_id, title)
    result = run("list", "-C", str(workspace))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == 36
    assert all(len(line.split("\t")) == 4 for line in lines)
    assert lines[2].split("\t")[2] == "tab here new line  [31mred [0m"
    shown = run("show", "00001KSKBPVH0", "-C", str(workspace))
    assert shown.stdout.splitlines()[0] == "00001KSKBPVH0  tab here new line  [31mred [0m"


def run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run ``yoi-ticket`` with its stdout on a pseudo-terminal; return status and output."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(BIN / "yoi-ticket"), *args],
        stdout=slave,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200", "LINES": "50", "TERM": "xterm"},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_table_on_a_terminal_shows_brackets_as_written(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    for ticket_id, title in ODD_TITLES.items():
        retitle(workspace, ticket_id, title)
    status, output = run_on_a_terminal(["list", "-C", str(workspace)])
    assert status == 0, output
    assert "internal error" not in output
    plain = output.replace("\r\n", "\n")
    assert "[/] closing tag" in plain
    assert "[WIP] a [bold]b[/bold]" in plain
    assert "\x1b[31mred" not in plain  # the title's own escape sequence is not passed on
    assert "id" in plain.splitlines()[0] and "title" in plain.splitlines()[0]
