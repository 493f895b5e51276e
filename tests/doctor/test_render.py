"""Renderers: exact output of text (plain and colour), json, github and sarif."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import V2, copy_corpus
from harness.doctor import fingerprint, sarif_document, sarif_result, sarif_rule
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic, Severity
from yoi_ticket.doctor.registry import get_rule
from yoi_ticket.doctor.render import FORMATS, render
from yoi_ticket.doctor.report import Report

THREAD = ".yoi/tickets/00001KSKBP9YG/thread.md"
DIAGNOSTICS = [
    Diagnostic(
        code="YT101",
        severity=Severity.ERROR,
        path=".yoi/tickets/bad id",
        line=None,
        message="'bad id' is not a ticket id",
        hint="rename the folder",
    ),
    Diagnostic(
        code="YT213",
        severity=Severity.WARNING,
        path=THREAD,
        line=12,
        message="event at 2026-06-01T00:00:00Z is older than the one before: 50% done, a,b: c",
    ),
    Diagnostic(
        code="YT201",
        severity=Severity.ERROR,
        path=THREAD,
        line=40,
        message="malformed header\r\nsecond line",
        hint='quote the value: author: "a b"',
    ),
    Diagnostic(
        code="YT208",
        severity=Severity.INFO,
        path="notes/a,b:c 100%.md",
        line=3,
        message="target 00001KZZZZZZZ is not in the store",
        hint=None,
    ),
]
REPORT = Report(workspace="/work/repo", diagnostics=DIAGNOSTICS, tickets_checked=2)
EMPTY = Report(workspace="/work/repo", diagnostics=[], tickets_checked=1)


# ---------------------------------------------------------------- text


def test_text_plain() -> None:
    assert render("text", REPORT) == (
        ".yoi/tickets/bad id\n"
        "      -  error   YT101  'bad id' is not a ticket id\n"
        "                 hint: rename the folder\n"
        "\n"
        ".yoi/tickets/00001KSKBP9YG/thread.md\n"
        "     12  warning YT213  event at 2026-06-01T00:00:00Z is older than the one before:"
        " 50% done, a,b: c\n"
        "     40  error   YT201  malformed header\r\nsecond line\n"
        '                 hint: quote the value: author: "a b"\n'
        "\n"
        "notes/a,b:c 100%.md\n"
        "      3  info    YT208  target 00001KZZZZZZZ is not in the store\n"
        "\n"
        "Found 2 errors, 1 warning, 1 info (2 tickets checked).\n"
    )


def test_text_colour() -> None:
    bold, red, yellow, cyan, reset = "\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[0m"
    assert render("text", REPORT, color=True) == (
        f"{bold}.yoi/tickets/bad id{reset}\n"
        f"      -  {red}error  {reset} {bold}YT101{reset}  'bad id' is not a ticket id\n"
        "                 hint: rename the folder\n"
        "\n"
        f"{bold}.yoi/tickets/00001KSKBP9YG/thread.md{reset}\n"
        f"     12  {yellow}warning{reset} {bold}YT213{reset}  event at 2026-06-01T00:00:00Z"
        " is older than the one before: 50% done, a,b: c\n"
        f"     40  {red}error  {reset} {bold}YT201{reset}  malformed header\r\nsecond line\n"
        '                 hint: quote the value: author: "a b"\n'
        "\n"
        f"{bold}notes/a,b:c 100%.md{reset}\n"
        f"      3  {cyan}info   {reset} {bold}YT208{reset}  "
        "target 00001KZZZZZZZ is not in the store\n"
        "\n"
        "Found 2 errors, 1 warning, 1 info (2 tickets checked).\n"
    )


def test_text_without_findings() -> None:
    assert render("text", EMPTY) == "No problems found (1 ticket checked).\n"
    assert render("text", EMPTY, color=True) == (
        "\x1b[32mNo problems found (1 ticket checked).\x1b[0m\n"
    )


def test_text_hint_lines_up_with_the_code() -> None:
    lines = render("text", REPORT).splitlines()
    assert lines[1].index("YT101") == lines[2].index("hint:")


def test_text_summary_counts_only_what_is_there() -> None:
    report = Report("/w", [DIAGNOSTICS[1]], tickets_checked=10)
    assert render("text", report).splitlines()[-1] == "Found 1 warning (10 tickets checked)."
    report = Report("/w", [DIAGNOSTICS[3], DIAGNOSTICS[3]], tickets_checked=0)
    assert render("text", report).splitlines()[-1] == "Found 2 info (0 tickets checked)."


# ---------------------------------------------------------------- concise


def test_concise_plain() -> None:
    assert render("concise", REPORT) == (
        ".yoi/tickets/bad id:1:1: YT101 'bad id' is not a ticket id\n"
        ".yoi/tickets/00001KSKBP9YG/thread.md:12:1: YT213 event at 2026-06-01T00:00:00Z is older"
        " than the one before: 50% done, a,b: c\n"
        ".yoi/tickets/00001KSKBP9YG/thread.md:40:1: YT201 malformed header  second line\n"
        "notes/a,b:c 100%.md:3:1: YT208 target 00001KZZZZZZZ is not in the store\n"
        "Found 2 errors, 1 warning, 1 info (2 tickets checked).\n"
    )


def test_concise_colour() -> None:
    bold, red, cyan, reset = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[0m"
    lines = render("concise", REPORT, color=True).splitlines()
    assert (
        lines[0]
        == f"{bold}.yoi/tickets/bad id{reset}:1:1: {red}YT101{reset} 'bad id' is not a ticket id"
    )
    assert lines[3] == (
        f"{bold}notes/a,b:c 100%.md{reset}:3:1: {cyan}YT208{reset} "
        "target 00001KZZZZZZZ is not in the store"
    )


def test_concise_one_line_per_finding_whatever_the_path_and_message() -> None:
    nasty = Diagnostic("YT501", Severity.ERROR, "a\nb\tc.md", 0, "x\r\ny\x1b[31m", "h\nh")
    assert render("concise", Report("/w", [nasty], tickets_checked=1)) == (
        "a b c.md:1:1: YT501 x  y [31m\nFound 1 error (1 ticket checked).\n"
    )


def test_concise_without_findings() -> None:
    assert render("concise", EMPTY) == "No problems found (1 ticket checked).\n"


def test_text_and_concise_statistics() -> None:
    statistics = (
        "2  YT201  Malformed thread event header\n"
        "1  YT101  Ticket folder name is not a valid ticket id\n"
    )
    report = Report("/w", [DIAGNOSTICS[0], DIAGNOSTICS[2], DIAGNOSTICS[2]], tickets_checked=3)
    summary = "Found 3 errors (3 tickets checked).\n"
    assert render("text", report, statistics=True) == statistics + "\n" + summary
    assert render("concise", report, statistics=True) == statistics + summary


def test_statistics_only_where_they_fit() -> None:
    for fmt in ("github", "sarif"):
        with pytest.raises(ValueError, match="no statistics"):
            render(fmt, REPORT, statistics=True)


# ---------------------------------------------------------------- json


def test_json() -> None:
    assert render("json", REPORT) == (
        "{\n"
        '  "version": 1,\n'
        '  "workspace": "/work/repo",\n'
        '  "diagnostics": [\n'
        "    {\n"
        '      "code": "YT101",\n'
        '      "severity": "error",\n'
        '      "path": ".yoi/tickets/bad id",\n'
        '      "line": null,\n'
        '      "message": "\'bad id\' is not a ticket id",\n'
        '      "hint": "rename the folder"\n'
        "    },\n"
        "    {\n"
        '      "code": "YT213",\n'
        '      "severity": "warning",\n'
        '      "path": ".yoi/tickets/00001KSKBP9YG/thread.md",\n'
        '      "line": 12,\n'
        '      "message": "event at 2026-06-01T00:00:00Z is older than the one before:'
        ' 50% done, a,b: c",\n'
        '      "hint": null\n'
        "    },\n"
        "    {\n"
        '      "code": "YT201",\n'
        '      "severity": "error",\n'
        '      "path": ".yoi/tickets/00001KSKBP9YG/thread.md",\n'
        '      "line": 40,\n'
        '      "message": "malformed header\\r\\nsecond line",\n'
        '      "hint": "quote the value: author: \\"a b\\""\n'
        "    },\n"
        "    {\n"
        '      "code": "YT208",\n'
        '      "severity": "info",\n'
        '      "path": "notes/a,b:c 100%.md",\n'
        '      "line": 3,\n'
        '      "message": "target 00001KZZZZZZZ is not in the store",\n'
        '      "hint": null\n'
        "    }\n"
        "  ],\n"
        '  "summary": {\n'
        '    "error": 2,\n'
        '    "warning": 1,\n'
        '    "info": 1,\n'
        '    "tickets": 2,\n'
        '    "baseline": null,\n'
        '    "hidden": null\n'
        "  }\n"
        "}\n"
    )


def test_json_without_findings() -> None:
    assert json.loads(render("json", EMPTY)) == {
        "version": 1,
        "workspace": "/work/repo",
        "diagnostics": [],
        "summary": {
            "error": 0,
            "warning": 0,
            "info": 0,
            "tickets": 1,
            "baseline": None,
            "hidden": None,
        },
    }


def test_json_keeps_non_ascii() -> None:
    report = Report("/w", [Diagnostic("YT101", Severity.ERROR, "チケット/item.md", 1, "名前")])
    text = render("json", report)
    assert '"path": "チケット/item.md"' in text
    assert '"message": "名前"' in text


# ---------------------------------------------------------------- github


def test_github() -> None:
    assert render("github", REPORT) == (
        "::error file=.yoi/tickets/bad id,title=YT101::'bad id' is not a ticket id"
        "%0Ahint: rename the folder\n"
        "::warning file=.yoi/tickets/00001KSKBP9YG/thread.md,line=12,title=YT213::"
        "event at 2026-06-01T00:00:00Z is older than the one before: 50%25 done, a,b: c\n"
        "::error file=.yoi/tickets/00001KSKBP9YG/thread.md,line=40,title=YT201::"
        'malformed header%0D%0Asecond line%0Ahint: quote the value: author: "a b"\n'
        "::notice file=notes/a%2Cb%3Ac 100%25.md,line=3,title=YT208::"
        "target 00001KZZZZZZZ is not in the store\n"
    )


def test_github_one_command_per_line_whatever_the_message() -> None:
    nasty = Diagnostic("YT501", Severity.ERROR, "a\nb\r%,:.md", 7, "x\r\ny%0A::z", "h\nh")
    out = render("github", Report("/w", [nasty]))
    assert out == (
        "::error file=a%0Ab%0D%25%2C%3A.md,line=7,title=YT501::x%0D%0Ay%250A::z%0Ahint: h%0Ah\n"
    )
    assert out.count("\n") == 1


def test_github_without_findings() -> None:
    assert render("github", EMPTY) == ""


# ---------------------------------------------------------------- sarif


def expected_rule(code: str) -> dict[str, Any]:
    rule = get_rule(code)
    level = {"error": "error", "warning": "warning"}[rule.severity]
    return sarif_rule(code, rule.check.__name__, rule.title, rule.what, level, rule.explain())


def test_sarif_exact() -> None:
    """Errors first, then warnings, then notes; each with its baseline fingerprint."""
    bad_id, older, malformed, missing = DIAGNOSTICS
    expected = sarif_document(
        rules=[expected_rule(c) for c in ("YT101", "YT201", "YT208", "YT213")],
        results=[
            sarif_result(
                "YT101",
                0,
                "error",
                "'bad id' is not a ticket id (hint: rename the folder)",
                ".yoi/tickets/bad%20id",
                None,
                fingerprint("YT101", bad_id.path, bad_id.message),
            ),
            sarif_result(
                "YT201",
                1,
                "error",
                'malformed header\r\nsecond line (hint: quote the value: author: "a b")',
                THREAD,
                40,
                fingerprint("YT201", THREAD, malformed.message),
            ),
            sarif_result(
                "YT213",
                3,
                "warning",
                older.message,
                THREAD,
                12,
                fingerprint("YT213", THREAD, older.message),
            ),
            sarif_result(
                "YT208",
                2,
                "note",
                "target 00001KZZZZZZZ is not in the store",
                "notes/a,b%3Ac%20100%25.md",
                3,
                fingerprint("YT208", missing.path, missing.message),
            ),
        ],
    )
    assert render("sarif", REPORT) == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


def test_sarif_structure() -> None:
    document = json.loads(render("sarif", REPORT))
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == sorted({d.code for d in DIAGNOSTICS})
    for rule in rules:
        assert set(rule) >= {
            "id",
            "shortDescription",
            "fullDescription",
            "help",
            "defaultConfiguration",
        }
        for key in ("shortDescription", "fullDescription", "help"):
            assert isinstance(rule[key]["text"], str) and rule[key]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert len(run["results"]) == len(DIAGNOSTICS)
    by_severity = sorted(DIAGNOSTICS, key=lambda d: -d.severity.rank)
    for result, diagnostic in zip(run["results"], by_severity, strict=True):
        assert result["ruleId"] == diagnostic.code
        assert rules[result["ruleIndex"]]["id"] == diagnostic.code
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"].startswith(diagnostic.message)
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert " " not in physical["artifactLocation"]["uri"]
        if diagnostic.line is None:
            assert "region" not in physical
        else:
            assert physical["region"] == {"startLine": diagnostic.line}


def test_sarif_absolute_path_is_a_file_uri_and_line_zero_has_no_region() -> None:
    report = Report(
        "/w",
        [
            Diagnostic("YT101", Severity.WARNING, "/home/u/.local/share/yoi/a b.json", 0, "m"),
            Diagnostic("YT999", Severity.INFO, "x.md", None, "unregistered code"),
        ],
    )
    (run,) = json.loads(render("sarif", report))["runs"]
    first, second = run["results"]
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "file:///home/u/.local/share/yoi/a%20b.json"}
    }
    assert first["level"] == "warning"  # the diagnostic's own severity
    assert run["tool"]["driver"]["rules"][1] == {
        "id": "YT999",
        "shortDescription": {"text": "YT999"},
        "fullDescription": {"text": "YT999"},
        "help": {"text": "YT999"},
        "defaultConfiguration": {"level": "note"},
    }
    assert second["ruleIndex"] == 1


def test_sarif_without_findings() -> None:
    (run,) = json.loads(render("sarif", EMPTY))["runs"]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []


def test_unknown_format() -> None:
    assert FORMATS == ("text", "concise", "json", "github", "sarif")
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render("xml", REPORT)


# ---------------------------------------------------------------- doctor order


def break_copy(tmp_path: Path) -> Path:
    """A corpus copy with defects in several files, found by several rules."""
    workspace = copy_corpus(V2, tmp_path / "ws")
    root = workspace / ".yoi" / "tickets"
    (root / "not-an-id").mkdir()
    (root / "00001KVZKSV6C" / "item.md").write_text(
        "---\ntitle: x\nstate: nope\n---\n", encoding="utf-8"
    )
    thread = root / "00001KSKBPDVG" / "thread.md"
    thread.write_text(thread.read_text(encoding="utf-8") + "\n---\n\n<!-- event: comment -->\n")
    (root / "00001KSKBPHRG" / "thread.md").unlink()
    return workspace


def test_doctor_output_is_sorted_and_deterministic(tmp_path: Path) -> None:
    workspace = break_copy(tmp_path)
    options = DoctorOptions(no_local=True)
    first = run_doctor(workspace, options)
    second = run_doctor(workspace, options)
    assert first == second
    diagnostics = first.diagnostics
    assert len({d.code for d in diagnostics}) >= 4
    assert len({d.path for d in diagnostics}) >= 3
    keys = [(d.path, d.line or 0, d.code) for d in diagnostics]
    assert keys == sorted(keys)
    for fmt in FORMATS:
        assert render(fmt, first) == render(fmt, second)


def test_doctor_cli_output_is_identical_between_runs(tmp_path: Path) -> None:
    workspace = break_copy(tmp_path)
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "yoi_ticket", "doctor", "--no-local", "--format", "json"],
            cwd=workspace,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    diagnostics = json.loads(outputs[0])["diagnostics"]
    keys = [(d["path"], d["line"] or 0, d["code"]) for d in diagnostics]
    assert keys == sorted(keys)


def test_sarif_uri_of_a_file_name_that_is_not_utf8() -> None:
    path = os.fsdecode(b".yoi/tickets/bad\xff/item.md")
    report = Report("/w", [Diagnostic("YT101", Severity.ERROR, path, 1, "m")])
    (run,) = json.loads(render("sarif", report))["runs"]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == ".yoi/tickets/bad%FF/item.md"
