"""Pod status (SPEC 6): live, starting, restorable, foreign or stale.

yoi renamed Pods to Workers on 2026-06-26 (UPSTREAM.md section 2); a machine may hold
both eras' files at once, and both are read:

* **live**: ``<runtime dir>/workers.json`` (``worker_name``) or ``pods.json``
  (``pod_name``) lists the Pod and its pid is alive. When its socket does not accept a
  connection it is still live, flagged unreachable: a live pid is never called stale.
* **starting**: not live, and the claim was written by a launch whose command succeeded
  less than its grace period ago (the claim's ``starting_until``, at most
  :data:`MAX_START_GRACE` seconds after ``claimed_at``): the Pod has not registered yet.
* **restorable**: not live, not starting, but ``metadata.json`` under
  ``<data dir>/workers/<pod>/`` or ``<data dir>/pods/<pod>/`` (also in the legacy data
  dir) exists and parses. Metadata
  that does not parse does not make a Pod restorable; the status says why.
* **foreign**: the claim was made on another host; nothing here can verify it.
* **stale**: none of the above.

A table or metadata that another user could have written (owned by another user than
this one and root, writable by others, or under a folder that is: see
:mod:`yoi_ticket.files.trust`) is ignored: a forged entry must not make a stale claim
holder look live or restorable. Doctor reports what was ignored (YT418).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yoi_ticket.files import trust
from yoi_ticket.overlay.locations import TIME_FORMAT, Locations, parse_time, pid_alive, this_host
from yoi_ticket.store.ids import unsafe_component_reason

if TYPE_CHECKING:
    from yoi_ticket.overlay.records import TicketClaim

LIVE = "live"
STARTING = "starting"
RESTORABLE = "restorable"
FOREIGN = "foreign"
STALE = "stale"
STATUSES = (LIVE, STARTING, RESTORABLE, FOREIGN, STALE)
MAX_START_GRACE = 3600  # seconds: a longer starting_until (a hand edit, a clock jump) is cut
CLOCK_SLACK = timedelta(seconds=60)
METADATA_FILE = "metadata.json"
SOCKET_TIMEOUT = 0.25
MAX_REGISTRY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Allocation:
    """One entry of the runtime Pod registry."""

    pod_name: str
    pid: int | None
    socket: str | None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PodRegistry:
    """``pods.json`` as read; ``error`` says why (part of) it could not be used, and
    ``ignored`` which tables were not read, and why: another user could have written them
    (see :func:`registry_distrust`)."""

    allocations: tuple[Allocation, ...] = ()
    error: str | None = None
    ignored: tuple[tuple[Path, str], ...] = ()

    def for_pod(self, pod_name: str) -> list[Allocation]:
        return [a for a in self.allocations if a.pod_name == pod_name]


@dataclass(frozen=True)
class PodStatus:
    status: str  # one of STATUSES
    reachable: bool | None = None  # live only: False when the socket refused a connection
    pid: int | None = None
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{LIVE} (unreachable)" if self.reachable is False else self.status

    @property
    def blocks_claim(self) -> bool:
        """Whether a launch must not replace a claim held by this Pod."""
        return self.status in (LIVE, STARTING, RESTORABLE)


NAME_KEYS = ("worker_name", "pod_name")


def read_pod_registries(locations: Locations) -> PodRegistry:
    """Both eras' live tables as one registry; their errors joined."""
    found = [read_pod_registry(path) for path in locations.pod_registries]
    errors = [registry.error for registry in found if registry.error]
    allocations = tuple(a for registry in found for a in registry.allocations)
    ignored = tuple(entry for registry in found for entry in registry.ignored)
    return PodRegistry(allocations, "; ".join(errors) or None, ignored)


def registry_distrust(path: Path) -> str | None:
    """Why a registry file (a live table, a panel claim folder, a saved Pod's metadata) is
    not to be believed: another user owns it or may write it, or a folder on the way to it
    (:mod:`yoi_ticket.files.trust`); ``None`` when only this user and root could have
    written it. A forged entry must not make a stale claim holder look live."""
    problems = trust.ancestry_problems(path.parent)
    if problems:
        where, reason = problems[0]
        return f"{where} {reason}"
    problem = trust.file_problem(path)
    return f"{path} {problem}" if problem is not None else None


def read_pod_registry(path: Path) -> PodRegistry:
    """Read one live table (``workers.json`` or ``pods.json``); a missing or empty file is
    an empty registry (yoi truncates it when nothing is allocated), a bad one an ``error``,
    one another user could have written is ``ignored`` unread."""
    from yoi_ticket.files.fsutil import read_regular

    if os.path.lexists(path):
        distrust = registry_distrust(path)
        if distrust is not None:
            return PodRegistry(ignored=((path, distrust),))
    try:
        raw = read_regular(path, MAX_REGISTRY_BYTES)
        if len(raw) > MAX_REGISTRY_BYTES:
            raise ValueError(f"larger than {MAX_REGISTRY_BYTES} bytes")
        data = json.loads(raw)
    except FileNotFoundError:
        return PodRegistry()
    except json.JSONDecodeError as exc:
        if not raw.strip():
            return PodRegistry()
        return PodRegistry(error=f"{path}: cannot read the Pod registry: {exc}")
    except RecursionError:
        return PodRegistry(error=f"{path}: cannot read the Pod registry: JSON nested too deeply")
    except (OSError, ValueError) as exc:
        return PodRegistry(error=f"{path}: cannot read the Pod registry: {exc}")
    entries = data.get("allocations") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return PodRegistry(error=f'{path}: no "allocations" list')
    allocations = []
    skipped = 0
    for entry in entries:
        allocation = _allocation(entry)
        if allocation is None:
            skipped += 1
        else:
            allocations.append(allocation)
    error = (
        f"{path}: {skipped} allocation(s) without a valid pod_name or worker_name were skipped"
        if skipped
        else None
    )
    return PodRegistry(tuple(allocations), error)


def _allocation(entry: object) -> Allocation | None:
    if not isinstance(entry, dict):
        return None
    name = next((entry[k] for k in NAME_KEYS if isinstance(entry.get(k), str) and entry[k]), None)
    if name is None:
        return None
    pid = entry.get("pid")
    sock = entry.get("socket")
    return Allocation(
        pod_name=name,
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        socket=sock if isinstance(sock, str) and sock else None,
        extra={k: v for k, v in entry.items() if k not in (*NAME_KEYS, "pid", "socket")},
    )


def socket_accepts(path: str, timeout: float = SOCKET_TIMEOUT) -> bool | None:
    """Whether the Unix socket at ``path`` accepts a connection (``None``: cannot tell here)."""
    family = getattr(socket, "AF_UNIX", None)
    if family is None or not os.path.isabs(path):
        return None
    with socket.socket(family, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        try:
            conn.connect(path)
        except OSError:
            return False
    return True


def metadata_paths(locations: Locations, pod_name: str) -> list[Path]:
    """Every ``<saved Pods dir>/<pod>/metadata.json`` that exists, newest era first (none
    for a name unsafe as a path); metadata another user could have written is left out."""
    if unsafe_component_reason(pod_name) is not None:
        return []
    found = (folder / pod_name / METADATA_FILE for folder in locations.saved_pod_dirs)
    return [path for path in found if path.is_file() and registry_distrust(path) is None]


def metadata_problem(path: Path) -> str | None:
    """Why ``metadata.json`` cannot restore a Pod (``None``: it parses as an object)."""
    from yoi_ticket.files.fsutil import read_regular

    try:
        raw = read_regular(path, MAX_REGISTRY_BYTES)
        if len(raw) > MAX_REGISTRY_BYTES:
            return f"larger than {MAX_REGISTRY_BYTES} bytes"
        data = json.loads(raw)
    except (OSError, ValueError, RecursionError) as exc:
        return f"does not parse ({exc})"
    return None if isinstance(data, dict) else "is not a JSON object"


class PodStatusChecker:
    """Pod status for many claims at once: the registry is read once, results are kept."""

    def __init__(self, locations: Locations, host: str | None = None) -> None:
        self.locations = locations
        self.host = host if host is not None else this_host()
        self.registry = read_pod_registries(locations)
        self._local: dict[str, PodStatus] = {}

    def status(self, pod_name: str, host: str | None = None) -> PodStatus:
        """The status of ``pod_name`` for a claim made on ``host`` (``None``: this host)."""
        if host is not None and host != self.host:
            return PodStatus(FOREIGN, detail=f"claimed on host {host}")
        if pod_name not in self._local:
            self._local[pod_name] = self._local_status(pod_name)
        return self._local[pod_name]

    def claim_status(self, claim: TicketClaim) -> PodStatus:
        """The status of a claim's Pod: :meth:`status`, except that a Pod not live yet
        whose claim a launch wrote moments ago (see ``starting_until``) is starting."""
        found = self.status(claim.pod_name, claim.host)
        if found.status in (LIVE, FOREIGN) or claim.starting_until is None:
            return found
        until = starting_deadline(claim)
        if until is None or not _before(until, claim):
            return found
        shown = until.strftime(TIME_FORMAT)
        return PodStatus(
            STARTING,
            detail=f"launched at {claim.claimed_at}, not registered yet; starting until {shown}",
        )

    def _local_status(self, pod_name: str) -> PodStatus:
        for allocation in self.registry.for_pod(pod_name):
            if allocation.pid is None or not pid_alive(allocation.pid):
                continue
            reachable = socket_accepts(allocation.socket) if allocation.socket else None
            detail = f"pid {allocation.pid}" + (
                f", socket {allocation.socket} refuses connections" if reachable is False else ""
            )
            return PodStatus(LIVE, reachable=reachable, pid=allocation.pid, detail=detail)
        problems = []
        for metadata in metadata_paths(self.locations, pod_name):
            problem = metadata_problem(metadata)
            if problem is None:
                return PodStatus(RESTORABLE, detail=f"{metadata} exists")
            problems.append(f"{metadata} {problem}")
        if problems:
            return PodStatus(STALE, detail="not running; cannot restore: " + "; ".join(problems))
        return PodStatus(STALE, detail="not running, nothing to restore")


def starting_deadline(claim: TicketClaim) -> datetime | None:
    """Until when a launch's claim counts as starting (``None``: it never does): its
    ``starting_until``, cut to :data:`MAX_START_GRACE` seconds after ``claimed_at``."""
    until, claimed = parse_time(claim.starting_until), parse_time(claim.claimed_at)
    if until is None or claimed is None:
        return None
    return min(until, claimed + timedelta(seconds=MAX_START_GRACE))


def _before(until: datetime, claim: TicketClaim) -> bool:
    """Whether now is before ``until`` and not before the claim was made (a claim dated
    in the future, a clock that went back, never counts as starting)."""
    current = datetime.now(timezone.utc)
    claimed = parse_time(claim.claimed_at)
    return current < until and claimed is not None and claimed <= current + CLOCK_SLACK


def pod_status(pod_name: str, locations: Locations, host: str | None = None) -> PodStatus:
    return PodStatusChecker(locations).status(pod_name, host)


def restorable_pod_names(locations: Locations) -> list[str]:
    """Pods with saved metadata in any saved-Pods folder of both eras (sorted)."""
    names: set[str] = set()
    for folder in locations.saved_pod_dirs:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        if trust.ancestry_problems(folder):
            continue  # another user could have put these there
        names.update(
            e.name
            for e in entries
            if e.is_dir()
            and (Path(e.path) / METADATA_FILE).is_file()
            and trust.file_problem(Path(e.path) / METADATA_FILE) is None
        )
    return sorted(names)


def distrusted_pod_sources(locations: Locations) -> list[tuple[Path, str]]:
    """The runtime tables and saved-Pods folders that exist but are not believed, and why
    (for doctor): another user could have written them."""
    found = list(read_pod_registries(locations).ignored)
    for folder in locations.saved_pod_dirs:
        if folder.is_dir():
            problems = trust.ancestry_problems(folder)
            if problems:
                where, reason = problems[0]
                found.append((folder, f"{where} {reason}"))
    return found
