"""Files other users own (SPEC 11): the whole way down to the overlay, and yoi's registries.

Writers refuse an overlay that another user could move or re-point: a folder from ``/``
down to the data dir that another user than root owns or may write (unless sticky), a
symlink on the way that another user owns, a symlinked ``workspaces/``. yoi's runtime
tables (``workers.json``, ``pods.json``), saved Pods' metadata and panel registry
folders that another user could have written are ignored: a forged entry never makes a
stale holder look live. Doctor reports both (YT411, YT418).

Tests run as root: "another user" is ``os.chown`` to an unused uid (skipped otherwise).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.overlay import TICKETS, small_workspace
from harness.panel import panel_folder, write_panel_claim
from harness.workers import Worker, cli_job
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.errors import RefusedError, UsageError
from yoi_ticket.overlay.claims import claim, list_claims, read_claim, reclaim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.overlay.pods import LIVE, RESTORABLE, STALE, PodStatusChecker

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can chown to another uid"
)

TICKET = TICKETS[0]
OTHER = 12345  # no such user here


def overlay_at(tmp_path: Path, data: Path, runtime: Path | None = None) -> Overlay:
    workspace = small_workspace(tmp_path)
    return Overlay.for_workspace(workspace, Locations(data, runtime or tmp_path / "run"))


def findings(overlay: Overlay, code: str) -> list[tuple[str, str]]:
    os.environ["YOI_DATA_DIR"] = str(overlay.locations.data_dir)
    os.environ["YOI_RUNTIME_DIR"] = str(overlay.locations.runtime_dir)
    report = run_doctor(overlay.workspace, DoctorOptions(select=(code,)))
    return [(d.path, d.message) for d in report.diagnostics]


@pytest.fixture(autouse=True)
def _dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    """``findings`` points doctor at each test's dirs; monkeypatch puts the variables back."""
    monkeypatch.setenv("YOI_DATA_DIR", "")
    monkeypatch.setenv("YOI_RUNTIME_DIR", "")


def every_file(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


# --- writers refuse an overlay another user could move -----------------------------------


def test_a_data_dir_another_user_owns_is_refused_and_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    os.chown(data, OTHER, OTHER)  # pre-created by someone else
    overlay = overlay_at(tmp_path, data)
    with pytest.raises(UsageError) as refused:
        claim(overlay, TICKET, "c1", "coder")
    assert refused.value.message == (
        f"refusing to write the overlay: {data} is owned by uid {OTHER}, not by this user (uid 0)"
    )
    assert every_file(data) == []
    assert findings(overlay, "YT411") == [
        (
            str(data),
            f"folder on the way to the overlay is owned by uid {OTHER}, not by this user (uid 0)",
        )
    ]


def test_a_folder_above_the_data_dir_another_user_owns_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    data = shared / "yoi"
    data.mkdir(parents=True, mode=0o700)
    os.chown(shared, OTHER, OTHER)  # they may rename yoi/ away and put their own in place
    overlay = overlay_at(tmp_path, data)
    with pytest.raises(UsageError, match=f"{shared} is owned by uid {OTHER}"):
        claim(overlay, TICKET, "c1", "coder")
    assert every_file(data) == []


@pytest.mark.parametrize(
    ("mode", "group", "refused"),
    [
        (0o777, 0, True),  # anyone may rename entries
        (0o1777, 0, False),  # sticky, as /tmp: others cannot rename or remove ours
        (0o770, OTHER, True),  # another group may write
        (0o770, 0, False),  # root's own private group (the group "root", no other members)
    ],
    ids=["world-writable", "sticky", "other-group", "private-group"],
)
def test_folders_others_may_write_on_the_way_are_refused_unless_sticky_or_private(
    tmp_path: Path, mode: int, group: int, refused: bool
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chown(shared, 0, group)
    shared.chmod(mode)
    overlay = overlay_at(tmp_path, shared / "yoi")
    if refused:
        with pytest.raises(UsageError, match=f"{shared} is writable by other users"):
            claim(overlay, TICKET, "c1", "coder")
        assert every_file(shared) == []
    else:
        claim(overlay, TICKET, "c1", "coder")
        assert read_claim(overlay, TICKET) is not None
        assert overlay.trust_problems() == []


def test_a_symlinked_workspaces_folder_is_refused_even_to_a_private_folder(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (data / "workspaces").symlink_to(elsewhere)
    overlay = overlay_at(tmp_path, data)
    with pytest.raises(UsageError, match="workspaces is a symbolic link"):
        claim(overlay, TICKET, "c1", "coder")
    assert every_file(elsewhere) == []
    ((path, message),) = findings(overlay, "YT411")
    assert (path, message.split(" (")[0]) == (
        str(data / "workspaces"),
        "overlay folder is a symbolic link",
    )


def test_a_data_dir_symlink_another_user_owns_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "data"
    link.symlink_to(real)
    os.lchown(link, OTHER, OTHER)  # they may point it at a folder of theirs at any moment
    overlay = overlay_at(tmp_path, link)
    with pytest.raises(UsageError, match=f"{link} is a symbolic link that is owned by uid {OTHER}"):
        claim(overlay, TICKET, "c1", "coder")
    os.lchown(link, 0, 0)  # our own symlink to a private folder is fine
    claim(overlay, TICKET, "c1", "coder")
    assert (real / "workspaces" / overlay.identity.key / "ticket-claims").is_dir()


def test_a_data_dir_another_user_prepared_gets_none_of_our_files(tmp_path: Path) -> None:
    """The attack: another user creates the victim's data dir with ``workspaces`` pointing
    into a folder of theirs. Every writing command refuses; nothing lands there."""
    data = tmp_path / "data"
    theirs = tmp_path / "theirs"
    for folder in (data, theirs):
        folder.mkdir(mode=0o777)
        os.chown(folder, OTHER, OTHER)
    (data / "workspaces").symlink_to(theirs)
    os.lchown(data / "workspaces", OTHER, OTHER)
    overlay = overlay_at(tmp_path, data)
    worker = Worker(tmp_path / "worker", "victim", env={"HOME": str(tmp_path)})
    try:
        for args in (
            ("claim", TICKET, "--pod", "c1", "--role", "coder"),
            ("session", "record", "--pod", "i1", "--role", "intake"),
            ("launch", TICKET, "--pod", "c1", "--role", "coder", "--", "true"),
        ):
            done = worker.run(cli_job(overlay, *args), timeout=60)
            assert done.rc == 2, (args, done.err)
            error, hint = done.err.splitlines()
            assert error.startswith(f"error: refusing to write the overlay: {data} is "), error
            assert hint.startswith("hint: ")
    finally:
        worker.close()
    assert every_file(theirs) == []


# --- registries another user could have written are ignored ------------------------------


def write_table(path: Path, key: str, pod: str, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"allocations": [{key: pod, "pid": pid}]}))


@pytest.fixture
def held(tmp_path: Path) -> Overlay:
    """Our overlay, where Pod "holder" (not running) holds the ticket."""
    overlay = overlay_at(tmp_path, tmp_path / "data", tmp_path / "run")
    claim(overlay, TICKET, "holder", "coder")
    return overlay


@pytest.mark.parametrize(
    ("name", "key"), [("pods.json", "pod_name"), ("workers.json", "worker_name")]
)
@pytest.mark.parametrize("forged", ["owner", "mode", "runtime-dir"])
def test_a_runtime_table_another_user_could_write_does_not_make_a_holder_live(
    held: Overlay, name: str, key: str, forged: str
) -> None:
    runtime = held.locations.runtime_dir
    table = runtime / name
    write_table(table, key, "holder", os.getpid())  # a live pid
    assert PodStatusChecker(held.locations).status("holder").status == LIVE  # ours: believed
    with pytest.raises(RefusedError, match="only a stale claim can be reclaimed"):
        reclaim(held, TICKET, "c2", "coder")
    culprit = {"owner": table, "mode": table, "runtime-dir": runtime}[forged]
    if forged == "mode":
        table.chmod(0o666)
    else:
        os.chown(culprit, OTHER, OTHER)
    status = PodStatusChecker(held.locations).status("holder")
    assert status.status == STALE
    assert [entry.status.status for entry in list_claims(held).claims] == [STALE]
    reason = (
        "is writable by other users (mode 666)"
        if forged == "mode"
        else (f"is owned by uid {OTHER}, not by this user (uid 0)")
    )
    assert findings(held, "YT418") == [
        (
            str(table),
            f"ignored: {culprit} {reason}; the Pods it lists are not taken as live or restorable",
        )
    ]
    assert reclaim(held, TICKET, "c2", "coder").claim.pod_name == "c2"


def test_saved_pods_another_user_could_write_are_not_restorable(held: Overlay) -> None:
    saved = held.locations.data_dir / "workers"
    metadata = saved / "holder" / "metadata.json"
    metadata.parent.mkdir(parents=True)
    metadata.write_text("{}")
    assert PodStatusChecker(held.locations).status("holder").status == RESTORABLE
    os.chown(saved, OTHER, OTHER)
    assert PodStatusChecker(held.locations).status("holder").status == STALE
    ((path, message),) = findings(held, "YT418")
    assert (path, message) == (
        str(saved),
        f"ignored: {saved} is owned by uid {OTHER}, not by this user (uid 0); the Pods it "
        "lists are not taken as live or restorable",
    )
    os.chown(saved, 0, 0)
    os.chown(metadata, OTHER, OTHER)  # the folder is ours, the file is not
    assert PodStatusChecker(held.locations).status("holder").status == STALE


@pytest.mark.parametrize("forged", ["owner", "mode"])
def test_a_panel_registry_another_user_could_write_holds_no_ticket(
    tmp_path: Path, forged: str
) -> None:
    overlay = overlay_at(tmp_path, tmp_path / "data", tmp_path / "run")
    folder = panel_folder(overlay)
    write_panel_claim(folder, {"ticket_id": TICKET, "worker_name": "panel-pod", "role": "coder"})
    write_table(overlay.locations.runtime_dir / "workers.json", "worker_name", "panel-pod", 1)
    with pytest.raises(RefusedError, match="panel-pod"):
        claim(overlay, TICKET, "c1", "coder")  # the panel's live Pod holds it
    if forged == "owner":
        os.chown(folder, OTHER, OTHER)
        reason = f"is owned by uid {OTHER}, not by this user (uid 0)"
    else:
        folder.chmod(0o777)
        reason = "is writable by other users (mode 777)"
    assert findings(overlay, "YT418") == [
        (str(folder), f"ignored: {folder} {reason}; its claims and sessions are not read")
    ]
    assert claim(overlay, TICKET, "c1", "coder").claim.pod_name == "c1"
    assert (folder / "ticket-claims").is_dir()  # never touched


def test_registries_of_our_own_are_not_reported(held: Overlay) -> None:
    write_table(held.locations.runtime_dir / "pods.json", "pod_name", "holder", os.getpid())
    write_panel_claim(panel_folder(held), {"ticket_id": TICKETS[1], "pod_name": "p", "role": "r"})
    assert findings(held, "YT418") == []
    assert findings(held, "YT411") == []
