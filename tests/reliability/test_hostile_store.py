"""Hostile input in the ticket store and the config through the command line (SPEC 3.2,
11): FIFOs, hostile configs, YAML that would build objects, huge and deeply nested
files, symlink loops and escapes. Every case ends in a diagnostic or a one-line error
with exit 1 or 2, never a traceback, never a hang, and never a write outside the overlay.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.hostile import TICKET, Scene, cli, make_scene, start_worker
from harness.overlay import TICKETS
from harness.workers import Worker
from yoi_ticket.files.textfile import MAX_FILE_BYTES


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


CLAIM_C2 = ("claim", TICKET, "--pod", "c2", "--role", "coder")


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


@pytest.mark.parametrize("shape", ["root", "outside store", ".yoi", "configured root"])
def test_a_store_that_resolves_outside_the_workspace_is_never_read(
    worker: Worker, scene: Scene, shape: str
) -> None:
    """``.yoi/tickets -> /`` listed bin, etc... as tickets: a store root, or ``.yoi``, that
    resolves outside the workspace is refused by every reader and reported by doctor."""
    yoi = scene.workspace / ".yoi"
    elsewhere = scene.outside / "store"
    shutil.copytree(scene.store, elsewhere)  # real tickets, outside the workspace
    if shape == ".yoi":
        shutil.move(yoi, scene.outside / "yoi")
        yoi.symlink_to(scene.outside / "yoi")
        relative, target = ".yoi", scene.outside / "yoi"
    elif shape == "configured root":
        (yoi / "ticket.config.toml").write_text('[backend]\nroot = "data/tickets"\n')
        (scene.workspace / "data").symlink_to(scene.outside)
        relative, target = "data/tickets", scene.outside / "tickets"
    else:
        shutil.rmtree(scene.store)
        target = Path("/") if shape == "root" else elsewhere
        scene.store.symlink_to(target)
        relative = ".yoi/tickets"
    reason = f"{relative} resolves outside the workspace, to {target}"
    for args in (("list",), ("show", TICKET), CLAIM_C2):
        done = cli(worker, scene, *args, ok=(2,))
        assert done.out == ""
        assert done.err.splitlines()[0] == f"error: refusing to read the ticket store: {reason}"
    diagnostics = doctor_json(worker, scene)
    assert [(d["code"], d["path"], d["message"]) for d in diagnostics] == [
        ("YT122", relative, f"{reason}; not read")
    ]
    staged = cli(worker, scene, "doctor", "--staged", "--format", "json", ok=(1,))
    assert [d["code"] for d in json.loads(staged.out)["diagnostics"]] == ["YT122"]
