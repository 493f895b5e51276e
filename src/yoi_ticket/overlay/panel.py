"""yoi's own panel registry: the claims and role sessions that ``yoi panel`` keeps.

Upstream's TUI keeps them in ``<data>/panel/workspaces/<leaf>-<fnv>/`` (UPSTREAM.md
section 3, ``crates/tui/src/role_session_registry.rs``): ``role-sessions.json``, an
``O_EXCL`` lock file ``role-sessions.lock``, and ``ticket-claims/<enc-id>.json`` claims
hard-linked into place from ``ticket-claims/.<nanos>.tmp``. The folder name hashes the
panel's working directory as the OS reported it, so a symlinked or moved workspace has
several such folders. Both field eras are read: ``pod_name`` until 2026-06-26,
``worker_name`` after.

This module only reads those files (and names them for doctor and ``--fix``); it never
writes yoi's registry. A registry folder that another user owns or may write (or one on
the way to it) is ignored, and doctor reports it (YT418).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from yoi_ticket.files import trust
from yoi_ticket.files.fsutil import read_regular
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.records import RecordError
from yoi_ticket.store.ids import decode_filename, encode_for_filename, id_spellings

PANEL_DIR = ("panel", "workspaces")
SESSIONS_FILE = "role-sessions.json"
SESSIONS_LOCK = "role-sessions.lock"
CLAIMS_DIR = "ticket-claims"
MAX_PANEL_BYTES = 16 * 1024 * 1024
STUCK_LOCK_SECONDS = 60.0
"""Upstream retries its lock 50 times, 10 ms apart: a lock older than this is stuck."""

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
_UNSAFE_LEAF = re.compile(r"[^A-Za-z0-9_-]")
_CLAIM_TEMP = re.compile(r"^\.\d+\.tmp$")
_SESSIONS_TEMP = re.compile(r"^role-sessions\.json\.\d+\.tmp$")
NAME_KEYS = ("worker_name", "pod_name")  # the newer era first


def fnv1a64(data: bytes) -> int:
    """FNV-1a, 64 bits, as upstream hashes the panel's working directory."""
    value = FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return value


def panel_leaf(path: str) -> str:
    """The last non-empty component, ``[^A-Za-z0-9_-]`` -> ``-``, ``-`` trimmed."""
    parts = [part for part in path.replace("\\", "/").split("/") if part]
    leaf = _UNSAFE_LEAF.sub("-", parts[-1] if parts else "").strip("-")
    return leaf or "workspace"


def panel_folder_name(path: str) -> str:
    """``<leaf>-<fnv>`` for a working directory spelled as the OS reports it."""
    spelled = path.replace("\\", "/")
    return f"{panel_leaf(spelled)}-{fnv1a64(spelled.encode('utf-8', 'surrogateescape')):016x}"


@dataclass(frozen=True, slots=True)
class PanelClaim:
    ticket_id: str
    pod_name: str
    role: str
    path: Path
    name_key: str  # "pod_name" or "worker_name": the era that wrote it
    ticket_slug: str | None = None


@dataclass(frozen=True, slots=True)
class PanelSession:
    pod_name: str
    role: str
    origin: str
    related_tickets: tuple[str, ...]
    name_key: str
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class PanelProblem:
    path: Path
    message: str


@dataclass
class PanelContents:
    claims: list[PanelClaim] = field(default_factory=list)
    sessions: list[PanelSession] = field(default_factory=list)
    problems: list[PanelProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PanelRegistry:
    """One panel registry folder and the working-directory spelling it belongs to."""

    folder: Path
    spelled: str  # the path whose hash names the folder

    @property
    def claims_dir(self) -> Path:
        return self.folder / CLAIMS_DIR

    @property
    def sessions_path(self) -> Path:
        return self.folder / SESSIONS_FILE

    @property
    def lock_path(self) -> Path:
        return self.folder / SESSIONS_LOCK

    def read(self) -> PanelContents:
        contents = PanelContents()
        self._read_claims(contents)
        self._read_sessions(contents)
        return contents

    def read_claims(self) -> PanelContents:
        """Only the claims (and the problems of claim files); sessions are not read."""
        contents = PanelContents()
        self._read_claims(contents)
        return contents

    def _read_claims(self, contents: PanelContents) -> None:
        try:
            entries = sorted(os.scandir(self.claims_dir), key=lambda entry: entry.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            contents.problems.append(PanelProblem(self.claims_dir, exc.strerror or str(exc)))
            return
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.endswith(".json"):
                continue
            path = Path(entry.path)
            found = _read_claim(path)
            if isinstance(found, PanelClaim):
                contents.claims.append(found)
            else:
                contents.problems.append(PanelProblem(path, found))

    def _read_sessions(self, contents: PanelContents) -> None:
        data = _read_json(self.sessions_path)
        if data is None:
            return
        if isinstance(data, str):
            contents.problems.append(PanelProblem(self.sessions_path, data))
            return
        sessions = data.get("sessions") if isinstance(data, dict) else None
        if not isinstance(sessions, dict):
            contents.problems.append(PanelProblem(self.sessions_path, "no sessions mapping"))
            return
        for name, value in sorted(sessions.items()):
            session = _session(str(name), value)
            if session is None:
                problem = f"session {name!r} is not a role session"
                contents.problems.append(PanelProblem(self.sessions_path, problem))
            else:
                contents.sessions.append(session)

    def temp_leftovers(self) -> list[Path]:
        """Upstream's temp files a crash left: ``ticket-claims/.<nanos>.tmp`` and
        ``role-sessions.json.<nanos>.tmp``."""
        found = [path for path in _listing(self.claims_dir) if _CLAIM_TEMP.match(path.name)]
        found += [path for path in _listing(self.folder) if _SESSIONS_TEMP.match(path.name)]
        return sorted(found)

    def abandoned_temps(self, now: float | None = None) -> list[Path]:
        """The :meth:`temp_leftovers` older than :data:`STUCK_LOCK_SECONDS`: a younger one
        may belong to an update in progress (upstream links or renames it right away)."""
        limit = (time.time() if now is None else now) - STUCK_LOCK_SECONDS
        return [path for path in self.temp_leftovers() if _mtime(path) < limit]

    def stuck_lock_age(self, now: float | None = None) -> float | None:
        """Seconds since the lock file was made, when it is older than a live update
        ever takes (:data:`STUCK_LOCK_SECONDS`); ``None`` when there is none or it is fresh."""
        try:
            made = self.lock_path.lstat().st_mtime
        except OSError:
            return None
        age = (time.time() if now is None else now) - made
        return age if age > STUCK_LOCK_SECONDS else None


def panel_registries(data_dirs: Iterable[Path], spellings: Iterable[str]) -> list[PanelRegistry]:
    """The panel registry folders that exist for any of the path ``spellings`` of the
    workspace, in any of the ``data_dirs`` (the current and the legacy data dir), and that
    only this user (or root) could have written: see :func:`distrusted_panels`."""
    return [registry for registry, distrust in _registries(data_dirs, spellings) if not distrust]


def distrusted_panels(overlay: Overlay) -> list[tuple[PanelRegistry, str]]:
    """The panel registry folders of the workspace that are ignored, and why: another user
    owns or may write the folder, or one on the way to it (:mod:`yoi_ticket.files.trust`).
    Their claims would hold tickets for Pods nobody here runs."""
    found = _registries(overlay.locations.data_dirs, workspace_spellings(overlay))
    return [(registry, distrust) for registry, distrust in found if distrust]


def _registries(
    data_dirs: Iterable[Path], spellings: Iterable[str]
) -> list[tuple[PanelRegistry, str | None]]:
    found: dict[Path, tuple[PanelRegistry, str | None]] = {}
    names = {panel_folder_name(spelled): spelled for spelled in spellings}
    for data_dir in data_dirs:
        root = data_dir.joinpath(*PANEL_DIR)
        for name, spelled in names.items():
            folder = root / name
            if folder not in found and folder.is_dir():
                problems = trust.ancestry_problems(folder / CLAIMS_DIR)  # and the folder
                distrust = f"{problems[0][0]} {problems[0][1]}" if problems else None
                found[folder] = (PanelRegistry(folder, spelled), distrust)
    return list(found.values())


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return float("inf")  # gone: never abandoned


def _listing(folder: Path) -> list[Path]:
    try:
        return [Path(entry.path) for entry in os.scandir(folder)]
    except OSError:
        return []


def _read_json(path: Path) -> object | str | None:
    """The parsed JSON, ``None`` when the file does not exist, or a problem text."""
    try:
        data = read_regular(path, MAX_PANEL_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if len(data) > MAX_PANEL_BYTES:
        return f"larger than {MAX_PANEL_BYTES} bytes"
    try:
        parsed: object = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return f"not valid JSON: {exc}"
    return parsed


def _name(record: dict[str, object]) -> tuple[str, str] | None:
    for key in NAME_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value:
            return value, key
    return None


def _read_claim(path: Path) -> PanelClaim | str:
    data = _read_json(path)
    if data is None:
        return "vanished while being read"
    if isinstance(data, str):
        return data
    if not isinstance(data, dict):
        return "not a JSON object"
    ticket_id, role, named = data.get("ticket_id"), data.get("role"), _name(data)
    if not isinstance(ticket_id, str) or not ticket_id:
        return "no ticket_id"
    if named is None:
        return "neither worker_name nor pod_name"
    if not isinstance(role, str):
        return "no role"
    try:
        named_in_file = decode_filename(path.stem)
    except UnicodeDecodeError:
        named_in_file = None
    if named_in_file != ticket_id:
        return f"names ticket {ticket_id!r}, not the one of its file name"
    slug = data.get("ticket_slug")
    return PanelClaim(
        ticket_id, named[0], role, path, named[1], slug if isinstance(slug, str) else None
    )


def _session(name: str, value: object) -> PanelSession | None:
    if not isinstance(value, dict):
        return None
    named = _name(value)
    role, origin = value.get("role"), value.get("origin")
    related = value.get("related_tickets", [])
    if not isinstance(role, str) or not isinstance(related, list):
        return None
    ids = tuple(
        item["id"] for item in related if isinstance(item, dict) and isinstance(item.get("id"), str)
    )
    pod = named[0] if named is not None else name
    key = named[1] if named is not None else "pod_name"
    session_id = value.get("session_id")
    return PanelSession(
        pod,
        role,
        origin if isinstance(origin, str) else "",
        ids,
        key,
        session_id if isinstance(session_id, str) and session_id else None,
    )


# --- one workspace's panel registries ---------------------------------------------------


def workspace_spellings(overlay: Overlay) -> list[str]:
    """Every path the panel may have been started in for this workspace: the canonical
    path, the path as found and its physical path, every linked worktree (plus the
    workspace's place inside it), and the paths ``workspace.json`` has seen."""
    identity = overlay.identity
    spellings = [identity.canonical_path, str(identity.path), os.path.realpath(identity.path)]
    spellings += _worktree_spellings(identity.path, identity.worktree_root)
    try:
        record = overlay.read_workspace_record() if overlay.exists() else None
    except RecordError:
        record = None
    if record is not None:
        spellings += record.seen_paths
    return list(dict.fromkeys(spellings))


def workspace_panels(overlay: Overlay) -> list[PanelRegistry]:
    return panel_registries(overlay.locations.data_dirs, workspace_spellings(overlay))


def panel_claims(overlay: Overlay, ticket_id: str) -> list[PanelClaim]:
    """The panel's readable claims on ``ticket_id`` (one file per registry folder)."""
    found = []
    for registry in workspace_panels(overlay):
        for spelled in id_spellings(ticket_id):  # one ticket, whatever its normalisation
            path = registry.claims_dir / f"{encode_for_filename(spelled)}.json"
            read = _read_claim(path) if path.is_file() else None
            if isinstance(read, PanelClaim):
                found.append(read)
    return found


def _worktree_spellings(path: Path, worktree_root: Path | None) -> list[str]:
    if worktree_root is None:
        return []
    from yoi_ticket.git import run_git

    done = run_git(path, "worktree", "list", "--porcelain", timeout=30)
    if done is None or done.returncode != 0:
        return []
    try:
        inside = Path(os.path.realpath(path)).relative_to(worktree_root)
    except ValueError:
        inside = Path()
    roots = [
        line[len("worktree ") :]
        for line in done.stdout_text.splitlines()
        if line.startswith("worktree ")
    ]
    return [str(Path(root) / inside) if inside.parts else root for root in roots]
