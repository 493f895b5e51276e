"""Helpers for the overlay tests: a small real workspace, the Pod registry, real processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.corpus import CORPUS, V2, copy_tree, init_repo
from yoi_ticket.overlay.folder import Overlay

TICKETS = ("00001KSKBPDVG", "00001KSKBPHRG", "00001KSKBPVH0", "00001KSQK9T6R")


def small_workspace(parent: Path, name: str = "ws") -> Path:
    """``<parent>/<name>``: the corpus config and four v2 tickets, committed to git."""
    source = CORPUS / V2 / ".yoi"
    workspace = parent / name
    store = workspace / ".yoi" / "tickets"
    store.mkdir(parents=True)
    shutil.copyfile(source / "ticket.config.toml", workspace / ".yoi" / "ticket.config.toml")
    for ticket in TICKETS:
        copy_tree(source / "tickets" / ticket, store / ticket)
    return init_repo(workspace)


def make_live(overlay: Overlay, *pods: tuple[str, int]) -> None:
    """Write the Pod registry: each ``(pod, pid)`` is an allocation (live while pid runs)."""
    registry = overlay.locations.pod_registry
    registry.parent.mkdir(parents=True, exist_ok=True)
    allocations = [{"pod_name": pod, "pid": pid} for pod, pid in pods]
    registry.write_text(json.dumps({"allocations": allocations}))


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def kill(pid: int) -> None:
    """SIGKILL ``pid`` unless it is already gone."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for(path: Path, timeout: float = 30) -> None:
    """Wait until ``path`` exists and is not empty."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.exists(), f"{path} never appeared"


def start_launch(
    overlay: Overlay, ticket_id: str, pod: str, pid_file: Path
) -> subprocess.Popen[bytes]:
    """A real ``launch`` (role coder) of a sleeping command that writes its pid to
    ``pid_file``; returns once the command runs and its pid is in the pending record
    (the launcher's last write before it waits). The launcher has its own process group,
    so a test can kill it whole."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "yoi_ticket", "launch", ticket_id),
            *("--pod", pod, "--role", "coder", "-C", str(overlay.workspace)),
            *("--", "sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"),
        ],
        start_new_session=True,
    )
    wait_for(pid_file)
    record = overlay.pending_path(ticket_id)
    deadline = time.monotonic() + 30
    while f'"command_pid": {pid_file.read_text().strip()}' not in _text(record):
        assert time.monotonic() < deadline, "the launch never recorded its command"
        time.sleep(0.01)
    return process


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
