"""Hostile input through the command line (SPEC 3.2, 11): bad ids and Pod names, symlinks
in the overlay and the store, FIFOs, huge and deeply nested files, YAML that would build
objects. Every case ends in a diagnostic or a one-line error with exit 1 or 2, never a
traceback, never a hang, and never a write outside the overlay.

Property-based fuzzing of the parsers themselves is in test_fuzz.py.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.overlay import TICKETS, small_workspace
from harness.workers import Result, Worker, cli_job
from yoi_ticket.errors import InvalidNameError
from yoi_ticket.files.textfile import MAX_FILE_BYTES
from yoi_ticket.overlay.claims import claim, release
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.launch import run_launch
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.overlay.sessions import link_tickets, record_session

TICKET = TICKETS[0]
CLAIM_JSON = {
    "version": 1,
    "ticket_id": TICKET,
    "pod_name": "victim",
    "role": "coder",
    "claimed_at": "2026-06-01T00:00:00Z",
    "host": "elsewhere",
}


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    root = tmp_path_factory.mktemp("hostile")
    home = root / "home"
    home.mkdir()
    process = Worker(root, "hostile", env={"HOME": str(home), "YOI_HOME": str(home / "yoi")})
    yield process
    process.close()


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


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scene:
    data = tmp_path / "data"
    monkeypatch.setenv("YOI_DATA_DIR", str(data))
    monkeypatch.setenv("YOI_RUNTIME_DIR", str(data / "run"))
    overlay = Overlay.for_workspace(small_workspace(tmp_path), Locations(data, data / "run"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.json").write_text(json.dumps(CLAIM_JSON))
    os.mkfifo(outside / "fifo")
    return Scene(tmp_path, overlay, outside)


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


# --- the ticket store and the config --------------------------------------------------


def doctor_json(worker: Worker, scene: Scene) -> list[dict[str, object]]:
    result = cli(worker, scene, "doctor", "--no-local", "--format", "json", ok=(0, 1))
    diagnostics: list[dict[str, object]] = json.loads(result.out)["diagnostics"]
    return diagnostics


def messages_for(diagnostics: list[dict[str, object]], path: str) -> list[str]:
    return [str(d["message"]) for d in diagnostics if str(d["path"]).endswith(path)]


@pytest.mark.parametrize("name", ["item.md", "thread.md", "artifacts/relations.json"])
def test_a_fifo_in_a_ticket_is_reported_not_waited_on(
    worker: Worker, scene: Scene, name: str
) -> None:
    path = scene.store / TICKET / name
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    diagnostics = doctor_json(worker, scene)
    assert any("not a regular file" in m for m in messages_for(diagnostics, name)), diagnostics
    cli(worker, scene, "list", ok=(0,))
    cli(worker, scene, "show", TICKET, ok=(0, 1))


@pytest.mark.parametrize(
    "content",
    [
        "fifo",
        "a = " + "[" * 50_000,
        "[roles]\n" + "x = 1\n" * 10 + '"../evil" = {}\n',
        "\xff not utf-8",
    ],
    ids=["fifo", "deep", "role-name", "not-utf8"],
)
def test_a_hostile_config_is_a_one_line_error(worker: Worker, scene: Scene, content: str) -> None:
    config = scene.workspace / ".yoi" / "ticket.config.toml"
    config.unlink()
    if content == "fifo":
        os.mkfifo(config)
    else:
        config.write_bytes(content.encode("utf-8", "surrogateescape"))
    for command in (("list",), ("doctor",), CLAIM_C2):
        result = cli(worker, scene, *command, ok=(1, 2))
        if content != "[roles]\n" + "x = 1\n" * 10 + '"../evil" = {}\n':
            assert result.rc == 2 and "ticket.config.toml" in result.err
    cli(worker, scene, "claim", TICKET, "--pod", "c2", "--role", "../evil", ok=(2,))


ITEM_HEAD = "---\ntitle: t\nstate: ready\ncreated_at: 2026-06-01T00:00:00Z\n"


def billion_laughs() -> str:
    lines = ['a0: &a0 "lol"']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


HOSTILE_ITEMS = {
    "billion laughs": (ITEM_HEAD + billion_laughs() + "---\n").encode(),
    "python object": (
        ITEM_HEAD + "x: !!python/object/apply:os.system ['touch {marker}']\n---\n"
    ).encode(),
    "python name": (ITEM_HEAD + "x: !!python/name:os.system\n---\n").encode(),
    "deep flow": (ITEM_HEAD + "x: " + "[" * 100_000 + "\n---\n").encode(),
    "deep block": (ITEM_HEAD + "x:\n" + "- " * 50_000 + "y\n---\n").encode(),
    "invalid utf-8": (ITEM_HEAD + "---\nbody \xff\xfe\n").encode("latin-1"),
    "nul": (ITEM_HEAD + "title2: a\x00b\n---\n").encode(),
    "bom crlf": b"\xef\xbb\xbf" + (ITEM_HEAD + "---\nbody\n").replace("\n", "\r\n").encode(),
    "huge": b"",  # filled below: over the size limit
    "no frontmatter": b"\x00" * 1000,
    "unclosed": (ITEM_HEAD * 1000).encode(),
}


@pytest.mark.parametrize("case", HOSTILE_ITEMS, ids=str)
def test_hostile_item_files_give_diagnostics(worker: Worker, scene: Scene, case: str) -> None:
    item = scene.store / TICKET / "item.md"
    marker = scene.root / "marker"
    content = HOSTILE_ITEMS[case].replace(b"{marker}", bytes(marker))
    if case == "huge":
        content = (ITEM_HEAD + "---\n").encode() + b"x" * (MAX_FILE_BYTES + 10)
    item.write_bytes(content)
    diagnostics = doctor_json(worker, scene)
    found = messages_for(diagnostics, f"{TICKET}/item.md")
    if case == "bom crlf":
        assert not any("frontmatter" in m for m in found), found
    else:
        assert found, diagnostics
    cli(worker, scene, "list", ok=(0,))
    cli(worker, scene, "show", TICKET, ok=(0, 1))
    cli(worker, scene, *CLAIM_C2, ok=(0,))
    assert not marker.exists()


def test_a_thread_header_with_an_unclosed_quote_is_read_in_linear_time(
    worker: Worker, scene: Scene
) -> None:
    """Regression: scanning for the next attribute after an unclosed quote was quadratic,
    hours for a header line of a few megabytes."""
    thread = scene.store / TICKET / "thread.md"
    thread.write_text('<!-- event: comment author: "x" at: "' + "x" * 4_000_000 + " -->\n")
    started = time.monotonic()
    diagnostics = doctor_json(worker, scene)
    assert time.monotonic() - started < 20
    assert messages_for(diagnostics, f"{TICKET}/thread.md")


def test_a_relations_file_with_many_entries_is_read_in_linear_time(
    worker: Worker, scene: Scene
) -> None:
    """Regression: the line of each relation was found by counting from the file start."""
    relations = scene.store / TICKET / "artifacts" / "relations.json"
    entry = {
        "ticket_id": TICKET,
        "kind": "related",
        "target": TICKETS[1],
        "note": "",
        "author": "a",
        "at": "2026-06-01T00:00:00Z",
    }
    relations.write_text(json.dumps({"version": 1, "relations": [entry] * 100_000}, indent=1))
    started = time.monotonic()
    doctor_json(worker, scene)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("shape", ["self-loop", "two-loop", "escaping dir", "escaping file"])
def test_symlink_loops_and_escapes_in_the_store_are_reported(
    worker: Worker, scene: Scene, shape: str
) -> None:
    store = scene.store
    if shape == "self-loop":
        (store / "00001KSKBPZZZ").symlink_to(store / "00001KSKBPZZZ")
    elif shape == "two-loop":
        (store / "00001KSKBPZZ0").symlink_to(store / "00001KSKBPZZ1")
        (store / "00001KSKBPZZ1").symlink_to(store / "00001KSKBPZZ0")
    elif shape == "escaping dir":
        shutil.copytree(store / TICKET, scene.outside / "ticket")
        (store / "00001KSKBPZZ2").symlink_to(scene.outside / "ticket")
    else:
        artifact = store / TICKET / "artifacts" / "secret.md"
        artifact.symlink_to(scene.outside / "victim.json")
        (store / TICKETS[1] / "thread.md").unlink()
        (store / TICKETS[1] / "thread.md").symlink_to(store / TICKETS[1] / "thread.md")
    diagnostics = doctor_json(worker, scene)
    assert diagnostics
    cli(worker, scene, "list", ok=(0, 1, 2))
    cli(worker, scene, "show", TICKET, ok=(0, 1))
    cli(worker, scene, *CLAIM_C2, ok=(0,))
