"""``doctor`` output options on real runs: ``--format concise``, ``--quiet``,
``--statistics``, ``summary.tickets``, the ``--fix`` summary, and SARIF's limit of
results (with its warning on stderr)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO_ROOT, V2, copy_corpus
from harness.cli import run
from harness.doctor import edit, ticket_dir, ticket_workspace
from yoi_ticket.cli import display
from yoi_ticket.doctor.diagnostics import Diagnostic, Severity
from yoi_ticket.doctor.render.sarif import MAX_RESULTS, left_out, render_sarif
from yoi_ticket.doctor.report import Report

CLEAN = "00001KSKBPVH0"  # alone: no findings
REMOTE = "00001KVZSGT14"  # alone: five YT208 warnings (relation targets not in the store)
RELATIONS = f".yoi/tickets/{REMOTE}/artifacts/relations.json"
ITEM = f".yoi/tickets/{REMOTE}/item.md"
YT208 = "depends_on relation to '{}', which is not in the store"
YT115 = "created_at 'June 25' is not an RFC 3339 timestamp"


@pytest.fixture
def warnings_only(tmp_path: Path) -> Path:
    return ticket_workspace(tmp_path, REMOTE)


@pytest.fixture
def with_error(warnings_only: Path) -> Path:
    edit(
        ticket_dir(warnings_only, REMOTE) / "item.md",
        "created_at: '2026-06-25T16:23:58Z'",
        "created_at: 'June 25'",
    )
    return warnings_only


def doctor(workspace: Path, *args: str) -> tuple[int, str, str]:
    done = run(workspace, "doctor", "--no-local", *args)
    return done.exit_code, done.stdout, done.stderr


# ---------------------------------------------------------------- concise


def test_concise_is_one_path_line_col_code_message_line_per_finding(with_error: Path) -> None:
    assert doctor(with_error, "--format", "concise") == (
        1,
        f"{RELATIONS}:7:1: YT208 {YT208.format('00001KVZKSV6C')}\n"
        f"{RELATIONS}:15:1: YT208 {YT208.format('00001KVZKST83')}\n"
        f"{RELATIONS}:23:1: YT208 {YT208.format('00001KVZKSTE2')}\n"
        f"{RELATIONS}:31:1: YT208 {YT208.format('00001KVZKSTJT')}\n"
        f"{RELATIONS}:39:1: YT208 related relation to '00001KVZQHPNY', which is not in the store\n"
        f"{ITEM}:4:1: YT115 {YT115}\n"
        "Found 1 error, 5 warnings (1 ticket checked).\n",
        "",
    )


def test_concise_lines_match_the_documented_problem_matcher(tmp_path: Path) -> None:
    docs = (REPO_ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    (pattern,) = re.findall(r"the pattern `([^`]+)`", docs)
    workspace = copy_corpus(V2, tmp_path / "ws")
    code, out, _ = doctor(workspace, "--format", "concise")
    findings = out.splitlines()[:-1]
    assert code == 0 and len(findings) > 10  # warnings and info only
    for line in findings:
        match = re.match(pattern, line)
        assert match is not None, line
        path, number, column, rule, _message = match.groups()
        assert (workspace / path).exists() and int(number) >= 1 and column == "1"
        assert rule.startswith("YT")


def test_concise_without_findings(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLEAN)
    assert doctor(workspace, "--format", "concise") == (
        0,
        "No problems found (1 ticket checked).\n",
        "",
    )


# ---------------------------------------------------------------- quiet


def test_quiet_prints_errors_only_and_says_what_it_left_out(with_error: Path) -> None:
    code, out, err = doctor(with_error, "--quiet")
    assert (code, err) == (1, "")
    assert out == (
        f"{ITEM}\n"
        f"      4  error   YT115  {YT115}\n"
        "                 hint: use the form '2026-06-07T22:02:25Z'\n"
        "\n"
        "Found 1 error (5 warnings not shown; 1 ticket checked).\n"
    )
    assert doctor(with_error, "-q", "--format", "concise")[1] == (
        f"{ITEM}:4:1: YT115 {YT115}\nFound 1 error (5 warnings not shown; 1 ticket checked).\n"
    )


def test_quiet_prints_nothing_when_no_error_and_the_run_passes(warnings_only: Path) -> None:
    assert doctor(warnings_only, "--quiet") == (0, "", "")
    assert doctor(warnings_only, "--quiet", "--format", "concise") == (0, "", "")
    assert doctor(warnings_only, "--quiet", "--format", "github") == (0, "", "")


def test_quiet_keeps_the_exit_decision(warnings_only: Path) -> None:
    """Warnings left out still fail a run held to --fail-on warning: the line says so."""
    assert doctor(warnings_only, "--quiet", "--fail-on", "warning") == (
        1,
        "No errors found (5 warnings not shown; 1 ticket checked).\n",
        "",
    )


def test_quiet_in_json_and_github(with_error: Path) -> None:
    code, out, _ = doctor(with_error, "--quiet", "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert [d["code"] for d in document["diagnostics"]] == ["YT115"]
    assert document["summary"] == {
        "error": 1,
        "warning": 0,
        "info": 0,
        "tickets": 1,
        "baseline": None,
        "hidden": {"warning": 5, "info": 0},
    }
    github = doctor(with_error, "--quiet", "--format", "github")[1]
    assert github.splitlines() == [
        f"::error file={ITEM},line=4,title=YT115::{YT115}"
        "%0Ahint: use the form '2026-06-07T22:02:25Z'"
    ]


# ---------------------------------------------------------------- statistics


def test_statistics_count_findings_per_code(with_error: Path) -> None:
    expected = (
        "5  YT208  Relation target does not exist\n1  YT115  Timestamp field is not RFC 3339\n"
    )
    summary = "Found 1 error, 5 warnings (1 ticket checked).\n"
    assert doctor(with_error, "--statistics") == (1, expected + "\n" + summary, "")
    assert doctor(with_error, "--statistics", "--format", "concise") == (1, expected + summary, "")
    quiet = doctor(with_error, "--statistics", "--quiet")[1]
    assert quiet.splitlines()[0] == "1  YT115  Timestamp field is not RFC 3339"


def test_statistics_in_json(with_error: Path) -> None:
    code, out, _ = doctor(with_error, "--statistics", "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert document["statistics"] == [
        {"code": "YT208", "title": "Relation target does not exist", "count": 5},
        {"code": "YT115", "title": "Timestamp field is not RFC 3339", "count": 1},
    ]
    assert len(document["diagnostics"]) == 6
    assert "statistics" not in json.loads(doctor(with_error, "--format", "json")[1])


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_statistics_in_other_formats_is_a_usage_error(with_error: Path, fmt: str) -> None:
    assert doctor(with_error, "--statistics", "--format", fmt) == (
        2,
        "",
        "error: --statistics works with --format text, concise, json\n",
    )


def test_statistics_of_a_clean_run(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLEAN)
    assert doctor(workspace, "--statistics") == (0, "No problems found (1 ticket checked).\n", "")


# ---------------------------------------------------------------- json, fix


def test_json_summary_counts_the_tickets_checked(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLEAN, REMOTE, "00001KSKBPDVG")
    document = json.loads(doctor(workspace, "--format", "json")[1])
    assert document["summary"]["tickets"] == 3


def test_fix_without_local_checks_says_there_is_nothing_to_fix(warnings_only: Path) -> None:
    assert doctor(warnings_only, "--fix") == (
        0,
        doctor(warnings_only)[1],
        "Nothing to fix: the safe fixes are local, and --no-local skips them.\n",
    )
    assert doctor(warnings_only, "--fix", "--dry-run")[2] == (
        "Nothing to fix: the safe fixes are local, and --no-local skips them.\n"
    )


def test_fix_with_nothing_fixable_says_so(warnings_only: Path, yoi_home: Path) -> None:
    done = run(warnings_only, "doctor", "--fix")
    assert done.stderr == "Nothing to fix.\n"
    dry = run(warnings_only, "doctor", "--fix", "--dry-run")
    assert dry.stderr == "Nothing to fix.\n"


# ---------------------------------------------------------------- SARIF limit


def many(errors: int, warnings: int, notes: int) -> Report:
    """A report with that many findings, each in its own file (sorted by path)."""
    diagnostics = [
        Diagnostic("YT208", severity, f"t/{severity.value}-{number:06}/relations.json", 7, "m")
        for severity, count in (
            (Severity.INFO, notes),
            (Severity.WARNING, warnings),
            (Severity.ERROR, errors),
        )
        for number in range(count)
    ]
    return Report("/w", sorted(diagnostics, key=Diagnostic.sort_key), tickets_checked=1)


def test_sarif_keeps_errors_then_warnings_within_the_limit_and_warns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = many(errors=3, warnings=2, notes=MAX_RESULTS)
    display.print_report(report, "sarif", None)
    out, err = capsys.readouterr()
    (result_run,) = json.loads(out)["runs"]
    levels = [result["level"] for result in result_run["results"]]
    assert len(levels) == MAX_RESULTS
    assert levels[:5] == ["error"] * 3 + ["warning"] * 2
    assert set(levels[5:]) == {"note"}
    kept_notes = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in result_run["results"][5:]
    ]
    assert kept_notes[0] == "t/info-000000/relations.json"
    assert kept_notes[-1] == f"t/info-{MAX_RESULTS - 6:06}/relations.json"
    assert err == (
        "warning: SARIF: 5 of 25,005 results left out (GitHub code scanning takes at most "
        "25,000 per run; errors are kept first, then warnings, then notes)\n"
    )
    (notice,) = result_run["invocations"][0]["toolExecutionNotifications"]
    assert notice["message"]["text"].startswith("5 results left out")


def test_sarif_at_the_limit_leaves_nothing_out() -> None:
    report = many(errors=1, warnings=1, notes=2)
    (result_run,) = json.loads(render_sarif(report, limit=4))["runs"]
    assert [result["level"] for result in result_run["results"]] == [
        "error",
        "warning",
        "note",
        "note",
    ]
    assert "invocations" not in result_run
    assert left_out(report, limit=4) == 0
    (cut,) = json.loads(render_sarif(report, limit=3))["runs"]
    assert [result["level"] for result in cut["results"]] == ["error", "warning", "note"]
    assert left_out(report, limit=3) == 1
