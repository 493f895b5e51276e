"""``run_doctor`` as a library: the ``[doctor]`` defaults of ``.yoi/ticket.config.toml``
apply, values given in the options win, and the report carries the exit decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, init_repo
from harness.doctor import edit, ticket_dir, ticket_workspace
from yoi_ticket.doctor.api import resolve_options, run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.report import Report
from yoi_ticket.errors import ConfigError, UsageError

REMOTE = "00001KVZSGT14"  # alone: five YT208 warnings (relations to tickets not in the store)
CI = DoctorOptions(no_local=True)


def write_config(workspace: Path, text: str) -> None:
    (workspace / ".yoi" / "ticket.config.toml").write_text(text, encoding="utf-8")


def codes(report: Report) -> list[str]:
    return [diagnostic.code for diagnostic in report.diagnostics]


@pytest.fixture
def warnings_only(tmp_path: Path) -> Path:
    return ticket_workspace(tmp_path, REMOTE)


@pytest.fixture
def with_error(warnings_only: Path) -> Path:
    """Five YT208 warnings and one YT115 error (a created_at that is not a time)."""
    edit(
        ticket_dir(warnings_only, REMOTE) / "item.md",
        "created_at: '2026-06-25T16:23:58Z'",
        "created_at: 'June 25'",
    )
    return warnings_only


def test_without_config_errors_fail_and_warnings_pass(warnings_only: Path, tmp_path: Path) -> None:
    report = run_doctor(warnings_only, CI)
    assert codes(report) == ["YT208"] * 5
    assert (report.fail_on, report.failed, report.exit_code) == ("error", False, 0)
    edit(
        ticket_dir(warnings_only, REMOTE) / "item.md",
        "created_at: '2026-06-25T16:23:58Z'",
        "created_at: 'June 25'",
    )
    report = run_doctor(warnings_only, CI)
    assert codes(report) == [*["YT208"] * 5, "YT115"]
    assert (report.fail_on, report.failed, report.exit_code) == ("error", True, 1)


def test_config_ignore_applies_and_can_make_a_run_pass(with_error: Path) -> None:
    write_config(with_error, '[doctor]\nignore = ["YT115"]\n')
    report = run_doctor(with_error, CI)
    assert codes(report) == ["YT208"] * 5
    assert (report.failed, report.exit_code) == (False, 0)


def test_config_fail_on_applies(warnings_only: Path) -> None:
    write_config(warnings_only, '[doctor]\nfail_on = "warning"\n')
    report = run_doctor(warnings_only, CI)
    assert codes(report) == ["YT208"] * 5
    assert (report.fail_on, report.failed, report.exit_code) == ("warning", True, 1)


def test_config_select_ignore_and_fail_on_together(with_error: Path) -> None:
    write_config(with_error, '[doctor]\nselect = ["YT2"]\nignore = "YT115"\nfail_on = "never"\n')
    report = run_doctor(with_error, CI)
    assert codes(report) == ["YT208"] * 5
    assert (report.fail_on, report.failed, report.exit_code) == ("never", False, 0)


def test_given_options_win_over_the_config(with_error: Path) -> None:
    write_config(with_error, '[doctor]\nignore = ["YT208"]\nfail_on = "never"\n')
    assert codes(run_doctor(with_error, CI)) == ["YT115"]
    report = run_doctor(with_error, DoctorOptions(no_local=True, ignore=("YT115",)))
    assert codes(report) == ["YT208"] * 5
    assert report.exit_code == 0  # fail_on still "never" from the config
    report = run_doctor(with_error, DoctorOptions(no_local=True, fail_on="warning"))
    assert codes(report) == ["YT115"]  # ignore still from the config
    assert (report.fail_on, report.exit_code) == ("warning", 1)
    report = run_doctor(with_error, DoctorOptions(no_local=True, select=("YT1",)))
    assert codes(report) == ["YT115"]
    assert report.exit_code == 0


def test_resolve_options_fills_in_only_what_is_not_given(warnings_only: Path) -> None:
    write_config(warnings_only, '[doctor]\nselect = ["yt2"]\nignore = ["YT208"]\n')
    given = DoctorOptions(ignore=("YT1",), staged=True, paths=("x",))
    assert resolve_options(warnings_only, given) == DoctorOptions(
        select=("YT2",), ignore=("YT1",), fail_on="error", staged=True, paths=("x",)
    )


def test_the_config_applies_to_staged_runs(tmp_path: Path) -> None:
    workspace = init_repo(ticket_workspace(tmp_path, REMOTE), commit=False)
    git(workspace, "add", "-A")  # the whole ticket is staged: the next commit adds it
    assert codes(run_doctor(workspace, DoctorOptions(staged=True))) == ["YT208"] * 5
    write_config(workspace, '[doctor]\nfail_on = "warning"\n')
    report = run_doctor(workspace, DoctorOptions(staged=True))
    assert codes(report) == ["YT208"] * 5
    assert report.exit_code == 1
    write_config(workspace, '[doctor]\nignore = ["YT208"]\nfail_on = "warning"\n')
    report = run_doctor(workspace, DoctorOptions(staged=True))
    assert codes(report) == []
    assert report.exit_code == 0


def test_bad_fail_on_and_bad_config_are_usage_errors(warnings_only: Path) -> None:
    with pytest.raises(UsageError, match="fail_on must be one of error, warning, never"):
        run_doctor(warnings_only, DoctorOptions(no_local=True, fail_on="sometimes"))
    write_config(warnings_only, '[doctor]\nfail_on = "sometimes"\n')
    with pytest.raises(ConfigError, match=r"\[doctor\] fail_on must be one of"):
        run_doctor(warnings_only, CI)
