"""Doctor in worker processes finds exactly what the one-process run finds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import V1, V2, copy_corpus, init_repo
from harness.doctor import edit, ticket_dir
from yoi_ticket.doctor import runner
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.store.parallel import JOBS_ENV, PARALLEL_MIN_TICKETS

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or sys.version_info < (3, 11),
    reason="worker processes are forked on Linux with Python 3.11+ only",
)


def _broken_v2(tmp_path: Path) -> Path:
    workspace = copy_corpus(V2, tmp_path / "ws")
    edit(ticket_dir(workspace, "00001KVZSGT14") / "item.md", "state: ", "state: nowhere-")
    thread = ticket_dir(workspace, "00001KTNVGT8G") / "thread.md"
    thread.write_text(thread.read_text(encoding="utf-8") + "\n<!-- event: comment -->\n\nhi\n")
    (ticket_dir(workspace, "00001KSKBPDVG") / "item.md").unlink()
    return workspace


def _run(
    workspace: Path, jobs: str, monkeypatch: pytest.MonkeyPatch, select: tuple[str, ...] = ()
) -> tuple[list[Diagnostic], int, bool]:
    monkeypatch.setenv(JOBS_ENV, jobs)
    used: list[int] = []
    real = runner._run_in_workers

    def spy(*args, **kwargs):
        used.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "_run_in_workers", spy)
    report = run_doctor(workspace, DoctorOptions(no_local=True, select=select))
    return report.diagnostics, report.tickets_checked, bool(used)


@pytest.mark.parametrize("layout", [V2, V1])
def test_workers_and_one_process_report_the_same(
    tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _broken_v2(tmp_path) if layout == V2 else copy_corpus(V1, tmp_path / "ws")
    serial, serial_count, serial_used = _run(workspace, "1", monkeypatch)
    parallel, parallel_count, parallel_used = _run(workspace, "3", monkeypatch)
    assert (serial_used, parallel_used) == (False, True)
    assert parallel == serial and parallel_count == serial_count
    assert serial  # the corpus and the broken copies have findings
    if layout == V2:
        codes = {d.code for d in serial}
        assert {"YT102", "YT107", "YT202", "YT217"} <= codes


def test_the_text_only_conflict_scan_in_workers_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--select YT5`` reads tickets as text only, in workers too."""
    workspace = copy_corpus(V2, tmp_path / "ws")
    thread = ticket_dir(workspace, "00001KTNVGT8G") / "thread.md"
    text = thread.read_text(encoding="utf-8")
    thread.write_text(text + "<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> topic\n", "utf-8")
    (ticket_dir(workspace, "00001KSKBPDVG") / "artifacts" / "notes.md.orig").write_text("x\n")
    serial, serial_count, serial_used = _run(workspace, "1", monkeypatch, ("YT5",))
    parallel, parallel_count, parallel_used = _run(workspace, "3", monkeypatch, ("YT5",))
    assert (serial_used, parallel_used) == (False, True)
    assert parallel == serial and parallel_count == serial_count == 36
    assert {d.code for d in serial} == {"YT502", "YT503"}


def test_progress_reaches_the_total_with_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    monkeypatch.setenv(JOBS_ENV, "2")
    seen: list[tuple[int, int]] = []
    run_doctor(workspace, DoctorOptions(no_local=True), progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (36, 36)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_small_stores_and_one_job_stay_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yoi_ticket.doctor.runner import _jobs, make_context

    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    ctx = make_context(workspace, DoctorOptions(no_local=True))
    monkeypatch.delenv(JOBS_ENV, raising=False)
    assert _jobs(ctx, PARALLEL_MIN_TICKETS - 1) == 1
    assert _jobs(ctx, PARALLEL_MIN_TICKETS) == min(len(os.sched_getaffinity(0)), 8)
    monkeypatch.setenv(JOBS_ENV, "1")
    assert _jobs(ctx, 10 * PARALLEL_MIN_TICKETS) == 1
    monkeypatch.setenv(JOBS_ENV, "4")
    assert _jobs(ctx, 10 * PARALLEL_MIN_TICKETS) == 4
    assert ctx.git.repo() is not None  # an open git repository: a fork must not share it
    assert _jobs(ctx, 10 * PARALLEL_MIN_TICKETS) == 1
    ctx.git.close()


def test_the_cli_with_workers_prints_the_same_json(tmp_path: Path) -> None:
    workspace = _broken_v2(tmp_path)
    outputs = []
    for jobs in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "yoi_ticket", "doctor", "--no-local", "--format", "json"],
            cwd=workspace,
            env={**os.environ, JOBS_ENV: jobs},
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0]["summary"]["error"] >= 3
