"""Findings kept as compressed runs read back as the sorted, distinct list they stand for."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import V2, copy_corpus
from harness.doctor import edit, ticket_dir
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic, Severity, code_counts, fails, summarize
from yoi_ticket.doctor.findings import Findings, finding_run, order_key
from yoi_ticket.store.parallel import JOBS_ENV

DIAGNOSTICS = st.builds(
    Diagnostic,
    code=st.sampled_from(["YT101", "YT204", "YT304"]),
    severity=st.sampled_from(list(Severity)),
    # paths where one folder name starts another: "a" sorts before "a-b/x", which sorts
    # before "a/x", so the findings of one folder need not come in one piece
    path=st.sampled_from(["t/a", "t/a/item.md", "t/a-b/item.md", "t/a/thread.md", "t/b"]),
    line=st.none() | st.integers(0, 3),
    message=st.sampled_from(["m", "n", "line 2 of x"]),
    hint=st.none() | st.sampled_from(["", "h"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(DIAGNOSTICS, max_size=12), max_size=6))
def test_runs_read_back_sorted_and_distinct_whatever_their_order(
    groups: list[list[Diagnostic]],
) -> None:
    everything = [d for group in groups for d in group]
    expected = sorted(set(everything), key=order_key)
    findings = Findings(pickle.loads(pickle.dumps(finding_run(group))) for group in groups)
    assert list(findings) == expected
    assert list(findings) == expected  # a second reading gives the same
    assert findings == expected and len(findings) == len(expected)
    assert [d.sort_key() for d in findings] == sorted(d.sort_key() for d in expected)
    assert summarize(findings) == summarize(expected)
    assert code_counts(findings) == code_counts(expected)
    assert fails(findings, "warning") == fails(expected, "warning")
    assert bool(findings) == bool(expected)
    if expected:
        assert findings[0] == expected[0] and findings[-1] == expected[-1]


def test_a_filter_leaves_findings_out_and_out_of_the_counts() -> None:
    a = Diagnostic("YT101", Severity.ERROR, "t/a/item.md", 1, "m")
    b = Diagnostic("YT101", Severity.INFO, "u/b/item.md", 1, "m")
    findings = Findings([finding_run([b, a])], keep=lambda d: d.path.startswith("t/"))
    assert list(findings) == [a]
    assert summarize(findings) == {"error": 1, "warning": 0, "info": 0}


def test_a_run_holds_a_finding_in_a_few_bytes() -> None:
    findings = [
        Diagnostic("YT304", Severity.INFO, f".yoi/tickets/{n:013d}/thread.md", n, "a path", "h")
        for n in range(2000)
    ]
    run = finding_run(findings)
    assert run.count == 2000
    assert len(pickle.dumps(run)) < 20 * 2000  # compressed; repeated text costs little


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_doctor_orders_findings_of_folders_that_start_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """The folder finding of ticket "X", the files of "X-more", then the files of "X"."""
    monkeypatch.setenv(JOBS_ENV, jobs)  # with 2, every chunk of tickets is its own run
    workspace = copy_corpus(V2, tmp_path / "ws")
    source = ticket_dir(workspace, "00001KVZKSV6C")
    store = source.parent
    shutil.copytree(source, store / "20260607-220225-fix")
    (store / "20260607-220225-fix" / "thread.md").unlink()  # a finding about the folder
    edit(store / "20260607-220225-fix" / "item.md", "state: 'queued'", "state: 'nonsense'")
    shutil.copytree(source, store / "20260607-220225-fix-more")
    edit(store / "20260607-220225-fix-more" / "item.md", "state: 'queued'", "state: 'nonsense'")
    report = run_doctor(workspace, DoctorOptions(no_local=True))
    paths = [d.path for d in report.diagnostics]
    assert paths == sorted(paths)
    fix = ".yoi/tickets/20260607-220225-fix"
    mine = [p for p in paths if p.startswith(fix)]
    folder, more, files = (
        mine.index(fix),
        mine.index(f"{fix}-more/item.md"),
        mine.index(f"{fix}/item.md"),
    )
    assert folder < more < files  # the findings of "fix" come in two pieces
