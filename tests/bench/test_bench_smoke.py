"""The benchmark script runs end to end on a small synthetic store and prints its table.

Only a smoke test: the real benchmark (10,000 and 100,000 tickets) is run by
hand with ``python bench/run.py`` and is not part of the test suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from yoi_ticket.store.ids import IdForm, id_form

pytestmark = pytest.mark.slow  # a stress run: not part of the oldest-versions pass

BENCH = REPO_ROOT / "bench"


def test_bench_runs_on_100_tickets_and_prints_the_table(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    work = tmp_path / "work"
    args = ["--sizes", "100", "--runs", "1", "--work-dir", str(work), "--json", str(results)]
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    header = "| benchmark"
    assert header in proc.stdout
    table = proc.stdout[proc.stdout.index(header) :]
    for name in ("floor (read + C YAML)", "doctor --no-local", "list", "show ID"):
        assert f"| {name}" in table
    assert "| yoi ticket --help" in table
    assert "| doctor --staged (5 staged tickets)" in table
    assert "| claims (100 claims)" in table

    data = json.loads(results.read_text())["rows"]
    rows = {(r["benchmark"], r["store"], r["tickets"]): r for r in data}
    for store in ("sample", "clean"):  # real finding density, and the clean corpus
        floor = rows[("floor (read + C YAML)", store, 100)]
        doctor = rows[("doctor --no-local", store, 100)]
        assert floor["median_s"] > 0 and floor["peak_rss_mb"] > 0
        assert doctor["ratio"] == doctor["median_s"] / floor["median_s"]
        # the memory of doctor's whole process tree is sampled (it may use workers)
        assert doctor["all_processes_mb"] > 0
        assert rows[("list", store, 100)]["ratio"] > 0
    assert "0 errors, 0 warnings, 0 info" in rows[("doctor --no-local", "clean", 100)]["note"]
    assert "0 errors" not in rows[("doctor --no-local", "sample", 100)]["note"]
    # Every verdict follows from the measured figure and the target, in the table too.
    help_row = rows[("yoi ticket --help", "-", None)]
    assert help_row["target"] == "< 0.25 s"
    assert help_row["ok"] is (help_row["median_s"] < 0.25)
    staged = rows[("doctor --staged (5 staged tickets)", "sample", 100)]
    assert staged["ok"] is (staged["median_s"] < 0.4)
    help_line = next(line for line in table.splitlines() if line.startswith("| yoi ticket --help"))
    assert help_line.rstrip(" |").endswith("pass" if help_row["ok"] else "FAIL")


def test_synthetic_store_has_fresh_ordered_ids_and_valid_relations(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from synth import STORE, build_store
    finally:
        sys.path.remove(str(BENCH))
    workspace = build_store(100, tmp_path, log=False)  # from v2-sample
    folders = sorted((workspace / STORE).iterdir())
    ids = [folder.name for folder in folders]
    assert len(ids) == 100
    assert all(id_form(ticket) is IdForm.CANONICAL for ticket in ids)
    corpus_ids = {p.name for p in (REPO_ROOT / "tests/data/corpus/v2-sample" / STORE).iterdir()}
    assert not corpus_ids & set(ids)
    relations = plans = 0
    for folder in folders:
        path = folder / "artifacts" / "relations.json"
        if path.exists():
            for relation in json.loads(path.read_text(encoding="utf-8"))["relations"]:
                relations += 1
                assert relation["ticket_id"] == folder.name
                assert relation["target"] in ids and relation["target"] != folder.name
        path = folder / "artifacts" / "orchestration-plan.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                plans += 1
                assert record["ticket_id"] == folder.name
                assert record.get("related_ticket", ids[0]) in ids
    assert relations > 20 and plans > 10
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=workspace, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_the_shapes_benchmark_prints_its_table(tmp_path: Path) -> None:
    results = tmp_path / "shapes.json"
    shapes = ["equal headers", "relations"]
    args = [arg for shape in shapes for arg in ("--shape", shape)]
    proc = subprocess.run(
        [sys.executable, str(BENCH / "shapes.py"), "--quick", *args, "--json", str(results)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "| shape | sizes | input | small | large | growth | linear |"
    rows = json.loads(results.read_text())["rows"]
    assert [row["shape"] for row in rows] == shapes
    for row, line in zip(rows, lines[2:], strict=True):
        assert row["large"] == 10 * row["small"] and row["large_s"] > 0
        assert row["growth"] == row["large_s"] / row["small_s"]
        assert row["linear"] is (row["growth"] <= 20)
        assert line.startswith(f"| {row['shape']} | {row['small']:,} / {row['large']:,} |")
        assert line.endswith("| pass |" if row["linear"] else "| FAIL |")
    assert proc.returncode == (0 if all(row["linear"] for row in rows) else 1)
