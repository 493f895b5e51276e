"""GitHub annotations and SARIF locations name files from the repository root."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import V2, copy_corpus, git, init_repo
from yoi_ticket.cli.app import ticket_app
from yoi_ticket.doctor.api import repo_prefix
from yoi_ticket.doctor.diagnostics import Diagnostic, Severity
from yoi_ticket.doctor.report import Report

TICKET = "00001KSKBPDVG"


def _broken_subdir_workspace(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo", commit=False)
    workspace = copy_corpus(V2, repo / "sub" / "ws")
    (workspace / ".yoi" / "tickets" / TICKET / "thread.md").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "workspace in a subfolder")
    return workspace


def test_repo_prefix_of_root_subfolder_and_non_git(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / "a" / "b").mkdir(parents=True)
    plain = tmp_path / "plain"
    plain.mkdir()
    assert repo_prefix(repo) == ""
    assert repo_prefix(repo / "a" / "b") == "a/b/"
    assert repo_prefix(plain) == ""


def test_report_repo_path_keeps_absolute_paths() -> None:
    report = Report(workspace="/r/sub", repo_prefix="sub/")
    assert report.repo_path(".yoi/tickets/X/item.md") == "sub/.yoi/tickets/X/item.md"
    assert report.repo_path("/home/u/.local/share/yoi/x.json") == "/home/u/.local/share/yoi/x.json"
    assert report.repo_path(".") == "sub"


def test_github_and_sarif_paths_from_repository_root(tmp_path: Path) -> None:
    workspace = _broken_subdir_workspace(tmp_path)
    runner = CliRunner()
    args = ["doctor", "-C", str(workspace), "--no-local", "--select", "YT103"]
    github = runner.invoke(ticket_app, [*args, "--format", "github"])
    assert github.exit_code == 1
    assert github.output == (
        f"::error file=sub/ws/.yoi/tickets/{TICKET}/thread.md,title=YT103::"
        "ticket has no thread.md%0Ahint: restore or recreate it\n"
    )
    sarif = runner.invoke(ticket_app, [*args, "--format", "sarif"])
    location = json.loads(sarif.output)["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {
        "uri": f"sub/ws/.yoi/tickets/{TICKET}/thread.md",
        "uriBaseId": "%SRCROOT%",
    }
    as_json = json.loads(runner.invoke(ticket_app, [*args, "--format", "json"]).output)
    assert as_json["diagnostics"][0]["path"] == f".yoi/tickets/{TICKET}/thread.md"


def test_unprefixed_diagnostic_rendering_is_unchanged() -> None:
    from yoi_ticket.doctor.render.github import render_diagnostic

    diagnostic = Diagnostic("YT103", Severity.ERROR, "a/thread.md", None, "m")
    assert render_diagnostic(diagnostic) == "::error file=a/thread.md,title=YT103::m"
