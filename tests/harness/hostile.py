"""The hostile-input scene: a workspace, its overlay and a folder outside both, and a
CLI run that must end in a diagnostic or a one-line error and change nothing outside
the overlay (shared by the hostile-input tests)."""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from harness.overlay import TICKETS, small_workspace
from harness.workers import Result, Worker, cli_job
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import Locations

TICKET = TICKETS[0]
CLAIM_JSON = {
    "version": 1,
    "ticket_id": TICKET,
    "pod_name": "victim",
    "role": "coder",
    "claimed_at": "2026-06-01T00:00:00Z",
    "host": "elsewhere",
}


@dataclass
class Scene:
    """A workspace, its overlay (not created yet) and a folder outside both."""

    root: Path
    overlay: Overlay
    outside: Path

    @property
    def workspace(self) -> Path:
        return self.overlay.workspace

    @property
    def store(self) -> Path:
        return self.workspace / ".yoi" / "tickets"


def make_scene(tmp_path: Path) -> Scene:
    """The scene under ``tmp_path``; the caller points YOI_DATA_DIR and YOI_RUNTIME_DIR at
    ``scene.overlay.locations``."""
    data = tmp_path / "data"
    overlay = Overlay.for_workspace(small_workspace(tmp_path), Locations(data, data / "run"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.json").write_text(json.dumps(CLAIM_JSON))
    os.mkfifo(outside / "fifo")
    return Scene(tmp_path, overlay, outside)


def start_worker(root: Path) -> Worker:
    """A worker with its own HOME and YOI_HOME under ``root``."""
    home = root / "home"
    home.mkdir()
    return Worker(root, "hostile", env={"HOME": str(home), "YOI_HOME": str(home / "yoi")})


def tree(root: Path, skip: Path) -> dict[str, tuple[int, int, int, str]]:
    """Every entry under ``root`` but ``skip`` (and the folders above it): type and mode,
    size, modification time, link target. Symlinks are not followed."""
    state = {}
    above = {str(skip), *map(str, skip.parents)}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            if path in above or path.startswith(str(skip) + os.sep):
                continue
            info = os.lstat(path)
            target = os.readlink(path) if stat.S_ISLNK(info.st_mode) else ""
            state[path] = (info.st_mode, info.st_size, info.st_mtime_ns, target)
    return state


def cli(worker: Worker, scene: Scene, *args: str, ok: tuple[int, ...] = (1, 2)) -> Result:
    """Run ``yoi-ticket ARGS``: no traceback, an allowed exit code, a one-line error, no
    change anywhere under the scene but inside the overlay."""
    before = tree(scene.root, scene.overlay.root)
    started = time.monotonic()
    result = worker.run(cli_job(scene.overlay, *args), timeout=60)
    assert time.monotonic() - started < 30, f"{args} took too long"
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    assert result.rc in ok, (result.rc, result.out, result.err)
    if result.rc == 2:
        lines = result.err.splitlines()
        assert lines[0].startswith("error: ") and len(lines) <= 2, result.err
        assert len(lines) == 1 or lines[1].startswith("hint: "), result.err
    assert tree(scene.root, scene.overlay.root) == before
    return result
