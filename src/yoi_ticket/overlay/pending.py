"""Pending launch records (SPEC 7.3): ``pending/<enc-id>.json`` plus the OS lock that
keeps one alive.

A launcher holds ``locks/pending-<enc-id>.lock`` from before it writes the record
until after it removes it, and its command inherits the locked descriptor: the lock
stays held while either of them runs. A record whose lock is free belongs to a launch
whose launcher and command are both gone: it is **dead**, never blocks a retry, and
may be removed. A record whose lock is held but whose launcher (on this host) is gone
is **orphaned**: the command a killed launcher left behind still runs, and the ticket
stays locked until it ends. Every probe of a pending lock happens under the overlay's
state lock, so a probe never races a launcher taking its lock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from yoi_ticket.files import atomicfile, locking
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import pid_alive, this_host
from yoi_ticket.overlay.records import PendingLaunch, RecordError, read_record
from yoi_ticket.store.ids import (
    decode_filename,
    encode_for_filename,
    normal_id,
    unsafe_component_reason,
)


@dataclass(frozen=True)
class PendingEntry:
    """One pending record as found; ``alive`` says whether its launch still holds the lock
    (its launcher, or the command a dead launcher left running)."""

    path: Path
    ticket_id: str | None  # decoded from the file name; None if that is not possible
    record: PendingLaunch | None
    alive: bool
    error: str | None = None

    @property
    def orphaned(self) -> bool:
        """Locked, but the launcher (a process of this host) is gone: its command runs on."""
        record = self.record
        return (
            self.alive
            and record is not None
            and record.host == this_host()
            and not pid_alive(record.pid)
        )

    @property
    def command_alive(self) -> bool | None:
        """Whether the launch command still runs (``None``: no pid recorded, other host)."""
        record = self.record
        if record is None or record.command_pid is None or record.host != this_host():
            return None
        return pid_alive(record.command_pid)


def lock_path(overlay: Overlay, encoded: str) -> Path:
    return overlay.locks_dir / f"pending-{encoded}.lock"


def probe(overlay: Overlay, ticket_id: str) -> PendingEntry | None:
    """The pending record of ``ticket_id``, if any (caller holds the state lock)."""
    path = overlay.pending_path(ticket_id)
    if not path.exists():
        return None
    return _entry(overlay, path, ticket_id)


def in_flight(overlay: Overlay, ticket_id: str) -> PendingEntry | None:
    """The live pending record of ``ticket_id`` (caller holds the state lock)."""
    entry = probe(overlay, ticket_id)
    return entry if entry is not None and entry.alive else None


def list_pending(overlay: Overlay) -> list[PendingEntry]:
    """Every pending record with ``alive`` (launch in flight) or dead; never raises on content."""
    if not overlay.pending_dir.is_dir():
        return []
    with overlay.state_lock():
        return [
            _entry(overlay, path, _decoded(path.stem))
            for path in sorted(overlay.pending_dir.glob("*.json"))
        ]


def remove_dead(overlay: Overlay, path: Path) -> bool:
    """Remove the pending record at ``path`` if its launcher is gone; ``True`` if removed."""
    with overlay.state_lock():
        if not path.exists() or locking.is_held(lock_path(overlay, path.stem)):
            return False
        return atomicfile.remove(path)


def describe(entry: PendingEntry) -> str:
    record = entry.record
    if record is None:
        return "a launch (record unreadable)"
    if entry.orphaned:
        return (
            f"an orphaned launch by Pod '{record.pod_name}' (role {record.role}):"
            f" its launcher (pid {record.pid}) is gone, {command_text(entry)}"
        )
    return f"a launch by Pod '{record.pod_name}' (role {record.role}, pid {record.pid})"


def command_text(entry: PendingEntry) -> str:
    """What holds an orphaned launch's lock: its command, or what that command left."""
    record = entry.record
    pid = record.command_pid if record is not None else None
    if pid is None:
        return "and its command still holds the launch lock"
    if entry.command_alive:
        return f"its command (pid {pid}) still runs"
    return f"its command (pid {pid}) has exited, but a process it started holds the launch lock"


def _entry(overlay: Overlay, path: Path, ticket_id: str | None) -> PendingEntry:
    alive = locking.is_held(lock_path(overlay, path.stem))
    try:
        record = read_record(path, PendingLaunch)
    except FileNotFoundError:
        return PendingEntry(path, ticket_id, None, alive, "vanished while being read")
    except RecordError as exc:
        return PendingEntry(path, ticket_id, None, alive, exc.message)
    error = None
    if ticket_id is not None and normal_id(record.ticket_id) != normal_id(ticket_id):
        error = f"{path}: holds ticket {record.ticket_id!r}, not {ticket_id!r}"
    return PendingEntry(path, ticket_id, record, alive, error)


def _decoded(stem: str) -> str | None:
    try:
        ticket_id = decode_filename(stem)
    except UnicodeDecodeError:
        return None
    if unsafe_component_reason(ticket_id) is not None or encode_for_filename(ticket_id) != stem:
        return None
    return ticket_id


def this_process_record(
    ticket_id: str, pod_name: str, role: str, host: str, at: str
) -> PendingLaunch:
    return PendingLaunch(
        ticket_id=ticket_id, pod_name=pod_name, role=role, pid=os.getpid(), host=host, started_at=at
    )


def record_command(overlay: Overlay, record: PendingLaunch, command_pid: int) -> PendingLaunch:
    """Write the running command's pid into the launch's pending record (lock held)."""
    updated = record.model_copy(update={"command_pid": command_pid})
    with overlay.state_lock():
        atomicfile.write_replace(
            overlay.pending_path(record.ticket_id), updated.to_json(), fault="pending"
        )
    return updated
