"""Permissions and other users (SPEC 5.1, 11): overlay folders 0700 and files 0600 whatever
the umask; an overlay that another user owns or may write, or a symlink put in its place,
is reported by doctor (YT411) and refused by every command that writes.

Tests run as root here: "owned by another user" is simulated with ``os.chown`` to another
uid, which only root can do (skipped otherwise).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.checks import check_overlay
from harness.overlay import TICKETS, small_workspace
from harness.workers import Result, Worker, cli_job
from yoi_ticket.overlay.claims import claim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import Locations

pytestmark = pytest.mark.slow  # a stress run: not part of the oldest-versions pass

TICKET = TICKETS[0]
OTHER_UID = 54321


@pytest.fixture
def overlay(tmp_path: Path) -> Overlay:
    data = tmp_path / "data"
    return Overlay.for_workspace(small_workspace(tmp_path), Locations(data, data / "run"))


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    root = tmp_path_factory.mktemp("permissions")
    process = Worker(root, "perm", env={"HOME": str(root), "YOI_HOME": str(root / "yoi")})
    yield process
    process.close()


def yoi(worker: Worker, overlay: Overlay, *args: str, umask: int = 0o022) -> Result:
    """Run ``yoi-ticket ARGS`` (in a fresh process) on the overlay's workspace with ``umask``."""
    done = worker.run({**cli_job(overlay, *args), "umask": umask}, timeout=60)
    assert "Traceback" not in done.err and "internal error" not in done.err, done.err
    return done


def modes(root: Path) -> dict[str, int]:
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root)] = stat.S_IMODE(os.lstat(path).st_mode)
    found["."] = stat.S_IMODE(os.lstat(root).st_mode)
    return found


@pytest.mark.parametrize("umask", [0o000, 0o002, 0o077], ids=lambda m: f"umask-{m:03o}")
def test_every_overlay_folder_is_0700_and_every_file_0600_whatever_the_umask(
    worker: Worker, overlay: Overlay, umask: int
) -> None:
    steps = [
        ("claim", TICKET, "--pod", "c1", "--role", "coder"),
        ("session", "record", "--pod", "i1", "--role", "intake"),
        ("release", TICKET, "--pod", "c1"),
        # --grace 0: the launch's claim is stale at once, so that reclaim may take it
        ("launch", TICKET, "--pod", "c2", "--role", "coder", "--grace", "0", "--", "true"),
        ("reclaim", TICKET, "--pod", "c3", "--role", "coder"),
    ]
    for step in steps:
        done = yoi(worker, overlay, *step, umask=umask)
        assert done.rc == 0, done.err
    found = modes(overlay.locations.data_dir)
    assert {"workspaces", f"workspaces/{overlay.identity.key}/ticket-claims"} <= set(found)
    assert any(name.endswith("claims.lock") for name in found)
    assert any(name.endswith("history.jsonl") for name in found)
    for name, mode in found.items():
        is_dir = os.path.isdir(overlay.locations.data_dir / name)
        assert mode == (0o700 if is_dir else 0o600), f"{name}: {mode:o}"
    assert check_overlay(overlay) == []


def doctor_411(worker: Worker, overlay: Overlay) -> list[dict[str, str]]:
    done = yoi(worker, overlay, "doctor", "--select", "YT411", "--format", "json")
    assert done.rc == 1, done.err
    found: list[dict[str, str]] = json.loads(done.out)["diagnostics"]
    assert {d["code"] for d in found} == {"YT411"}
    return found


WRITERS = [
    ("claim", TICKET, "--pod", "c2", "--role", "coder"),
    ("release", TICKET, "--pod", "c1"),
    ("reclaim", TICKET, "--pod", "c2", "--role", "coder"),
    ("launch", TICKET, "--pod", "c2", "--role", "coder", "--", "true"),
    ("session", "record", "--pod", "i1", "--role", "intake"),
    ("session", "link", TICKET, "--pod", "c1"),
]


def overlay_files(overlay: Overlay) -> dict[Path, bytes]:
    return {
        path: path.read_bytes()
        for path in sorted(overlay.root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def assert_refused_and_unchanged(worker: Worker, overlay: Overlay, wanted: str) -> None:
    before = overlay_files(overlay)
    for command in WRITERS:
        done = yoi(worker, overlay, *command)
        assert done.rc == 2, (command, done.out, done.err)
        first, *rest = done.err.splitlines()
        assert first.startswith("error: refusing to write the overlay: ") and wanted in first
        assert rest and rest[0].startswith("hint: ")
    assert overlay_files(overlay) == before


@pytest.mark.parametrize("part", ["root", "ticket-claims", "pending", "locks", "workspaces"])
@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_a_folder_others_may_write_is_reported_and_refused(
    worker: Worker, overlay: Overlay, part: str, mode: int
) -> None:
    claim(overlay, TICKET, "c1", "coder")
    folder = {"root": overlay.root, "workspaces": overlay.locations.workspaces_dir}.get(
        part, overlay.root / part
    )
    folder.chmod(mode)
    (finding,) = doctor_411(worker, overlay)
    assert finding["path"] == str(folder)
    assert finding["message"] == f"overlay folder is writable by other users (mode {mode:o})"
    assert_refused_and_unchanged(worker, overlay, f"{folder} is writable by other users")
    assert yoi(worker, overlay, "claims").rc == 0  # reading is still fine
    folder.chmod(0o700)
    assert yoi(worker, overlay, *WRITERS[0]).rc == 1  # c1 holds it: refused as a claim


@pytest.mark.parametrize("name", ["role-sessions.json", "history.jsonl", "workspace.json"])
def test_a_record_file_others_may_write_is_reported_and_refused(
    worker: Worker, overlay: Overlay, name: str
) -> None:
    claim(overlay, TICKET, "c1", "coder")
    (overlay.root / name).chmod(0o666)
    (finding,) = doctor_411(worker, overlay)
    assert finding["message"] == "overlay file is writable by other users (mode 666)"
    assert_refused_and_unchanged(worker, overlay, f"{name} is writable by other users")


needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can chown to another uid"
)


@needs_root
@pytest.mark.parametrize("part", ["root", "ticket-claims", "workspaces", "role-sessions.json"])
def test_an_overlay_owned_by_another_user_is_reported_and_refused(
    worker: Worker, overlay: Overlay, part: str
) -> None:
    claim(overlay, TICKET, "c1", "coder")
    path = {"root": overlay.root, "workspaces": overlay.locations.workspaces_dir}.get(
        part, overlay.root / part
    )
    os.chown(path, OTHER_UID, OTHER_UID)
    (finding,) = doctor_411(worker, overlay)
    assert finding["path"] == str(path)
    assert f"is owned by uid {OTHER_UID}, not by this user (uid 0)" in finding["message"]
    assert_refused_and_unchanged(worker, overlay, f"is owned by uid {OTHER_UID}")
    os.chown(path, 0, 0)
    assert yoi(worker, overlay, "release", TICKET, "--pod", "c1").rc == 0


def move_behind_a_symlink(overlay: Overlay, elsewhere: Path) -> Path:
    """Move the overlay folder to ``elsewhere`` and leave a symlink to it in its place."""
    overlay.root.rename(elsewhere)
    overlay.root.symlink_to(elsewhere)
    return elsewhere


def test_a_symlinked_overlay_is_reported_by_doctor(
    worker: Worker, overlay: Overlay, tmp_path: Path
) -> None:
    claim(overlay, TICKET, "c1", "coder")
    move_behind_a_symlink(overlay, tmp_path / "elsewhere")
    (finding,) = doctor_411(worker, overlay)
    assert finding["path"] == str(overlay.root)
    assert "is a symbolic link" in finding["message"]
    assert_refused_and_unchanged(worker, overlay, "is a symbolic link")


def test_a_workspaces_folder_reached_through_a_private_symlink_is_fine(
    worker: Worker, tmp_path: Path
) -> None:
    """The data dir may live elsewhere (a symlinked ~/.local/share): only the overlay
    folders themselves must be real folders."""
    real = tmp_path / "real-data"
    real.mkdir(mode=0o700)
    link = tmp_path / "data-link"
    link.symlink_to(real)
    overlay = Overlay.for_workspace(small_workspace(tmp_path), Locations(link, link / "run"))
    assert yoi(worker, overlay, "claim", TICKET, "--pod", "c1", "--role", "coder").rc == 0
    assert (real / "workspaces" / overlay.identity.key / "ticket-claims").is_dir()
    assert overlay.trust_problems() == []


def test_fix_removes_nothing_through_a_symlinked_overlay(
    worker: Worker, overlay: Overlay, tmp_path: Path
) -> None:
    """Regression: --fix removed leftover temp files behind a symlinked overlay folder."""
    claim(overlay, TICKET, "c1", "coder")
    elsewhere = move_behind_a_symlink(overlay, tmp_path / "elsewhere")
    temp = elsewhere / "ticket-claims" / ".tmp-999999999-0123456789ab"  # no such pid
    temp.write_bytes(b"")
    done = yoi(worker, overlay, "doctor", "--select", "YT4", "--fix")
    assert done.rc == 2, done.err
    assert done.err.startswith(f"error: refusing to write the overlay: {overlay.root} is a symb")
    assert temp.exists()
