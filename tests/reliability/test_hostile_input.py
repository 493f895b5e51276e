"""Hostile input through the command line (SPEC 3.2, 11): bad ids and Pod names, and
symlinks, FIFOs, junk, huge and deeply nested files in the overlay and the Pod registry.
Every case ends in a diagnostic or a one-line error with exit 1 or 2, never a
traceback, never a hang, and never a write outside the overlay.

The ticket store and the config are in test_hostile_store.py; property-based fuzzing of
the parsers themselves is in test_fuzz.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.hostile import CLAIM_JSON, TICKET, Scene, cli, make_scene, start_worker
from harness.workers import Worker
from yoi_ticket.errors import InvalidNameError
from yoi_ticket.overlay.claims import claim, release
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.launch import run_launch
from yoi_ticket.overlay.sessions import link_tickets, record_session


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    process = start_worker(tmp_path_factory.mktemp("hostile"))
    yield process
    process.close()


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scene:
    data = tmp_path / "data"
    monkeypatch.setenv("YOI_DATA_DIR", str(data))
    monkeypatch.setenv("YOI_RUNTIME_DIR", str(data / "run"))
    return make_scene(tmp_path)


# --- ticket ids and Pod names -------------------------------------------------------

BAD_NAMES = ["", ".", "..", "../escape", "a/b", "/etc", "a\\b", "x" * 300, "tab\there", "\udcff"]


def name_commands(bad: str) -> list[tuple[str, ...]]:
    return [
        ("claim", bad, "--pod", "p", "--role", "coder", "--allow-missing"),
        ("release", bad, "--pod", "p"),
        ("reclaim", bad, "--pod", "p", "--role", "coder", "--allow-missing"),
        ("launch", bad, "--pod", "p", "--role", "coder", "--allow-missing", "--", "true"),
        ("session", "link", bad, "--pod", "p"),
        ("session", "record", "--pod", "p", "--role", "intake", "--ticket", bad),
        ("claim", TICKET, "--pod", bad, "--role", "coder"),
        ("release", TICKET, "--pod", bad),
        ("launch", TICKET, "--pod", bad, "--role", "coder", "--", "true"),
        ("session", "record", "--pod", bad, "--role", "intake"),
        ("claim", TICKET, "--pod", "p", "--role", bad),
    ]


@pytest.mark.parametrize("bad", BAD_NAMES, ids=repr)
def test_bad_ids_pod_names_and_roles_are_refused_before_any_write(
    worker: Worker, scene: Scene, bad: str
) -> None:
    for command in name_commands(bad):
        result = cli(worker, scene, *command, ok=(2,))
        assert result.err.startswith(("error: invalid ", "error: unknown role")), result.err
        assert not scene.overlay.locations.data_dir.exists(), command
    shown = cli(worker, scene, "show", bad)
    assert shown.err.startswith("error: ")


def test_an_id_that_is_not_utf8_in_a_real_argv_is_refused(scene: Scene) -> None:
    args = [b"claim", b"\xff\xfe", b"--pod", b"p", b"--role", b"coder", b"--allow-missing"]
    done = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"yoi_ticket", *args, b"-C", bytes(scene.workspace)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(b"error: invalid ticket id") and b"UTF-8" in done.stderr
    assert not scene.overlay.locations.data_dir.exists()


@pytest.mark.parametrize("bad", ["nul\x00byte", "\x00", "..", "a/b", "x" * 201])
def test_the_python_api_refuses_the_same_names_including_nul(scene: Scene, bad: str) -> None:
    overlay = scene.overlay
    attempts: list[Callable[[], object]] = [
        lambda: claim(overlay, bad, "p", "coder", allow_missing=True),
        lambda: claim(overlay, TICKET, bad, "coder"),
        lambda: release(overlay, bad, "p"),
        lambda: release(overlay, TICKET, bad),
        lambda: record_session(overlay, bad, "intake"),
        lambda: record_session(overlay, "p", "intake", tickets=[bad]),
        lambda: link_tickets(overlay, "p", [bad]),
        lambda: run_launch(overlay, bad, "p", "coder", ["true"], allow_missing=True),
        lambda: run_launch(overlay, TICKET, bad, "coder", ["true"]),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidNameError):
            attempt()
    assert not overlay.locations.data_dir.exists()


# --- symlinks, FIFOs and junk in the overlay -------------------------------------------

CLAIM_C2 = ("claim", TICKET, "--pod", "c2", "--role", "coder")


def prepared(scene: Scene) -> Overlay:
    """The overlay with a claim by c1 and a role session."""
    claim(scene.overlay, TICKET, "c1", "coder")
    return scene.overlay


def replace_with_link(path: Path, target: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target)


@pytest.mark.parametrize("target", ["victim.json", "fifo", "missing", "loop"])
def test_a_claim_file_replaced_by_a_symlink_is_never_followed(
    worker: Worker, scene: Scene, target: str
) -> None:
    overlay = prepared(scene)
    link = overlay.claim_path(TICKET)
    replace_with_link(link, link if target == "loop" else scene.outside / target)
    for command in (
        CLAIM_C2,
        ("claim", TICKET, "--pod", "c1", "--role", "coder"),
        ("release", TICKET, "--pod", "c1", "--force"),
        ("reclaim", TICKET, "--pod", "c2", "--role", "coder", "--force"),
        ("launch", TICKET, "--pod", "c2", "--role", "coder", "--", "true"),
    ):
        result = cli(worker, scene, *command, ok=(1, 2) if target != "missing" else (0, 1, 2))
        if target != "missing":
            assert "symbolic link" in result.err, (command, result.err)
    listed = cli(worker, scene, "claims", ok=(0,))
    assert ("symbolic link" in listed.err) == (target != "missing") or target == "missing"
    doctor = cli(worker, scene, "doctor", "--select", "YT4", "--format", "json", ok=(0, 1))
    codes = {d["code"] for d in json.loads(doctor.out)["diagnostics"]}
    assert "YT403" in codes or target == "missing"
    assert json.loads((scene.outside / "victim.json").read_text()) == CLAIM_JSON


@pytest.mark.parametrize("folder", ["root", "ticket-claims", "pending", "locks"])
def test_an_overlay_folder_replaced_by_a_symlink_is_refused_by_writers(
    worker: Worker, scene: Scene, folder: str
) -> None:
    overlay = prepared(scene)
    path = overlay.root if folder == "root" else overlay.root / folder
    moved = scene.root / "moved"
    shutil.move(str(path), moved)
    path.symlink_to(scene.outside)
    for command in (
        CLAIM_C2,
        ("release", TICKET, "--pod", "c1"),
        ("launch", TICKET, "--pod", "c2", "--role", "coder", "--", "true"),
        ("session", "record", "--pod", "s1", "--role", "intake"),
    ):
        result = cli(worker, scene, *command, ok=(1, 2) if command[0] == "release" else (2,))
        if result.rc == 2:
            assert "is a symbolic link" in result.err, result.err
        else:  # nothing to release behind the link: nothing was written either
            assert "has no local claim" in result.err, result.err
    assert sorted(p.name for p in scene.outside.iterdir()) == ["fifo", "victim.json"]


@pytest.mark.parametrize("name", ["role-sessions.json", "history.jsonl", "workspace.json"])
@pytest.mark.parametrize("target", ["victim.json", "fifo"])
def test_overlay_files_replaced_by_symlinks_are_refused_by_writers(
    worker: Worker, scene: Scene, name: str, target: str
) -> None:
    overlay = prepared(scene)
    replace_with_link(overlay.root / name, scene.outside / target)
    for command in (CLAIM_C2, ("release", TICKET, "--pod", "c1")):
        result = cli(worker, scene, *command, ok=(2,))
        assert "symbolic link" in result.err, result.err
    cli(worker, scene, "sessions", ok=(0, 1, 2))
    cli(worker, scene, "claims", ok=(0,))
    cli(worker, scene, "doctor", ok=(0, 1))


@pytest.mark.parametrize("target", ["victim.json", "fifo", "loop"])
def test_a_lock_file_replaced_by_a_symlink_is_a_clear_error(
    worker: Worker, scene: Scene, target: str
) -> None:
    overlay = prepared(scene)
    lock = overlay.locks_dir / "claims.lock"
    replace_with_link(lock, lock if target == "loop" else scene.outside / target)
    result = cli(worker, scene, *CLAIM_C2, ok=(2,))
    assert result.err.startswith(f"error: cannot lock {lock}: ")
    assert json.loads((scene.outside / "victim.json").read_text()) == CLAIM_JSON


def test_a_pending_record_replaced_by_a_fifo_symlink_never_blocks(
    worker: Worker, scene: Scene
) -> None:
    overlay = scene.overlay
    overlay.ensure()
    replace_with_link(overlay.pending_path(TICKET), scene.outside / "fifo")
    doctor = cli(worker, scene, "doctor", "--select", "YT4", "--format", "json", ok=(0, 1))
    assert "YT403" in {d["code"] for d in json.loads(doctor.out)["diagnostics"]}
    cli(worker, scene, "launch", TICKET, "--pod", "c1", "--role", "coder", "--", "true", ok=(0,))
    assert list(overlay.pending_dir.iterdir()) == []  # the dead link was replaced, then removed


JUNK = {
    "truncated": b'{"version": 1, "ticket_id": "' + TICKET.encode(),
    "not utf-8": b'{"version": 1, "ticket_id": "\xff\xfe"}',
    "nul bytes": b"\x00" * 64,
    "bom": b"\xef\xbb\xbf" + json.dumps(CLAIM_JSON).encode(),
    "deep": b"[" * 100_000,
    "a list": b"[1, 2, 3]",
    "wrong types": json.dumps({**CLAIM_JSON, "ticket_id": 7}).encode(),
    "newer version": json.dumps({**CLAIM_JSON, "version": 99}).encode(),
    "empty": b"",
}


@pytest.mark.parametrize("junk", JUNK, ids=str)
def test_junk_overlay_files_are_reported_never_crash(
    worker: Worker, scene: Scene, junk: str
) -> None:
    overlay = prepared(scene)
    overlay.claim_path(TICKET).write_bytes(JUNK[junk])
    overlay.sessions_path.write_bytes(JUNK[junk])
    registry = overlay.locations.pod_registry
    registry.parent.mkdir(parents=True)
    registry.write_bytes(JUNK[junk])
    for command in (
        CLAIM_C2,
        ("release", TICKET, "--pod", "c1"),
        ("session", "record", "--pod", "s1", "--role", "intake"),
        ("sessions",),
        ("claims",),
        ("claims", "--format", "json"),
        ("doctor",),
        ("list",),
        ("show", TICKET),
        ("workspace",),
    ):
        cli(worker, scene, *command, ok=(0, 1, 2))
    assert overlay.claim_path(TICKET).read_bytes() == JUNK[junk]
    assert overlay.sessions_path.read_bytes() == JUNK[junk]


def test_an_overlay_file_over_the_size_limit_is_not_read(worker: Worker, scene: Scene) -> None:
    overlay = prepared(scene)
    with open(overlay.sessions_path, "r+b") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse: no disk used
    result = cli(worker, scene, *CLAIM_C2, ok=(2,))
    assert "larger than" in result.err


@pytest.mark.parametrize("content", ["fifo", "deep", "huge"])
def test_a_hostile_pod_registry_never_hangs_or_crashes(
    worker: Worker, scene: Scene, content: str
) -> None:
    overlay = prepared(scene)
    registry = overlay.locations.pod_registry
    registry.parent.mkdir(parents=True)
    if content == "fifo":
        os.mkfifo(registry)
    elif content == "deep":
        registry.write_text('{"allocations": ' + "[" * 100_000)
    else:
        with open(registry, "wb") as handle:
            handle.truncate(65 * 1024 * 1024)
    cli(worker, scene, "claims", ok=(0,))
    cli(worker, scene, *CLAIM_C2, ok=(1,))
    doctor = cli(worker, scene, "doctor", "--select", "YT4", "--format", "json", ok=(0, 1))
    assert "YT403" in {d["code"] for d in json.loads(doctor.out)["diagnostics"]}


@pytest.mark.parametrize("target", ["victim.json", "fifo", "folder", "missing"])
def test_fix_removes_a_temp_symlink_out_of_the_overlay_never_its_target(
    worker: Worker, scene: Scene, target: str
) -> None:
    """A leftover temp name (``.tmp-<dead pid>-<hex>``) that is a symlink out of the overlay:
    --fix removes the link itself (it once kept it "in use again" and reported it forever)
    and nothing outside the overlay changes, which ``cli`` checks."""
    overlay = prepared(scene)
    outside = scene.outside / target
    if target == "folder":
        outside.mkdir()
        (outside / "kept").write_text("kept")
    link = overlay.claims_dir / ".tmp-999999999-0123456789ab"  # no such pid
    link.symlink_to(outside)
    before = cli(worker, scene, "doctor", "--select", "YT407", "--format", "json", ok=(0, 1))
    assert [d["path"] for d in json.loads(before.out)["diagnostics"]] == [str(link)]
    fixed = cli(worker, scene, "doctor", "--select", "YT407", "--fix", ok=(0,))
    assert fixed.err == (
        f"removed leftover temporary file {link}\nFixed 1 finding: 1 leftover temporary file.\n"
    )
    assert not os.path.lexists(link)
    after = cli(worker, scene, "doctor", "--select", "YT407", "--format", "json", ok=(0,))
    assert json.loads(after.out)["diagnostics"] == []
