"""Doctor baselines: ``--write-baseline`` records the findings of a real run, ``--baseline``
(or ``[doctor] baseline``) reports and fails only on the new ones, fingerprints survive
line shifts, a repeated identical finding is new, and bad files are usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import CORPUS, V2, git, init_repo
from harness.cli import run
from harness.doctor import STORE, edit, fingerprint, ticket_dir, ticket_workspace
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.report import Report

CLEAN = "00001KSKBPVH0"  # alone: no findings; its thread ends with a 'close' event
REMOTE = "00001KVZSGT14"  # alone: five YT208 warnings (relation targets not in the store)
YT214 = "close event duplicates the event at line {}"


def thread_of(workspace: Path) -> Path:
    return ticket_dir(workspace, CLEAN) / "thread.md"


def repeat_close_event(workspace: Path, copies: int) -> None:
    """The corpus thread with ``copies`` copies of its last event appended (each a YT214
    warning)."""
    text = (CORPUS / V2 / STORE / CLEAN / "thread.md").read_text(encoding="utf-8")
    last = text[text.index("<!-- event: close") :]
    thread_of(workspace).write_text(text + ("\n" + last) * copies, encoding="utf-8")


def shift_lines(workspace: Path) -> None:
    """Two lines more in the first event's body: every later line (and line number in a
    message) moves by two."""
    edit(thread_of(workspace), "## Migrated\n\n", "## Migrated\n\nOne more paragraph.\n\n")


def with_baseline(workspace: Path, baseline: Path, **options: Any) -> Report:
    return run_doctor(workspace, DoctorOptions(no_local=True, baseline=baseline, **options))


def write_baseline(workspace: Path, baseline: Path) -> Report:
    return run_doctor(workspace, DoctorOptions(no_local=True, write_baseline=baseline))


def plain(workspace: Path) -> Report:
    return run_doctor(workspace, DoctorOptions(no_local=True))


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return ticket_workspace(tmp_path, REMOTE)


def break_created_at(workspace: Path) -> None:
    """One YT115 error in item.md."""
    edit(
        ticket_dir(workspace, REMOTE) / "item.md",
        "created_at: '2026-06-25T16:23:58Z'",
        "created_at: 'June 25'",
    )


# ---------------------------------------------------------------- writing


def test_write_baseline_records_every_finding_and_the_run_passes(
    remote: Path, tmp_path: Path
) -> None:
    break_created_at(remote)
    before = plain(remote)
    assert before.exit_code == 1 and len(before.diagnostics) == 6
    target = tmp_path / "baseline.json"
    report = write_baseline(remote, target)
    assert report.diagnostics == [] and report.exit_code == 0
    assert report.baseline is not None
    assert (report.baseline.matched, report.baseline.gone, report.baseline.written) == (6, 0, True)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["version"] == 1 and document["kind"] == "yoi-ticket doctor baseline"
    expected = [
        {
            "fingerprint": fingerprint(d.code, d.path, d.message),
            "code": d.code,
            "path": d.path,
            "message": d.message,
        }
        for d in sorted(before.diagnostics, key=lambda d: (d.path, d.code, d.message))
    ]
    assert document["findings"] == expected
    assert with_baseline(remote, target).exit_code == 0


def test_baseline_file_is_the_same_after_lines_moved(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLEAN, REMOTE)
    repeat_close_event(workspace, 2)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    write_baseline(workspace, first)
    shift_lines(workspace)
    write_baseline(workspace, second)
    assert first.read_bytes() == second.read_bytes()
    messages = [entry["message"] for entry in json.loads(first.read_text())["findings"]]
    assert messages.count(YT214.format("#")) == 2  # its line number left out


# ---------------------------------------------------------------- matching


def test_only_new_findings_are_reported_and_fail(remote: Path, tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    write_baseline(remote, target)
    break_created_at(remote)
    report = with_baseline(remote, target)
    assert [(d.code, d.line) for d in report.diagnostics] == [("YT115", 4)]
    assert report.exit_code == 1
    assert report.baseline is not None
    assert (report.baseline.matched, report.baseline.gone) == (5, 0)


def test_findings_stay_matched_when_lines_move_and_messages_name_lines(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLEAN)
    repeat_close_event(workspace, 1)
    (found,) = plain(workspace).diagnostics
    assert found.message == YT214.format(9)
    target = tmp_path / "baseline.json"
    write_baseline(workspace, target)
    shift_lines(workspace)
    (moved,) = plain(workspace).diagnostics
    assert moved.message == YT214.format(11) and moved.line == found.line + 2
    report = with_baseline(workspace, target, fail_on="warning")
    assert report.diagnostics == [] and report.exit_code == 0
    assert report.baseline is not None
    assert (report.baseline.matched, report.baseline.gone) == (1, 0)


def test_a_second_identical_finding_is_new(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLEAN)
    repeat_close_event(workspace, 1)
    target = tmp_path / "baseline.json"
    write_baseline(workspace, target)
    repeat_close_event(workspace, 2)  # the same finding again, further down
    everything = plain(workspace).diagnostics
    assert [d.message for d in everything] == [YT214.format(9)] * 2
    report = with_baseline(workspace, target, fail_on="warning")
    assert report.diagnostics == [everything[1]]  # the later one is the new one
    assert report.exit_code == 1
    assert report.baseline is not None
    assert (report.baseline.matched, report.baseline.gone) == (1, 0)


def test_fixed_findings_are_entries_gone(remote: Path, tmp_path: Path) -> None:
    break_created_at(remote)
    target = tmp_path / "baseline.json"
    write_baseline(remote, target)
    edit(ticket_dir(remote, REMOTE) / "item.md", "'June 25'", "'2026-06-25T16:23:58Z'")
    report = with_baseline(remote, target)
    assert report.diagnostics == [] and report.exit_code == 0
    assert report.baseline is not None
    assert (report.baseline.matched, report.baseline.gone) == (5, 1)
    text = run(remote, "doctor", "--no-local", "--baseline", str(target))
    assert text.exit_code == 0
    assert text.stdout == (
        "No new problems found (1 ticket checked; baseline: 5 matched, 1 entry gone).\n"
    )


def test_text_and_json_say_what_the_baseline_matched(remote: Path, tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    write_baseline(remote, target)
    break_created_at(remote)
    text = run(remote, "doctor", "--no-local", "--baseline", str(target))
    assert text.exit_code == 1
    assert text.stdout.splitlines()[-1] == (
        "Found 1 new error (1 ticket checked; baseline: 5 matched, 0 entries gone)."
    )
    assert "YT208" not in text.stdout
    document = json.loads(
        run(remote, "doctor", "--no-local", "--baseline", str(target), "--format", "json").stdout
    )
    assert [d["code"] for d in document["diagnostics"]] == ["YT115"]
    assert document["summary"]["error"] == 1 and document["summary"]["warning"] == 0
    assert document["summary"]["baseline"] == {"file": str(target), "matched": 5, "gone": 0}


def test_write_baseline_from_the_cli_says_what_it_wrote(remote: Path) -> None:
    target = remote / "doctor-baseline.json"
    done = run(remote, "doctor", "--no-local", "--write-baseline", str(target))
    assert done.exit_code == 0
    assert done.stdout == (
        "No new problems found (1 ticket checked; baseline: 5 matched, 0 entries gone).\n"
    )
    assert done.stderr == "Wrote 5 findings to doctor-baseline.json.\n"
    assert len(json.loads(target.read_text(encoding="utf-8"))["findings"]) == 5


def test_quiet_and_a_baseline_together(remote: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean.json"
    write_baseline(ticket_workspace(tmp_path, CLEAN, name="clean"), clean)  # no entries
    break_created_at(remote)
    report = with_baseline(remote, clean, quiet=True)
    assert [d.code for d in report.diagnostics] == ["YT115"]
    assert report.hidden == {"warning": 5, "info": 0}
    assert report.baseline is not None and report.baseline.matched == 0


# ---------------------------------------------------------------- config


def test_config_baseline_is_relative_to_the_workspace_and_flags_win(
    remote: Path, tmp_path: Path
) -> None:
    (remote / "ci").mkdir()
    config = remote / ".yoi" / "ticket.config.toml"
    config.write_text('[doctor]\nbaseline = "ci/doctor-baseline.json"\n', encoding="utf-8")
    assert (
        run(
            remote,
            "doctor",
            "--no-local",
            "--write-baseline",
            str(remote / "ci" / "doctor-baseline.json"),
        ).exit_code
        == 0
    )
    break_created_at(remote)
    by_config = json.loads(run(remote, "doctor", "--no-local", "--format", "json").stdout)
    assert [d["code"] for d in by_config["diagnostics"]] == ["YT115"]
    assert by_config["summary"]["baseline"] == {
        "file": "ci/doctor-baseline.json",
        "matched": 5,
        "gone": 0,
    }
    everything = run(remote, "doctor", "--no-local", "--no-baseline", "--format", "json")
    assert everything.exit_code == 1
    assert len(json.loads(everything.stdout)["diagnostics"]) == 6
    assert json.loads(everything.stdout)["summary"]["baseline"] is None
    empty = tmp_path / "empty.json"
    write_baseline(ticket_workspace(tmp_path, CLEAN, name="clean"), empty)
    given = json.loads(
        run(remote, "doctor", "--no-local", "--baseline", str(empty), "--format", "json").stdout
    )
    assert len(given["diagnostics"]) == 6
    assert given["summary"]["baseline"] == {"file": str(empty), "matched": 0, "gone": 0}


def test_a_missing_config_baseline_names_the_config(remote: Path) -> None:
    config = remote / ".yoi" / "ticket.config.toml"
    config.write_text('[doctor]\nbaseline = "nope.json"\n', encoding="utf-8")
    done = run(remote, "doctor", "--no-local")
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: baseline nope.json ([doctor] baseline in .yoi/ticket.config.toml): no such file",
        "hint: record today's findings with 'yoi ticket doctor --write-baseline nope.json'",
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[]\n", 'no "findings" list'),
        ('{"version": 1}\n', 'no "findings" list'),
        ('{"version": 2, "findings": []}\n', "version 2, expected 1"),
        ('{"findings": []}\n', "version None, expected 1"),
        ('{"version": 1, "findings": [{"code": "YT208"}]}\n', "finding 1 has no fingerprint"),
        ('{"version": 1, "findings": ["x"]}\n', "finding 1 has no fingerprint"),
        ("version = 1\n", "not valid JSON (Expecting value: line 1 column 1 (char 0))"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_a_bad_baseline_is_a_one_line_usage_error(
    remote: Path, tmp_path: Path, text: str, reason: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    done = run(remote, "doctor", "--no-local", "--baseline", str(bad))
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr == f"error: baseline {bad} is not a doctor baseline: {reason}\n"


def test_a_baseline_that_is_no_file_is_a_usage_error(remote: Path, tmp_path: Path) -> None:
    missing = run(remote, "doctor", "--baseline", str(tmp_path / "none.json"))
    assert missing.exit_code == 2
    assert (
        missing.stderr.splitlines()[0] == f"error: baseline {tmp_path / 'none.json'}: no such file"
    )
    folder = run(remote, "doctor", "--baseline", str(tmp_path))
    assert folder.exit_code == 2
    assert folder.stderr == f"error: cannot read baseline {tmp_path}: is a directory\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--staged"],
            "error: --write-baseline records a whole run, not one restricted by --staged",
        ),
        (
            [".yoi"],
            "error: --write-baseline records a whole run, not one restricted by PATH arguments",
        ),
        (["--baseline", "b.json"], "error: --baseline and --write-baseline exclude each other"),
    ],
)
def test_write_baseline_usage_errors(
    remote: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(remote)
    done = run(remote, "doctor", "--write-baseline", "out.json", *args)
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.splitlines()[0] == message
    assert not (remote / "out.json").exists()


def test_write_baseline_into_a_missing_folder_is_a_usage_error(
    remote: Path, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "baseline.json"
    done = run(remote, "doctor", "--no-local", "--write-baseline", str(target))
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr == (
        f"error: cannot write baseline {target}: folder {target.parent} does not exist\n"
    )


def test_baseline_and_no_baseline_exclude_each_other(remote: Path) -> None:
    done = run(remote, "doctor", "--baseline", "b.json", "--no-baseline")
    assert done.exit_code == 2
    assert done.stderr == "error: --baseline and --no-baseline exclude each other\n"


# ---------------------------------------------------------------- staged and SARIF


def test_a_staged_commit_fails_only_on_new_findings(tmp_path: Path) -> None:
    workspace = init_repo(ticket_workspace(tmp_path, REMOTE))
    target = workspace / "doctor-baseline.json"
    assert write_baseline(workspace, target).exit_code == 0
    item = ticket_dir(workspace, REMOTE) / "item.md"
    edit(item, "## 背景\n\n", "## 背景\n\nOne more paragraph.\n\n")  # the ticket is touched
    git(workspace, "add", "-A")
    assert with_baseline(workspace, target, staged=True).diagnostics == []
    break_created_at(workspace)
    git(workspace, "add", "-A")
    report = with_baseline(workspace, target, staged=True)
    assert [d.code for d in report.diagnostics] == ["YT115"] and report.exit_code == 1


def test_sarif_fingerprints_are_the_baseline_fingerprints(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, CLEAN)
    repeat_close_event(workspace, 1)
    target = tmp_path / "baseline.json"
    write_baseline(workspace, target)
    repeat_close_event(workspace, 2)
    path = thread_of(workspace).relative_to(workspace).as_posix()
    first, second = (fingerprint("YT214", path, YT214.format(9), n) for n in (1, 2))
    (recorded,) = json.loads(target.read_text(encoding="utf-8"))["findings"]
    assert recorded["fingerprint"] == first

    def results(*args: str) -> list[str]:
        done = run(workspace, "doctor", "--no-local", "--format", "sarif", *args)
        return [
            r["partialFingerprints"]["yoiTicketFinding/v1"]
            for r in json.loads(done.stdout)["runs"][0]["results"]
        ]

    assert results() == [first, second]
    assert results("--baseline", str(target)) == [second]  # numbered as in the whole run
