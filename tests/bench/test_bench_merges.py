"""bench/merges.py runs end to end on a small history, finds exactly the planted losses
and prints its table. (Only a smoke test: the timed runs are made by hand.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

pytestmark = pytest.mark.slow  # a whole benchmark run: not part of the oldest-versions pass


def test_the_merges_benchmark_finds_what_it_planted(tmp_path: Path) -> None:
    args = ["--merges", "30", "--tickets", "12", "--runs", "1", "--work-dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "merges.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines() if "| " in line}
    # Merges 0-29: the first parent wins at 5, 15 and 25 (an octopus: two events); the
    # second at 0 and 20 (at 10 the sides touched two threads: nothing to lose); an
    # edit at 12.
    assert "| 6 dropped, 1 edited " in rows["doctor --merges"]
    assert "| 6 to restore " in rows["restore-events --dry-run"]
    assert rows["doctor --merges"].rstrip(" |").endswith("pass")
    history = next((tmp_path / "merges").iterdir())
    merges = subprocess.run(
        ["git", "rev-list", "--merges", "--count", "main"],
        cwd=history,
        capture_output=True,
        text=True,
        check=True,
    )
    assert merges.stdout.strip() == "30"
