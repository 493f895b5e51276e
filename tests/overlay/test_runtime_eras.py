"""yoi's directories and both eras of its Pod (Worker) registry, from files written the
way yoi writes them (UPSTREAM.md sections 1 and 2), with real processes and real
listening Unix sockets for live Workers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.overlay import TICKETS, small_workspace
from yoi_ticket.overlay.claims import claim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.overlay.pods import PodStatusChecker, read_pod_registries

TICKET = TICKETS[0]


def pretty(data: object) -> str:
    return json.dumps(data, indent=2) + "\n"


def allocation(name_key: str, name: str, pid: int, sock: str | None) -> dict[str, object]:
    """One entry of yoi's allocation table (worker_allocation/table.rs)."""
    return {
        name_key: name,
        "pid": pid,
        "socket": sock,
        "scope_allow": [],
        "scope_deny": [],
        "delegated_from": None,
        "segment_id": None,
    }


def write_table(locations: Locations, file: str, *entries: dict[str, object]) -> None:
    locations.runtime_dir.mkdir(parents=True, exist_ok=True)
    (locations.runtime_dir / file).write_text(pretty({"allocations": list(entries)}))


def save_worker(data_dir: Path, folder: str, name: str, text: str | None = None) -> Path:
    path = data_dir / folder / name / "metadata.json"
    path.parent.mkdir(parents=True)
    path.write_text(text if text is not None else pretty({"name": name, "profile": "intake"}))
    return path


@pytest.fixture
def listening_socket() -> Iterator[str]:
    """A real Unix socket that accepts connections (short path: sun_path is 108 bytes)."""
    folder = tempfile.mkdtemp(prefix="yoi-sock-", dir="/tmp")
    path = os.path.join(folder, "worker.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    try:
        yield path
    finally:
        server.close()
        os.unlink(path)
        os.rmdir(folder)


@pytest.mark.parametrize(
    ("env", "data", "runtime", "legacy"),
    [
        ({"HOME": "/h"}, "/h/.local/share/yoi", "/h/.yoi/run", "/h/.yoi"),
        (
            {"HOME": "/h", "XDG_DATA_HOME": "/x/data", "XDG_RUNTIME_DIR": "/run/user/7"},
            "/x/data/yoi",
            "/run/user/7/yoi",
            "/h/.yoi",
        ),
        ({"HOME": "/h", "YOI_HOME": "/y", "XDG_RUNTIME_DIR": "/r"}, "/y", "/y/run", None),
        (
            {"HOME": "/h", "YOI_DATA_DIR": "/d", "YOI_RUNTIME_DIR": "/rt", "YOI_HOME": "/y"},
            "/d",
            "/rt",
            None,
        ),
        (  # set but empty counts as unset
            {"HOME": "/h", "YOI_HOME": "", "YOI_DATA_DIR": "", "XDG_DATA_HOME": ""},
            "/h/.local/share/yoi",
            "/h/.yoi/run",
            "/h/.yoi",
        ),
        ({"HOME": "/h", "XDG_DATA_HOME": "/h"}, "/h/yoi", "/h/.yoi/run", "/h/.yoi"),
    ],
)
def test_directories_resolve_as_yoi_resolves_them(
    env: dict[str, str], data: str, runtime: str, legacy: str | None
) -> None:
    locations = Locations.from_env(env)
    assert str(locations.data_dir) == data
    assert str(locations.runtime_dir) == runtime
    assert (str(locations.legacy_data_dir) if locations.legacy_data_dir else None) == legacy


def test_no_warning_without_xdg_runtime_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    workspace = small_workspace(tmp_path)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("YOI_", "XDG_")) and key != "HOME"
    }
    for command in (["workspace", "--format", "json"], ["list"], ["claims"]):
        done = subprocess.run(
            [sys.executable, "-m", "yoi_ticket", *command, "-C", str(workspace)],
            env={**env, "HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (done.returncode, done.stderr) == (0, ""), command
        if command[0] == "workspace":
            shown = json.loads(done.stdout)
            assert shown["data_dir"] == str(home / ".local" / "share" / "yoi")
            assert shown["runtime_dir"] == str(home / ".yoi" / "run")


def test_a_live_worker_blocks_a_duplicate_launch(
    workspace: Path, sleeper: subprocess.Popen[bytes], listening_socket: str
) -> None:
    overlay = Overlay.for_workspace(workspace)
    locations = overlay.locations
    launched = launch_cli(workspace, "ticket-intake-a")
    assert launched.returncode == 0, launched.stderr
    # The Worker registers as yoi does from 2026-06-29: workers.json and <data>/workers/.
    write_table(
        locations,
        "workers.json",
        allocation("worker_name", "ticket-intake-a", sleeper.pid, listening_socket),
    )
    save_worker(locations.data_dir, "workers", "ticket-intake-a")

    status = PodStatusChecker(locations).status("ticket-intake-a")
    assert (status.status, status.reachable, status.pid) == ("live", True, sleeper.pid)

    duplicate = launch_cli(workspace, "ticket-intake-dup")
    assert duplicate.returncode == 1
    assert "Pod 'ticket-intake-a' (role intake, status live)" in duplicate.stderr
    history = overlay.history_path.read_text().splitlines()
    assert [json.loads(line)["action"] for line in history] == ["claim"]


def yoi(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "-C", str(workspace), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def launch_cli(workspace: Path, pod: str) -> subprocess.CompletedProcess[str]:
    return yoi(workspace, "launch", TICKET, "--pod", pod, "--role", "intake", "--", "true")


def test_both_eras_at_once(
    overlay: Overlay, sleeper: subprocess.Popen[bytes], listening_socket: str
) -> None:
    locations = overlay.locations
    write_table(locations, "pods.json", allocation("pod_name", "old-era", sleeper.pid, None))
    write_table(
        locations,
        "workers.json",
        allocation("worker_name", "new-era", sleeper.pid, listening_socket),
    )
    save_worker(locations.data_dir, "pods", "saved-old")  # 2026-06-26 to 06-29: pods/
    save_worker(locations.data_dir, "workers", "saved-new")
    checker = PodStatusChecker(locations)
    assert {
        name: checker.status(name).status
        for name in ("old-era", "new-era", "saved-old", "saved-new", "nobody")
    } == {
        "old-era": "live",
        "new-era": "live",
        "saved-old": "restorable",
        "saved-new": "restorable",
        "nobody": "stale",
    }
    assert checker.status("new-era").reachable is True
    assert checker.status("old-era").reachable is None  # no socket to try


def test_an_empty_table_means_no_allocations(overlay: Overlay) -> None:
    locations = overlay.locations
    locations.runtime_dir.mkdir(parents=True)
    (locations.runtime_dir / "workers.json").write_text("")
    registry = read_pod_registries(locations)
    assert (registry.allocations, registry.error) == ((), None)


def test_corrupt_metadata_is_not_restorable_and_says_why(overlay: Overlay) -> None:
    path = save_worker(overlay.locations.data_dir, "workers", "broken", '{"name": "bro')
    status = PodStatusChecker(overlay.locations).status("broken")
    assert status.status == "stale"
    assert status.detail.startswith(f"not running; cannot restore: {path} does not parse")
    claim(overlay, TICKET, "broken", "coder")
    listed = yoi(overlay.workspace, "claims", "--format", "json")
    assert [row["status"] for row in json.loads(listed.stdout)["claims"]] == ["stale"]


def test_the_legacy_data_dir_of_older_yoi_is_read_for_saved_pods(tmp_path: Path) -> None:
    home = tmp_path / "home"
    locations = Locations.from_env({"HOME": str(home)})
    assert locations.legacy_data_dir == home / ".yoi"
    save_worker(home / ".yoi", "pods", "from-old-yoi")
    status = PodStatusChecker(locations, host="h").status("from-old-yoi", "h")
    assert status.status == "restorable"


def test_workspace_shows_every_directory_it_reads(
    workspace: Path, tmp_path: Path, yoi_home: Path
) -> None:
    from yoi_ticket.overlay.panel import panel_folder_name

    link = tmp_path / "alias"
    link.symlink_to(workspace, target_is_directory=True)
    panels = yoi_home / "panel" / "workspaces"
    canonical = panels / panel_folder_name(os.path.realpath(workspace))
    through_link = panels / panel_folder_name(str(link))
    for folder in (canonical, through_link, panels / panel_folder_name("/elsewhere")):
        folder.mkdir(parents=True)
    shown = json.loads(yoi(link, "workspace", "--format", "json").stdout)
    assert shown["panel_registries"] == [str(canonical), str(through_link)]
    assert shown["pod_registries"] == [
        str(yoi_home / "run" / "workers.json"),
        str(yoi_home / "run" / "pods.json"),
    ]
    text = yoi(link, "workspace").stdout
    assert f"\n  {through_link}\n" in text
