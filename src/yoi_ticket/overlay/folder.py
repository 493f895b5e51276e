"""The local overlay (SPEC 5): where it lives, its JSON records, and its bookkeeping.

Layout of ``<data dir>/workspaces/<workspace key>/``::

    workspace.json               WorkspaceRecord
    role-sessions.json           RoleSessionsFile
    ticket-claims/<enc-id>.json  TicketClaim
    pending/<enc-id>.json        PendingLaunch
    history.jsonl                one HistoryEntry per line
    locks/                       empty OS lock files (see locking.py)

Every record is versioned; readers accept unknown fields and writers keep them.
Nothing of the overlay is ever written inside the workspace.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from yoi_ticket.errors import InvalidNameError, UsageError, YoiError
from yoi_ticket.files import atomicfile
from yoi_ticket.store.ids import encode_for_filename, validate_ticket_id
from yoi_ticket.store.workspace import WorkspaceIdentity, identify

SCHEMA_VERSION = 1
MAX_RECORD_BYTES = 64 * 1024 * 1024  # a larger overlay file is reported, never parsed
MAX_FILENAME_BYTES = 240  # leaves room for ".json" under the usual 255-byte limit

DATA_DIR_ENV = "YOI_DATA_DIR"
RUNTIME_DIR_ENV = "YOI_RUNTIME_DIR"
HOME_ENV = "YOI_HOME"

WORKSPACE_FILE = "workspace.json"
SESSIONS_FILE = "role-sessions.json"
CLAIMS_DIR = "ticket-claims"
PENDING_DIR = "pending"
LOCKS_DIR = "locks"
HISTORY_FILE = "history.jsonl"
STATE_LOCK = "claims.lock"  # claims, releases, reclaims and launch set-up/commit
SESSIONS_LOCK = "role-sessions.lock"
WORKSPACE_LOCK = "workspace.lock"

R = TypeVar("R", bound="Record")


# --- records ------------------------------------------------------------------------


class Record(BaseModel):
    """A versioned JSON record: unknown fields are accepted and written back unchanged."""

    # ``Infinity`` and ``NaN`` in unknown fields are written back as read, not as null.
    model_config = ConfigDict(extra="allow", ser_json_inf_nan="constants")

    def to_json(self) -> bytes:
        text = json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False)
        return (text + "\n").encode("utf-8")


class TicketClaim(Record):
    version: int = SCHEMA_VERSION
    ticket_id: str
    ticket_slug: str | None = None
    pod_name: str
    role: str
    claimed_at: str
    host: str


class RelatedTicket(Record):
    id: str
    slug: str | None = None


class RoleSession(Record):
    pod_name: str
    role: str
    origin: str  # pre_ticket_intake | ticket_claim | role_launch (others are kept as read)
    created_at: str
    updated_at: str
    session_id: str | None = None
    related_tickets: list[RelatedTicket] = Field(default_factory=list)


class RoleSessionsFile(Record):
    version: int = SCHEMA_VERSION
    workspace_root: str
    sessions: dict[str, RoleSession] = Field(default_factory=dict)


class PendingLaunch(Record):
    version: int = SCHEMA_VERSION
    ticket_id: str
    pod_name: str
    role: str
    pid: int
    host: str
    started_at: str


class WorkspaceRecord(Record):
    version: int = SCHEMA_VERSION
    canonical_path: str
    created_at: str
    seen_paths: list[str] = Field(default_factory=list)


class RecordError(YoiError):
    """An overlay file that cannot be read as the record it should hold."""


def read_record(path: Path, model: type[R]) -> R:
    """Read one JSON record; :class:`FileNotFoundError` passes, anything else is RecordError.

    Symlinks are not followed and a FIFO or device is refused: an overlay file is a
    regular file the overlay wrote, and reading never blocks or runs unbounded.
    """
    from yoi_ticket.files.fsutil import read_regular

    try:
        data = read_regular(path, MAX_RECORD_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise RecordError(
            f"{path}: cannot read: {exc.strerror or exc}",
            hint="fix or remove the file; 'yoi ticket doctor' reports it",
        ) from None
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError(
            f"{path}: larger than {MAX_RECORD_BYTES} bytes, not read",
            hint="fix or remove the file; 'yoi ticket doctor' reports it",
        )
    try:
        record = model.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise RecordError(
            f"{path}: not a valid {model.__name__} ({where}: {first['msg']})",
            hint="fix or remove the file; 'yoi ticket doctor' reports it",
        ) from None
    version = getattr(record, "version", SCHEMA_VERSION)
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise RecordError(
            f"{path}: written by a newer yoi-ticket (version {version})",
            hint="upgrade yoi-ticket to change this overlay",
        )
    return record


# --- locations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Locations:
    """The per-user data dir (overlays, Pod metadata) and runtime dir (Pod registry)."""

    data_dir: Path
    runtime_dir: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Locations:
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV) or None
        data = env.get(DATA_DIR_ENV) or home
        if data is None:
            import platformdirs

            data = platformdirs.user_data_dir("yoi")
        runtime = env.get(RUNTIME_DIR_ENV) or (str(Path(home) / "run") if home else None)
        if runtime is None:
            import platformdirs

            runtime = platformdirs.user_runtime_dir("yoi")
        return cls(Path(os.path.abspath(data)), Path(os.path.abspath(runtime)))

    @classmethod
    def quietly_from_env(cls) -> Locations:
        """:meth:`from_env` without platformdirs' warning about an unset XDG_RUNTIME_DIR
        (for doctor, which only compares paths with them: CI runs without one)."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls.from_env()

    @property
    def workspaces_dir(self) -> Path:
        return self.data_dir / "workspaces"

    @property
    def pods_dir(self) -> Path:
        return self.data_dir / "pods"

    @property
    def pod_registry(self) -> Path:
        return self.runtime_dir / "pods.json"


def this_host() -> str:
    return socket.gethostname()


def now() -> str:
    """The current UTC time as the store writes it: ``2026-05-27T00:00:06Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def encoded_name(ticket_id: str) -> str:
    """``<enc-id>`` of a validated ticket id, short enough to be a file name."""
    encoded = encode_for_filename(validate_ticket_id(ticket_id))
    if len(encoded) > MAX_FILENAME_BYTES:
        raise InvalidNameError(f"ticket id {ticket_id[:40]!r}... is too long to be stored locally")
    return encoded


# --- one workspace's overlay --------------------------------------------------------


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
        private): one of its folders or files is a symlink, or is owned by another user,
        or another user could change it (writable by group or others). ``workspaces/``
        itself may be reached through a symlink, but must be private too."""
        checks = [(self.locations.workspaces_dir, True, True)]
        checks += [(f, False, True) for f in (self.root, self.claims_dir, self.pending_dir)]
        checks.append((self.locks_dir, False, True))
        checks += [(self.root / n, False, False) for n in (WORKSPACE_FILE, SESSIONS_FILE)]
        checks.append((self.history_path, False, False))
        problems = []
        for path, follow, folder in checks:
            reason = _trust_problem(path, follow=follow, folder=folder)
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


def _trust_problem(path: Path, *, follow: bool, folder: bool) -> str | None:
    try:
        info = path.stat() if follow else path.lstat()
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
    if info.st_uid != os.geteuid():
        return f"is owned by uid {info.st_uid}, not by this user (uid {os.geteuid()})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by other users (mode {stat.S_IMODE(info.st_mode):o})"
    return None


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
    from yoi_ticket.overlay.pods import pid_alive

    leftovers: list[Path] = []
    if not overlay.exists():
        return leftovers
    for path in atomicfile.leftover_temp_files(overlay.root):
        pid = atomicfile.temp_owner_pid(path.name)
        if pid is None or pid == os.getpid() or not pid_alive(pid):
            leftovers.append(path)
    return leftovers
