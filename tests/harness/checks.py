"""Checks of an overlay after concurrent or interrupted changes: every file parses as its
record, file names match their content, modes are private, no lock is held, the history
replays to the claim files; and, after a crash, doctor reports exactly the leftovers
and ``--fix`` removes exactly those.

Each check returns a list of failures (empty when all is well) so that tests can assert
on it and the stress script can count it.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from harness.workers import Worker, cli_job
from yoi_ticket.files import atomicfile, locking
from yoi_ticket.overlay.folder import (
    HISTORY_FILE,
    SESSIONS_FILE,
    WORKSPACE_FILE,
    Overlay,
    encoded_name,
)
from yoi_ticket.overlay.records import (
    PendingLaunch,
    RecordError,
    RoleSessionsFile,
    TicketClaim,
    WorkspaceRecord,
    read_record,
)

# --- overlay files --------------------------------------------------------------------


def check_overlay(overlay: Overlay, *, locks_free: bool = True) -> list[str]:
    """Everything that is wrong with the overlay's files right now (empty when healthy).

    Temp files of interrupted writes are allowed (doctor reports them); anything
    else must parse as its record, and no lock may be held when ``locks_free``.
    """
    failures: list[str] = []
    if not overlay.root.exists():
        return failures
    for folder, dirs, files in os.walk(overlay.root):
        here = Path(folder)
        failures.extend(_mode_problems(here, atomicfile.DIR_MODE))
        for name in dirs:
            if (here / name).is_symlink():
                failures.append(f"{here / name}: a symlink in the overlay")
        for name in files:
            path = here / name
            failures.extend(_mode_problems(path, atomicfile.FILE_MODE))
            if atomicfile.temp_owner_pid(name) is not None:
                continue
            problem = _file_problem(overlay, path, locks_free=locks_free)
            if problem is not None:
                failures.append(problem)
    return failures


def _mode_problems(path: Path, wanted: int) -> list[str]:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return [f"{path}: a symlink in the overlay"]
    mode = stat.S_IMODE(info.st_mode)
    return [] if mode == wanted else [f"{path}: mode {mode:o}, want {wanted:o}"]


def _file_problem(overlay: Overlay, path: Path, *, locks_free: bool) -> str | None:
    relative = path.relative_to(overlay.root)
    parts = relative.parts
    try:
        if parts == (WORKSPACE_FILE,):
            read_record(path, WorkspaceRecord)
        elif parts == (SESSIONS_FILE,):
            read_record(path, RoleSessionsFile)
        elif parts == (HISTORY_FILE,):
            for number, line in enumerate(path.read_text(encoding="utf-8").split("\n")[:-1]):
                if not isinstance(json.loads(line), dict):
                    return f"{path}:{number + 1}: not a JSON object"
        elif len(parts) == 2 and parts[0] == "ticket-claims" and path.suffix == ".json":
            claim = read_record(path, TicketClaim)
            if encoded_name(claim.ticket_id) != path.stem:
                return f"{path}: holds a claim on {claim.ticket_id}"
        elif len(parts) == 2 and parts[0] == "pending" and path.suffix == ".json":
            read_record(path, PendingLaunch)
        elif len(parts) == 2 and parts[0] == "locks" and path.suffix == ".lock":
            if locks_free and locking.is_held(path):
                return f"{path}: lock still held"
        else:
            return f"{path}: unexpected file in the overlay"
    except (RecordError, ValueError, OSError) as exc:
        return f"{path}: {exc}"
    return None


def held_locks(overlay: Overlay) -> list[str]:
    if not overlay.locks_dir.is_dir():
        return []
    return sorted(p.name for p in overlay.locks_dir.iterdir() if locking.is_held(p))


def temp_files(overlay: Overlay) -> list[Path]:
    return atomicfile.leftover_temp_files(overlay.root) if overlay.root.exists() else []


def history(overlay: Overlay) -> list[dict[str, Any]]:
    if not overlay.history_path.exists():
        return []
    return [json.loads(line) for line in overlay.history_path.read_text().splitlines()]


def claim_holders(overlay: Overlay) -> dict[str, str]:
    """``{ticket id: pod}`` straight from the claim files."""
    holders = {}
    if overlay.claims_dir.is_dir():
        for path in overlay.claims_dir.glob("*.json"):
            claim = read_record(path, TicketClaim)
            holders[claim.ticket_id] = claim.pod_name
    return holders


def replay_history(overlay: Overlay) -> list[str]:
    """Replay ``history.jsonl``: every change must start from the state the one before left,
    and the end state must be the claim files on disk."""
    failures: list[str] = []
    state: dict[str, str] = {}
    for number, entry in enumerate(history(overlay), start=1):
        ticket = entry["ticket_id"]
        old = entry["old"]["pod_name"] if entry["old"] else None
        new = entry["new"]["pod_name"] if entry["new"] else None
        if state.get(ticket) != old:
            failures.append(
                f"history line {number}: {entry['action']} of {ticket} from {old!r}"
                f" but {state.get(ticket)!r} held it"
            )
        if new is None:
            state.pop(ticket, None)
        else:
            state[ticket] = new
    on_disk = claim_holders(overlay)
    if state != on_disk:
        failures.append(f"history ends in {state}, claim files say {on_disk}")
    return failures


# --- doctor after a crash -------------------------------------------------------------

SAFE_LEFTOVERS = {"YT406": "dead pending launch", "YT407": "leftover temporary file"}
CLAIM_FINDINGS = {"YT401", "YT402"}  # true statements about stale or finished claims


def doctor_local(worker: Worker, overlay: Overlay, *extra: str) -> tuple[list[dict[str, Any]], str]:
    """YT4xx findings of ``doctor --format json`` (run by ``worker``) and its stderr."""
    result = worker.run(cli_job(overlay, "doctor", "--format", "json", "--select", "YT4", *extra))
    if result.rc not in (0, 1) or "Traceback" in result.err:
        raise AssertionError(f"doctor exit {result.rc}: {result.err}")
    diagnostics: list[dict[str, Any]] = json.loads(result.out)["diagnostics"]
    return diagnostics, result.err


def overlay_snapshot(overlay: Overlay) -> dict[str, bytes]:
    """The bytes of every claim file and of role-sessions.json."""
    files = sorted(overlay.claims_dir.glob("*.json")) if overlay.claims_dir.is_dir() else []
    if overlay.sessions_path.exists():
        files.append(overlay.sessions_path)
    return {str(path): path.read_bytes() for path in files}


def check_after_crash(worker: Worker, overlay: Overlay) -> list[str]:
    """After a process died mid-change: every file parses, no lock is held, doctor reports
    exactly the leftovers (temp files, dead pending records) and nothing it could not
    explain, ``--fix`` removes exactly those and leaves claims and sessions alone."""
    failures = check_overlay(overlay)
    diagnostics, _ = doctor_local(worker, overlay)
    codes = {d["code"] for d in diagnostics}
    unexplained = codes - set(SAFE_LEFTOVERS) - CLAIM_FINDINGS
    if unexplained:
        failures.append(f"doctor reports {sorted(unexplained)}: {diagnostics}")
    temps = {str(path) for path in temp_files(overlay)}
    dead = {str(p) for p in overlay.pending_dir.glob("*.json")} if overlay.exists() else set()
    reported = {
        code: {d["path"] for d in diagnostics if d["code"] == code} for code in SAFE_LEFTOVERS
    }
    if reported["YT407"] != temps:
        failures.append(f"temp files {sorted(temps)}, YT407 for {sorted(reported['YT407'])}")
    if reported["YT406"] != dead:
        failures.append(f"pending records {sorted(dead)}, YT406 for {sorted(reported['YT406'])}")
    before = overlay_snapshot(overlay)
    diagnostics, _ = doctor_local(worker, overlay, "--fix")
    left = [d for d in diagnostics if d["code"] in SAFE_LEFTOVERS]
    if left or temp_files(overlay) or (overlay.exists() and any(overlay.pending_dir.iterdir())):
        failures.append(f"--fix left {left} {temp_files(overlay)}")
    if overlay_snapshot(overlay) != before:
        failures.append("--fix changed a claim or the role sessions")
    return failures


def locks_free_now(overlay: Overlay) -> list[str]:
    """Each overlay lock can be taken at once (timeout 0)."""
    failures = []
    if overlay.locks_dir.is_dir():
        for path in sorted(overlay.locks_dir.iterdir()):
            lock = locking.try_hold(path, timeout=0)
            if lock is None:
                failures.append(f"{path.name} is still locked")
            else:
                lock.release()
    return failures
