"""Set-ups for the benchmarks that need more than a committed store.

* staged changes: 5 tickets with an appended event and a bumped ``updated_at``,
  staged in the index, then put back exactly as committed;
* claims: N claims made through the product's claim API in a benchmark-only
  ``YOI_HOME``, plus a Pod registry and Pod metadata so that claims of every
  status occur (one live Pod, some restorable, the rest stale);
* the files a conflict scan reads, and the command lines that hand them to
  pre-commit-hooks' ``check-merge-conflict`` as pre-commit would (chunked).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synth import GENERATOR_VERSION, STORE, git

BENCH_DIR = Path(__file__).resolve().parent
STAGED_AT = "2026-07-02T00:00:00Z"
_UPDATED_RE = re.compile(rb"^updated_at:.*$", re.MULTILINE)
_EVENT = (
    f"\n<!-- event: comment author: bench at: {STAGED_AT} -->\n\nA staged change.\n\n---\n"
).encode()


def ticket_ids(workspace: Path) -> list[str]:
    return sorted(p.name for p in (workspace / STORE).iterdir() if not p.name.startswith("."))


@contextmanager
def staged_changes(workspace: Path, count: int) -> Iterator[list[str]]:
    """Stage an edit of ``count`` tickets spread over the store; undo it afterwards."""
    ids = ticket_ids(workspace)
    step = max(1, len(ids) // (count + 1))
    chosen = [ids[step * (n + 1)] for n in range(count)]
    originals: dict[Path, bytes] = {}
    for ticket in chosen:
        folder = workspace / STORE / ticket
        for name in ("item.md", "thread.md"):
            originals[folder / name] = (folder / name).read_bytes()
        item = _UPDATED_RE.sub(f"updated_at: '{STAGED_AT}'".encode(), originals[folder / "item.md"])
        (folder / "item.md").write_bytes(item)
        (folder / "thread.md").write_bytes(originals[folder / "thread.md"] + _EVENT)
    paths = [str(path.relative_to(workspace)) for path in originals]
    try:
        git(workspace, "add", "--", *paths)
        yield chosen
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
        git(workspace, "add", "--", *paths)


def store_is_clean(workspace: Path) -> bool:
    """No staged or unstaged change to tracked files (a previous run was interrupted)."""
    for args in (("diff", "--cached", "--quiet"), ("diff", "--quiet")):
        result = subprocess.run(["git", *args], cwd=workspace, capture_output=True)
        if result.returncode != 0:
            return False
    return True


def pod_name(index: int) -> str:
    return f"bench-coder-{index:02d}"


def claims_home(work: Path, workspace: Path, count: int, pods: int, env: dict[str, str]) -> Path:
    """A YOI_HOME holding ``count`` claims on ``workspace`` (made once, then cached)."""
    home = work / "homes" / f"claims-g{GENERATOR_VERSION}-{workspace.name}-{count}-{pods}"
    marker = home / "bench-claims.json"
    if not marker.is_file():
        if home.exists():
            shutil.rmtree(home)
        home.mkdir(parents=True)
        subprocess.run(
            [
                sys.executable,
                str(BENCH_DIR / "make_claims.py"),
                str(workspace),
                str(count),
                str(pods),
            ],
            env={**env, "YOI_HOME": str(home)},
            check=True,
            capture_output=True,
        )
        for index in range(1, pods, 5):  # every fifth Pod can be restored
            folder = home / "pods" / pod_name(index)
            folder.mkdir(parents=True)
            (folder / "metadata.json").write_text(
                json.dumps({"pod_name": pod_name(index), "role": "coder"}) + "\n", encoding="utf-8"
            )
        marker.write_text(json.dumps({"claims": count, "pods": pods}) + "\n", encoding="utf-8")
    registry = home / "run" / "pods.json"
    registry.parent.mkdir(parents=True, exist_ok=True)
    live = {"pod_name": pod_name(0), "pid": os.getpid(), "socket": str(home / "run" / "none.sock")}
    registry.write_text(json.dumps({"allocations": [live]}) + "\n", encoding="utf-8")
    return home


def conflict_files(workspace: Path) -> list[str]:
    """The tracked files under the ticket store, as a conflict scan of the store reads them."""
    out = git(workspace, "ls-files", "-z", "--", str(STORE))
    return [name for name in out.split("\0") if name]


def chunked(cmd: list[str], files: list[str]) -> list[list[str]]:
    """Split ``files`` over command lines like pre-commit does (at most 128 KiB each)."""
    environ = sum(len(k) + len(v) + 2 for k, v in os.environ.items())
    limit = max(min(os.sysconf("SC_ARG_MAX") - 2048 - environ, 2**17), 2**12)
    base = sum(len(part.encode()) + 1 for part in cmd)
    chunks: list[list[str]] = []
    current: list[str] = []
    length = base
    for name in files:
        size = len(name.encode()) + 1
        if current and length + size > limit:
            chunks.append(cmd + current)
            current, length = [], base
        current.append(name)
        length += size
    chunks.append(cmd + current)
    return chunks
