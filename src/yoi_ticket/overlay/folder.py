"""The overlay folder of one workspace (SPEC 5) and its bookkeeping: paths, locks,
trust checks, ``workspace.json``, ``history.jsonl``, and the list of all overlays.

Layout of ``<data dir>/workspaces/<workspace key>/``::

    workspace.json               WorkspaceRecord
    role-sessions.json           RoleSessionsFile
    ticket-claims/<enc-id>.json  TicketClaim
    pending/<enc-id>.json        PendingLaunch
    history.jsonl                one HistoryEntry per line
    locks/                       empty OS lock files (see locking.py)

The records are in :mod:`yoi_ticket.overlay.records`, the data dir in
:mod:`yoi_ticket.overlay.locations`. Nothing of the overlay is ever written inside
the workspace.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yoi_ticket.errors import InvalidNameError, UsageError
from yoi_ticket.files import atomicfile, trust
from yoi_ticket.overlay.locations import DATA_DIR_ENV, HOME_ENV, Locations, now, pid_alive
from yoi_ticket.overlay.records import SCHEMA_VERSION, RecordError, WorkspaceRecord, read_record
from yoi_ticket.store.ids import encode_for_filename, normal_id, validate_ticket_id
from yoi_ticket.store.workspace import WorkspaceIdentity, identify

MAX_FILENAME_BYTES = 240  # leaves room for ".json" under the usual 255-byte limit

WORKSPACE_FILE = "workspace.json"
SESSIONS_FILE = "role-sessions.json"
CLAIMS_DIR = "ticket-claims"
PENDING_DIR = "pending"
LOCKS_DIR = "locks"
HISTORY_FILE = "history.jsonl"
STATE_LOCK = "claims.lock"  # claims, releases, reclaims and launch set-up/commit
SESSIONS_LOCK = "role-sessions.lock"
WORKSPACE_LOCK = "workspace.lock"


def encoded_name(ticket_id: str) -> str:
    """``<enc-id>`` of a validated ticket id, short enough to be a file name. The id is
    taken in Unicode NFC: spellings that differ only in normalisation are one ticket, with
    one claim file and one pending record (:func:`~yoi_ticket.store.ids.normal_id`)."""
    encoded = encode_for_filename(normal_id(validate_ticket_id(ticket_id)))
    if len(encoded) > MAX_FILENAME_BYTES:
        raise InvalidNameError(f"ticket id {ticket_id[:40]!r}... is too long to be stored locally")
    return encoded


class Overlay:
    """The overlay folder of one workspace. Nothing is created until :meth:`ensure`."""

    def __init__(self, identity: WorkspaceIdentity, locations: Locations) -> None:
        self.identity = identity
        self.locations = locations
        self.root = locations.workspaces_dir / identity.key

    @classmethod
    def for_workspace(
        cls, workspace: str | os.PathLike[str], locations: Locations | None = None
    ) -> Overlay:
        return cls(identify(workspace), locations or Locations.from_env())

    @property
    def workspace(self) -> Path:
        return self.identity.path

    @property
    def claims_dir(self) -> Path:
        return self.root / CLAIMS_DIR

    @property
    def pending_dir(self) -> Path:
        return self.root / PENDING_DIR

    @property
    def locks_dir(self) -> Path:
        return self.root / LOCKS_DIR

    @property
    def sessions_path(self) -> Path:
        return self.root / SESSIONS_FILE

    @property
    def history_path(self) -> Path:
        return self.root / HISTORY_FILE

    @property
    def workspace_record_path(self) -> Path:
        return self.root / WORKSPACE_FILE

    def exists(self) -> bool:
        return self.root.is_dir()

    def claim_path(self, ticket_id: str) -> Path:
        return self.claims_dir / f"{encoded_name(ticket_id)}.json"

    def pending_path(self, ticket_id: str) -> Path:
        return self.pending_dir / f"{encoded_name(ticket_id)}.json"

    def ensure(self) -> None:
        """Create the overlay (0700) and record this workspace path in ``workspace.json``."""
        self._refuse_inside_workspace()
        self.refuse_untrusted()
        try:
            for folder in (self.root, self.claims_dir, self.pending_dir, self.locks_dir):
                atomicfile.make_private_dir(folder)
            self.note_seen_path()
        except OSError as exc:
            raise UsageError(
                f"cannot write the overlay {self.root}: {exc.strerror or exc}",
                hint=f"set {DATA_DIR_ENV} (or {HOME_ENV}) to a writable folder",
            ) from None

    def state_lock(self) -> AbstractContextManager[None]:
        """The lock under which claims and launch records change."""
        return self._lock(STATE_LOCK)

    def sessions_lock(self) -> AbstractContextManager[None]:
        """The lock under which ``role-sessions.json`` changes."""
        return self._lock(SESSIONS_LOCK)

    def _lock(self, name: str) -> AbstractContextManager[None]:
        from yoi_ticket.files import locking

        self.refuse_untrusted()
        atomicfile.make_private_dir(self.locks_dir)
        return locking.hold(self.locks_dir / name)

    def trust_problems(self) -> list[tuple[Path, str]]:
        """Why the overlay must not be written, as ``(path, reason)`` (empty when it is
        private), from the root of the file system down (see :mod:`yoi_ticket.files.trust`):
        a folder on the way to the data dir (or the data dir) that another user than root
        owns or may change, or a symlink on the way that another user owns; then
        ``workspaces/``, the overlay's folders and files: each must be a real folder or
        file (no symlink), owned by this user and writable by nobody else."""
        problems = trust.ancestry_problems(self.locations.data_dir)
        checks = [(f, True) for f in (self.locations.workspaces_dir, self.root)]
        checks += [(f, True) for f in (self.claims_dir, self.pending_dir, self.locks_dir)]
        checks += [(self.root / n, False) for n in (WORKSPACE_FILE, SESSIONS_FILE)]
        checks.append((self.history_path, False))
        for path, folder in checks:
            reason = _trust_problem(path, folder=folder)
            if reason is not None:
                problems.append((path, reason))
        return problems

    def refuse_untrusted(self) -> None:
        """Raise a one-line error if :meth:`trust_problems` finds anything."""
        problems = self.trust_problems()
        if problems:
            path, reason = problems[0]
            raise UsageError(
                f"refusing to write the overlay: {path} {reason}",
                hint="make it private to you (chown, chmod 700 for folders, 600 for files, no"
                f" symlinks), or set {DATA_DIR_ENV} (or {HOME_ENV}) to a private folder",
            )

    def read_workspace_record(self) -> WorkspaceRecord | None:
        try:
            return read_record(self.workspace_record_path, WorkspaceRecord)
        except FileNotFoundError:
            return None

    def note_seen_path(self) -> None:
        """Add this workspace's path to ``workspace.json`` (created on first use)."""
        if not self.exists():
            return
        spelled = str(self.identity.path)
        if self._has_seen(spelled):
            return
        with self._lock(WORKSPACE_LOCK):
            if self._has_seen(spelled):
                return
            record = self.read_workspace_record() or WorkspaceRecord(
                canonical_path=self.identity.canonical_path, created_at=now()
            )
            record.seen_paths.append(spelled)
            atomicfile.write_replace(self.workspace_record_path, record.to_json())

    def _has_seen(self, spelled: str) -> bool:
        """Whether ``workspace.json`` lists ``spelled``; an unreadable one is left alone
        (never overwritten) for doctor to report."""
        try:
            record = self.read_workspace_record()
        except RecordError:
            return True
        return record is not None and spelled in record.seen_paths

    def append_history(self, entry: Mapping[str, Any]) -> None:
        """Append one audit line to ``history.jsonl`` (callers hold the state lock)."""
        line = json.dumps({"version": SCHEMA_VERSION, "at": now(), **entry}, ensure_ascii=False)
        atomicfile.append_line(self.history_path, line)

    def _refuse_inside_workspace(self) -> None:
        target = Path(os.path.realpath(self.root))
        for inside in (
            Path(os.path.realpath(self.identity.path)),
            Path(self.identity.canonical_path),
            self.identity.worktree_root,
        ):
            if inside is not None and (target == inside or inside in target.parents):
                raise UsageError(
                    f"the overlay {self.root} would lie inside the workspace {inside}",
                    hint=f"set {DATA_DIR_ENV} (or {HOME_ENV}) to a folder outside the workspace",
                )


def _trust_problem(path: Path, *, folder: bool) -> str | None:
    try:
        info = path.lstat()
    except (FileNotFoundError, NotADirectoryError):  # not there yet: created private
        return None
    except OSError as exc:
        return f"cannot be checked: {exc.strerror or exc}"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link (the overlay is never written through one)"
    if folder and not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if not folder and not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if sys.platform == "win32":  # pragma: no cover - no POSIX owners and modes there
        return None
    return trust.owner_problem(info, root_ok=False) or trust.writers_problem(info, shared_ok=False)


# --- all overlays of this user --------------------------------------------------------


@dataclass(frozen=True)
class OverlayInfo:
    """One overlay folder under ``<data dir>/workspaces``, read without changing it."""

    key: str
    path: Path
    record: WorkspaceRecord | None
    error: str | None = None

    @property
    def seen_paths(self) -> list[str]:
        return list(self.record.seen_paths) if self.record else []


def list_overlays(locations: Locations) -> list[OverlayInfo]:
    """Every overlay of this user, sorted by key; unreadable ``workspace.json`` is reported."""
    try:
        entries = sorted(os.scandir(locations.workspaces_dir), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        try:
            record = read_record(path / WORKSPACE_FILE, WorkspaceRecord)
        except FileNotFoundError:
            found.append(OverlayInfo(entry.name, path, None, f"{WORKSPACE_FILE} is missing"))
        except RecordError as exc:
            found.append(OverlayInfo(entry.name, path, None, exc.message))
        else:
            found.append(OverlayInfo(entry.name, path, record))
    return found


def other_overlays(overlay: Overlay) -> list[OverlayInfo]:
    """Overlays under another key that saw this workspace (a moved or split workspace).

    An overlay matches when its canonical path or one of its seen paths is this
    workspace's path, its resolved path, its canonical path, or one of its seen paths.
    """
    mine = {str(overlay.identity.path), os.path.realpath(overlay.identity.path)}
    mine.add(overlay.identity.canonical_path)
    try:
        record = overlay.read_workspace_record()
    except RecordError:
        record = None
    if record is not None:
        mine.update(record.seen_paths)
    return [
        info
        for info in list_overlays(overlay.locations)
        if info.key != overlay.identity.key
        and info.record is not None
        and ({info.record.canonical_path, *info.record.seen_paths} & mine)
    ]


def leftover_temp_files(overlay: Overlay) -> list[Path]:
    """Temp files in the overlay whose writer is no longer running (safe to remove)."""
    leftovers: list[Path] = []
    if not overlay.exists():
        return leftovers
    for path in atomicfile.leftover_temp_files(overlay.root):
        pid = atomicfile.temp_owner_pid(path.name)
        if pid is None or pid == os.getpid() or not pid_alive(pid):
            leftovers.append(path)
    return leftovers
