"""``yoi ticket doctor`` on the command line: exit codes, options, config defaults,
the rule registry and its docs, and the demo workspace."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from conftest import REPO_ROOT, copy_tree
from harness.doctor import STORE, edit, ticket_dir, ticket_workspace
from yoi_ticket.cli.app import ticket_app
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.registry import RULES
from yoi_ticket.doctor.rule import Rule

CLEAN = "00001KSKBPVH0"  # alone: no findings at all
REMOTE = "00001KVZSGT14"  # alone: five YT208 warnings (relations to tickets not in the store)
DEMO = REPO_ROOT / "fixtures" / "demo"
DEMO_CODES = {
    "YT107",
    "YT108",
    "YT111",
    "YT113",
    "YT201",
    "YT204",
    "YT208",
    "YT209",
    "YT211",
    "YT213",
    "YT214",
    "YT215",
    "YT216",
    "YT301",
    "YT303",
    "YT502",
}


def doctor(*args: str) -> Result:
    return CliRunner().invoke(ticket_app, ["doctor", *args])


def codes_of(result: Result) -> list[str]:
    return [d["code"] for d in json.loads(result.stdout)["diagnostics"]]


def write_config(workspace: Path, text: str) -> None:
    (workspace / ".yoi" / "ticket.config.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return ticket_workspace(tmp_path, CLEAN)


@pytest.fixture
def warnings_only(tmp_path: Path) -> Path:
    return ticket_workspace(tmp_path, REMOTE)


@pytest.fixture
def with_error(tmp_path: Path) -> Path:
    workspace = ticket_workspace(tmp_path, REMOTE)
    edit(
        ticket_dir(workspace, REMOTE) / "item.md",
        "created_at: '2026-06-25T16:23:58Z'",
        "created_at: 'June 25'",
    )
    return workspace


# ---------------------------------------------------------------- exit codes


def test_clean_workspace_exits_0(clean: Path) -> None:
    result = doctor("-C", str(clean), "--no-local")
    assert result.exit_code == 0
    assert result.stdout == "No problems found (1 ticket checked).\n"


def test_errors_exit_1(with_error: Path) -> None:
    result = doctor("-C", str(with_error), "--no-local")
    assert result.exit_code == 1
    assert result.stdout.endswith("Found 1 error, 5 warnings (1 ticket checked).\n")


def test_warnings_pass_by_default(warnings_only: Path) -> None:
    assert doctor("-C", str(warnings_only), "--no-local").exit_code == 0


@pytest.mark.parametrize(
    ("fixture", "fail_on", "code"),
    [
        ("warnings_only", "warning", 1),
        ("warnings_only", "error", 0),
        ("warnings_only", "never", 0),
        ("with_error", "never", 0),
        ("with_error", "warning", 1),
        ("clean", "warning", 0),
    ],
)
def test_fail_on(request: pytest.FixtureRequest, fixture: str, fail_on: str, code: int) -> None:
    workspace = request.getfixturevalue(fixture)
    assert doctor("-C", str(workspace), "--no-local", "--fail-on", fail_on).exit_code == code


def test_not_a_workspace_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = doctor("-C", str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {tmp_path}: not a yoi workspace (no .yoi/ here or in any parent directory)",
        "hint: run inside a repository with .yoi/tickets, or pass --workspace PATH",
    ]


@pytest.mark.parametrize("where", ["cwd", "missing"])
def test_not_a_workspace_in_a_real_process(tmp_path: Path, where: str) -> None:
    args = [] if where == "cwd" else ["-C", str(tmp_path / "missing")]
    done = subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "doctor", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: ")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("option", "value", "choices"),
    [
        ("--format", "xml", "'text', 'concise', 'json', 'github', 'sarif'"),
        ("--fail-on", "sometimes", "'error', 'warning', 'never'"),
    ],
)
def test_a_value_not_among_the_choices_is_a_usage_error(
    clean: Path, option: str, value: str, choices: str
) -> None:
    """Choices are the parser's: the error names the option, the value and the choices."""
    result = doctor("-C", str(clean), "--no-local", option, value)
    assert result.exit_code == 2
    assert result.stdout == ""
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Error: Invalid value for '{option}': ")
    assert last.endswith(f"{value!r} is not one of {choices}.")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "YT999"], "error: 'YT999' matches no rule code"),
        (["--ignore", "YT1,XX"], "error: 'XX' matches no rule code"),
        (["--explain", "YT999"], "error: unknown rule code 'YT999'"),
        (["--dry-run"], "error: --dry-run only makes sense with --fix"),
    ],
)
def test_usage_errors_exit_2(clean: Path, args: list[str], message: str) -> None:
    result = doctor("-C", str(clean), "--no-local", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == message
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("given", ["no/such/path", ".yoi/tickets/00001KSKBPVH1"])
def test_a_path_that_does_not_exist_is_a_usage_error(
    clean: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.chdir(clean)
    result = doctor("--no-local", given)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: {given}: no such file or directory\n"


def test_a_path_outside_the_workspace_is_a_usage_error(
    clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(clean)
    result = doctor("--no-local", str(tmp_path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: {tmp_path}: not inside the workspace {clean}\n"


def test_existing_paths_restrict_the_check(
    with_error: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(with_error)
    item = f"{STORE}/{REMOTE}/item.md"
    assert codes_of(doctor("--no-local", "--format", "json", item)) == ["YT115"]


@pytest.mark.parametrize("where", ["missing/report.json", "file.txt/report.json", "folder"])
def test_output_that_cannot_be_written_is_a_usage_error(
    clean: Path, tmp_path: Path, where: str
) -> None:
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    target = tmp_path / where
    result = doctor("-C", str(clean), "--no-local", "--format", "json", "-o", str(target))
    assert (result.exit_code, result.stdout) == (2, "")
    why = {
        "missing/report.json": f"no such directory: {tmp_path / 'missing'}",
        "file.txt/report.json": f"not a directory: {tmp_path / 'file.txt'}",
        "folder": "is a directory",
    }[where]
    assert result.stderr == f"error: -o {target}: {why}\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file.txt", "folder", "ws"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_output_write_failure_is_one_line_without_temp_names(clean: Path) -> None:
    """A folder that exists but takes no new file (/proc refuses even root): one line
    naming the file given, never the temporary file beside it."""
    result = doctor("-C", str(clean), "--no-local", "-o", "/proc/report.json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: cannot write /proc/report.json: No such file or directory\n"


def test_an_unknown_doctor_key_is_a_warning_and_the_run_goes_on(with_error: Path) -> None:
    write_config(with_error, '[doctor]\nignore = ["YT208"]\nfail-on = "never"\n')
    result = doctor("-C", str(with_error), "--no-local", "--format", "json")
    assert result.exit_code == 1  # fail-on is no key: the default, error, holds
    assert codes_of(result) == ["YT115"]
    assert result.stderr == (
        "warning: .yoi/ticket.config.toml: unknown key 'fail-on' in [doctor]"
        " (known: baseline, fail_on, ignore, select)\n"
    )


def test_select_and_ignore_by_code_and_prefix(with_error: Path) -> None:
    base = ["-C", str(with_error), "--no-local", "--format", "json"]
    assert codes_of(doctor(*base)) == [*["YT208"] * 5, "YT115"]  # artifacts/ < item.md
    assert codes_of(doctor(*base, "--select", "YT1")) == ["YT115"]
    assert codes_of(doctor(*base, "--select", "yt208")) == ["YT208"] * 5
    assert codes_of(doctor(*base, "--ignore", "YT2")) == ["YT115"]
    assert codes_of(doctor(*base, "--ignore", "YT115,YT208")) == []
    assert codes_of(doctor(*base, "--select", "YT1", "--select", "YT20")) == [
        *["YT208"] * 5,
        "YT115",
    ]


def test_output_is_sorted_by_path_line_code(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, REMOTE, CLEAN)
    edit(ticket_dir(workspace, CLEAN) / "item.md", 'state: "closed"', 'state: "shut"')
    result = doctor("-C", str(workspace), "--no-local", "--format", "json")
    keys = [
        (d["path"], d["line"] or 0, d["code"]) for d in json.loads(result.stdout)["diagnostics"]
    ]
    assert keys == sorted(keys)
    assert [k[2] for k in keys] == ["YT107", "YT215", *["YT208"] * 5]


# ---------------------------------------------------------------- [doctor] defaults


def test_config_fail_on_and_cli_override(warnings_only: Path) -> None:
    write_config(warnings_only, '[doctor]\nfail_on = "warning"\n')
    assert doctor("-C", str(warnings_only), "--no-local").exit_code == 1
    assert doctor("-C", str(warnings_only), "--no-local", "--fail-on", "error").exit_code == 0


def test_config_select_and_cli_override(with_error: Path) -> None:
    write_config(with_error, '[doctor]\nselect = ["YT2"]\n')
    base = ["-C", str(with_error), "--no-local", "--format", "json"]
    assert codes_of(doctor(*base)) == ["YT208"] * 5
    assert codes_of(doctor(*base, "--select", "YT1")) == ["YT115"]


def test_config_ignore_and_cli_override(with_error: Path) -> None:
    write_config(with_error, '[doctor]\nignore = ["YT208"]\n\n[unknown-tool]\nx = 1\n')
    base = ["-C", str(with_error), "--no-local", "--format", "json"]
    assert codes_of(doctor(*base)) == ["YT115"]
    assert codes_of(doctor(*base, "--ignore", "YT115")) == ["YT208"] * 5


def test_config_ignore_can_make_a_run_pass(with_error: Path) -> None:
    write_config(with_error, '[doctor]\nignore = "YT115"\n')
    assert doctor("-C", str(with_error), "--no-local").exit_code == 0


@pytest.mark.parametrize(
    ("config", "flags", "options", "code"),
    [
        ("", [], {}, 1),
        ('[doctor]\nfail_on = "never"\n', [], {}, 0),
        ('[doctor]\nfail_on = "never"\n', ["--fail-on", "warning"], {"fail_on": "warning"}, 1),
        ('[doctor]\nignore = ["YT115"]\n', [], {}, 0),
        ('[doctor]\nignore = ["YT115"]\n', ["--ignore", "YT208"], {"ignore": ("YT208",)}, 1),
        ('[doctor]\nselect = ["YT2"]\n', ["--select", "yt1"], {"select": ("YT1",)}, 1),
    ],
)
def test_the_cli_exits_with_the_decision_of_run_doctor(
    with_error: Path, config: str, flags: list[str], options: dict[str, Any], code: int
) -> None:
    """The [doctor] config and the exit decision are the library's; flags win over both."""
    write_config(with_error, config)
    report = run_doctor(with_error, DoctorOptions(no_local=True, **options))
    result = doctor("-C", str(with_error), "--no-local", "--format", "json", *flags)
    assert result.exit_code == report.exit_code == code
    assert codes_of(result) == [d.code for d in report.diagnostics]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[doctor\n", "error: .yoi/ticket.config.toml is not valid TOML: "),
        (
            '[doctor]\nfail_on = "sometimes"\n',
            "error: .yoi/ticket.config.toml: [doctor] fail_on must be one of error, warning, never",
        ),
        (
            "[doctor]\nselect = [1]\n",
            "error: .yoi/ticket.config.toml: [doctor] select must be a list of rule codes",
        ),
        (
            '[doctor]\nselect = ["YT9"]\n',
            "error: .yoi/ticket.config.toml: [doctor] select: 'YT9' matches no rule code",
        ),
        (
            '[doctor]\nignore = ["YT1", "XX"]\n',
            "error: .yoi/ticket.config.toml: [doctor] ignore: 'XX' matches no rule code",
        ),
        ("doctor = 3\n", "error: .yoi/ticket.config.toml: [doctor] must be a table"),
        (
            '[backend]\nroot = "../elsewhere"\n',
            "error: .yoi/ticket.config.toml: [backend] root "
            "'../elsewhere' must be a path inside the workspace",
        ),
    ],
)
def test_invalid_config_exits_2(clean: Path, text: str, message: str) -> None:
    write_config(clean, text)
    result = doctor("-C", str(clean), "--no-local")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(message)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("damage", ["directory", "bad-bytes"])
def test_unreadable_config_exits_2(clean: Path, damage: str) -> None:
    config = clean / ".yoi" / "ticket.config.toml"
    if damage == "directory":
        config.mkdir()
    else:
        config.write_bytes(b"[doctor]\nfail_on = '\xff'\n")
    result = doctor("-C", str(clean), "--no-local")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ")


def test_config_store_root_is_used(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, REMOTE)
    (workspace / STORE).rename(workspace / "tickets-v2")
    write_config(workspace, '[backend]\nroot = "tickets-v2"\n')
    result = doctor("-C", str(workspace), "--no-local", "--format", "json")
    paths = {d["path"] for d in json.loads(result.stdout)["diagnostics"]}
    assert paths == {f"tickets-v2/{REMOTE}/artifacts/relations.json"}


# ---------------------------------------------------------------- the registry and its docs


def load_doc_script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "gen_rules_doc.py"
    spec = importlib.util.spec_from_file_location("gen_rules_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_rules_md_is_generated_from_the_registry() -> None:
    """If this fails, run: python scripts/gen_rules_doc.py"""
    expected = load_doc_script().render(RULES)
    assert (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == expected


def test_codes_are_unique() -> None:
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))


@pytest.fixture(scope="module")
def listed() -> list[str]:
    result = CliRunner().invoke(ticket_app, ["doctor", "--list-rules"])
    assert result.exit_code == 0
    return result.stdout.splitlines()


@pytest.fixture(scope="module")
def rules_doc() -> str:
    return (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_is_complete_listed_and_documented(
    rule: Rule, listed: list[str], rules_doc: str
) -> None:
    assert re.fullmatch(r"YT\d{3}", rule.code)
    for part in (rule.title, rule.what, rule.why, rule.example, rule.fix):
        assert part.strip(), f"{rule.code} lacks a part of its doc"
    assert "\n" not in rule.title
    assert rule.severity.value in ("error", "warning", "info")
    assert rule.scope in ("ticket", "store", "local", "git")
    assert f"{rule.code}  {rule.severity.value:<7}  {rule.scope:<6}  {rule.title}" in listed
    assert f"\n### {rule.code}: {rule.title}\n" in rules_doc
    for part in (rule.what, rule.why, rule.fix):
        assert part in rules_doc
    explained = CliRunner().invoke(ticket_app, ["doctor", "--explain", rule.code.lower()])
    assert explained.exit_code == 0
    assert explained.stdout == rule.explain()
    assert explained.stdout.startswith(f"{rule.code}: {rule.title}\n")
    for heading in ("What it does", "Why it matters", "Example", "How to fix"):
        assert f"\n{heading}\n" in explained.stdout


def test_list_rules_lists_exactly_the_registry(listed: list[str]) -> None:
    assert [line.split()[0] for line in listed] == [rule.code for rule in RULES]


def test_explain_needs_no_workspace(tmp_path: Path) -> None:
    result = doctor("-C", str(tmp_path), "--explain", "YT101")
    assert result.exit_code == 0
    assert result.stdout.startswith("YT101: Ticket folder name is not a valid ticket id\n")


# ---------------------------------------------------------------- the demo workspace


def test_demo_reports_exactly_its_documented_defects() -> None:
    result = doctor("-C", str(DEMO), "--no-local", "--format", "json")
    assert result.exit_code == 1, result.output
    codes = set(codes_of(result))
    assert codes == DEMO_CODES
    assert len(codes) >= 8
    readme = (REPO_ROOT / "fixtures" / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (YT\d{3}) \|", readme, flags=re.MULTILINE))
    assert documented == DEMO_CODES
    summary = json.loads(result.stdout)["summary"]
    assert summary == {
        "error": 8,
        "warning": 11,
        "info": 0,
        "tickets": 10,
        "baseline": None,
        "hidden": None,
    }


def test_demo_works_outside_git_in_a_real_process(tmp_path: Path) -> None:
    """A copy of the demo in a directory that is no git repository, checked by a real
    ``yoi`` process with the overlay checks on: same findings, no crash."""
    workspace = copy_tree(DEMO, tmp_path / "demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    for extra in ([], ["--no-local"]):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "yoi_ticket",
                "doctor",
                "-C",
                str(workspace),
                "--format",
                "json",
                *extra,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert done.stderr == ""
        found = {d["code"] for d in json.loads(done.stdout)["diagnostics"]}
        assert found == DEMO_CODES
