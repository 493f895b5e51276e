"""YT4xx: the health of this workspace's local overlay (claims, sessions, launches).

All rules have scope ``local`` (skipped by ``--no-local``). Pod status decides
staleness, never age. Paths of findings are absolute: the overlay lies outside
the workspace. The overlay is read once per run: ``ctx.local`` (see
:mod:`yoi_ticket.doctor.local_view`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.fixes import DEAD_PENDING, LEFTOVER_TEMP
from yoi_ticket.doctor.rule import rule
from yoi_ticket.overlay.folder import OverlayInfo, other_overlays
from yoi_ticket.overlay.pending import command_text
from yoi_ticket.overlay.pods import STALE, read_pod_registry
from yoi_ticket.overlay.records import RecordError, TicketClaim, read_record
from yoi_ticket.store.workspace import MARKER

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
FINISHED_STATES = ("closed", "done")


def _ticket_state(ctx: DoctorContext, ticket_id: str) -> tuple[bool, str | None]:
    """Whether the ticket exists in the store, and its state."""
    known, state = ctx.index.state_of(ticket_id)
    if known:
        return True, state
    location = ctx.store.locate(ticket_id)
    if location is None:
        return False, None
    if location.escapes is not None:
        return True, None
    return True, ctx.store.load(location).state


def _without_path(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _claim_text(claim: TicketClaim) -> str:
    return f"claim by Pod '{claim.pod_name}' (role {claim.role}) on {claim.ticket_id}"


@rule(
    "YT401",
    W,
    "local",
    "Stale claim",
    why="A claim whose Pod is neither running nor restorable blocks the ticket: nobody works "
    "on it, yet every new claim or launch for it is refused.",
    example="ticket-claims/00001KSKBP9YG.json names Pod coder-1, which is not in pods.json "
    "and has no saved metadata",
    fix="Release it (yoi ticket release ID --pod HOLDER) or take it over "
    "(yoi ticket reclaim ID --pod POD --role ROLE).",
)
def stale_claim(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports claims whose Pod is stale: not live (no running pid in pods.json), not
    restorable (no saved metadata) and not foreign (the claim was made on this host).
    Judged by Pod status only, never by the claim's age."""
    for entry in ctx.local.claims.claims:
        if entry.status.status == STALE:
            claim = entry.claim
            yield Finding(
                str(entry.path),
                None,
                f"{_claim_text(claim)} is stale: {entry.status.detail}",
                f"yoi ticket release {claim.ticket_id} --pod {claim.pod_name}, or "
                f"yoi ticket reclaim {claim.ticket_id} --pod POD --role {claim.role}",
            )


@rule(
    "YT402",
    W,
    "local",
    "Claim on a missing, closed or done ticket",
    why="Work on a ticket that is finished or gone is over; the claim only keeps its Pod "
    "listed as busy and confuses 'yoi ticket claims'.",
    example="ticket-claims/00001KSKBP9YG.json while .yoi/tickets/00001KSKBP9YG is closed",
    fix="Release it: yoi ticket release ID --pod HOLDER (after a rename, claim the new id).",
)
def claim_on_finished_ticket(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports claims on tickets that are not in the store, or whose state is closed or
    done."""
    for entry in ctx.local.claims.claims:
        claim = entry.claim
        exists, state = _ticket_state(ctx, claim.ticket_id)
        if exists and state not in FINISHED_STATES:
            continue
        why = "is not in the store" if not exists else f"is {state}"
        yield Finding(
            str(entry.path),
            None,
            f"{_claim_text(claim)}, a ticket that {why}",
            f"yoi ticket release {claim.ticket_id} --pod {claim.pod_name}",
        )


@rule(
    "YT403",
    E,
    "local",
    "Unreadable or partial overlay file",
    why="Claims, role sessions, the workspace record, the Pod registry and yoi's panel "
    "registry are written atomically; a file that does not parse was damaged or hand-edited, "
    "and the claims or sessions in it are invisible to every command.",
    example='ticket-claims/00001KSKBP9YG.json containing {"ticket_id": "00001KSKBP9YG", "pod_na',
    fix="Look at the file, then remove it or restore its JSON. A claim can be re-created "
    "with yoi ticket claim ID --pod POD --role ROLE. A file of yoi's panel registry is "
    "yoi's: restore it as yoi writes it, or remove it once its claim is re-made.",
)
def unreadable_overlay_file(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports claim files, role-sessions.json, pending records, workspace.json, the
    runtime registries pods.json and workers.json, and the claim files and
    role-sessions.json of yoi's panel registry that cannot be read or do not hold a valid
    record (a panel claim naming another ticket than its file name included)."""
    view = ctx.local
    for error in view.claims.errors:
        try:
            read_record(error.path, TicketClaim)
        except FileNotFoundError:
            continue
        except RecordError:
            yield _unreadable(error.path, error.message)
    if view.sessions is not None and view.sessions.error is not None:
        yield _unreadable(view.sessions.path, view.sessions.error)
    for pending in view.pending:
        if pending.record is None and pending.error and os.path.exists(pending.path):
            yield _unreadable(pending.path, pending.error)
    if view.pending_error is not None:
        yield _unreadable(view.overlay.pending_dir, view.pending_error)
    if view.overlay.exists():
        try:
            view.overlay.read_workspace_record()
        except RecordError as exc:
            yield _unreadable(view.overlay.workspace_record_path, exc.message)
    if view.registry.error is not None:  # say which of the two eras' tables it is
        for path in view.overlay.locations.pod_registries:
            problem = read_pod_registry(path).error
            if problem is not None:
                yield _unreadable(path, problem)
    for panel in view.panels:
        for found in panel.contents.problems:
            yield Finding(
                str(found.path),
                None,
                f"yoi's panel registry: {found.message}",
                "look at the file, then restore it as yoi writes it or remove it (re-make "
                "its claim with yoi's panel or 'yoi ticket claim')",
            )


def _unreadable(path: Path, message: str) -> Finding:
    return Finding(
        str(path),
        None,
        _without_path(message, path),
        "look at the file, then fix its JSON or remove it (re-create a claim with "
        "'yoi ticket claim ID --pod POD --role ROLE')",
    )


@rule(
    "YT404",
    E,
    "local",
    "Overlay file names another ticket than its file name",
    why="Claims are found by file name; a file named for one ticket that holds another "
    "ticket's claim makes both tickets look claimed wrongly (usually a hand copy or rename).",
    example='ticket-claims/00001KSKBP9YG.json containing {"ticket_id": "00001KSKBPDVG", ...}',
    fix="Remove the file and claim the intended ticket again with yoi ticket claim.",
)
def overlay_file_names_other_ticket(
    ctx: DoctorContext, subject: object = None
) -> Iterator[Finding]:
    """Reports claim files and pending launch records whose content is about another ticket
    than the one their file name encodes."""
    view = ctx.local
    for error in view.claims.errors:
        try:
            claim = read_record(error.path, TicketClaim)
        except (FileNotFoundError, RecordError):
            continue
        yield Finding(
            str(error.path),
            None,
            _without_path(error.message, error.path),
            f"remove the file, then: yoi ticket claim {claim.ticket_id} --pod {claim.pod_name} "
            f"--role {claim.role}",
        )
    for pending in view.pending:
        if pending.record is not None and pending.error:
            yield Finding(
                str(pending.path),
                None,
                _without_path(pending.error, pending.path),
                "remove the file once no launch for either ticket is running",
            )


@rule(
    "YT405",
    E,
    "local",
    "Claim held by the Companion",
    why="The Companion is the workspace's general-purpose Pod, outside ticket roles; it never "
    "holds claims, so a claim in its name was made by hand or by a broken tool.",
    example="ticket-claims/00001KSKBP9YG.json with pod_name 'yoi' in workspace .../yoi",
    fix="Release it (yoi ticket release ID --pod COMPANION) and claim with a ticket-role Pod.",
)
def companion_claim(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports claims whose Pod is the Companion (the basename of the canonical workspace
    path) or whose role is ``companion``."""
    view = ctx.local
    companion = view.overlay.identity.companion
    for entry in view.claims.claims:
        claim = entry.claim
        if claim.pod_name == companion or claim.role == "companion":
            yield Finding(
                str(entry.path),
                None,
                f"{_claim_text(claim)} is held by the Companion, which never holds claims",
                f"yoi ticket release {claim.ticket_id} --pod {claim.pod_name}, then claim it "
                "with a ticket-role Pod",
            )


@rule(
    "YT406",
    W,
    "local",
    "Dead pending launch",
    why="A launcher that died (killed, crashed) leaves its pending record behind; once its "
    "command has ended too, the launch lock is free. It blocks nothing, but it hides "
    "whether the Pod it was starting is running without a claim.",
    example="pending/00001KSKBP9YG.json whose launcher (pid 4242) and command are gone: its "
    "lock is free",
    fix="yoi ticket doctor --fix removes it. Check whether the Pod runs and claim the ticket "
    "for it if so.",
    safe_fix=DEAD_PENDING,
)
def dead_pending_launch(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports pending launch records whose OS lock is free (the launcher and its command
    are gone). Fixed by --fix."""
    for pending in ctx.local.pending:
        if pending.alive or not os.path.exists(pending.path):
            continue
        record = pending.record
        what = (
            f"launch of Pod '{record.pod_name}' (role {record.role}, pid {record.pid}) "
            f"for {record.ticket_id}"
            if record is not None
            else "launch"
        )
        yield Finding(
            str(pending.path),
            None,
            f"dead pending {what}: its launcher is gone",
            "yoi ticket doctor --fix removes it",
        )


@rule(
    "YT407",
    INFO,
    "local",
    "Leftover temporary file in the overlay",
    why="A process killed between writing a temp file and renaming it into place leaves the "
    "temp file; it holds nothing anyone reads.",
    example="ticket-claims/.tmp-4242-9f3a1c2b7d0e",
    fix="yoi ticket doctor --fix removes it.",
    safe_fix=LEFTOVER_TEMP,
)
def leftover_temp_file(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports temporary files in the overlay whose writing process is no longer running.
    Fixed by --fix."""
    from yoi_ticket.overlay.folder import leftover_temp_files

    for path in leftover_temp_files(ctx.local.overlay):
        yield Finding(
            str(path),
            None,
            "leftover temporary file of an interrupted write",
            "yoi ticket doctor --fix removes it",
        )


@rule(
    "YT408",
    W,
    "local",
    "Split overlay",
    why="The overlay is keyed by the canonical workspace path. If another overlay recorded "
    "paths that now resolve to this workspace (a moved checkout, a symlink change, a tool "
    "that keyed differently), claims and sessions are split between two folders and each "
    "command sees only half of them.",
    example="<data dir>/workspaces/repo-1a2b.../workspace.json lists /home/alice/old/repo, "
    "now a symlink to this workspace",
    fix="Re-create the claims and sessions of the other overlay here "
    "(yoi ticket claim / yoi ticket session record), then remove the other folder.",
)
def split_overlay(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports other overlays under <data dir>/workspaces whose recorded canonical path or
    seen paths resolve to this workspace's canonical path (or equal one of its paths)."""
    from yoi_ticket.store.workspace import canonical_path

    view = ctx.local
    mine = view.overlay.identity.canonical_path
    same = {info.key for info in other_overlays(view.overlay)}
    resolved: dict[str, str | None] = {}
    for info in ctx.local.overlays:
        if info.key == view.overlay.identity.key or info.record is None:
            continue
        if info.key not in same:
            for path in _recorded_paths(info):
                if path not in resolved:
                    resolved[path] = canonical_path(path) if os.path.isdir(path) else None
                if resolved[path] == mine:
                    same.add(info.key)
                    break
        if info.key in same:
            yield Finding(
                str(info.path),
                None,
                f"another overlay ({info.key}) also belongs to this workspace ({mine})",
                f"re-create its claims and sessions here, then remove {info.path}",
            )


def _recorded_paths(info: OverlayInfo) -> list[str]:
    paths = [info.record.canonical_path] if info.record is not None else []
    return list(dict.fromkeys([*paths, *info.seen_paths]))


@rule(
    "YT409",
    INFO,
    "local",
    "Overlay of a workspace that no longer exists",
    why="An overlay whose workspace was deleted or moved away keeps its claims and sessions "
    "forever; it only takes space, and may confuse a workspace re-created at that path.",
    example="<data dir>/workspaces/old-repo-1a2b.../ whose recorded paths all vanished",
    fix="Check its claims, then remove the folder (rm -r PATH).",
)
def vanished_workspace_overlay(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Notes overlays under <data dir>/workspaces none of whose recorded workspace paths is
    still a workspace (a folder holding .yoi/)."""
    mine = ctx.local.overlay.identity.key
    for info in ctx.local.overlays:
        if info.key == mine or info.record is None:
            continue
        paths = _recorded_paths(info)
        if paths and not any(os.path.isdir(os.path.join(p, MARKER)) for p in paths):
            yield Finding(
                str(info.path),
                None,
                f"overlay of {info.record.canonical_path}, which no longer exists",
                f"check its claims, then remove it: rm -r {info.path}",
            )


@rule(
    "YT410",
    INFO,
    "local",
    "Role session related to a missing ticket",
    why="A role session lists the tickets its Pod works on; an id that is not in the store "
    "was mistyped, renamed, or deleted on another branch.",
    example='role-sessions.json: "coder-1": {"related_tickets": [{"id": "00001KSKBP9YG"}]} '
    "while no such ticket exists",
    fix="Check out the branch that has the ticket, or link the session to the right id "
    "(yoi ticket session link ID --pod POD).",
)
def session_missing_ticket(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Notes role sessions whose related tickets include an id that is not in the store."""
    sessions = ctx.local.sessions
    if sessions is None:
        return
    for session in sessions.sessions:
        for ticket in session.related_tickets:
            if not _ticket_state(ctx, ticket.id)[0]:
                yield Finding(
                    str(sessions.path),
                    None,
                    f"role session of Pod '{session.pod_name}' relates to {ticket.id}, "
                    "which is not in the store",
                    "check out the branch holding it, or link the session to the right ticket",
                )


_RECORD_FILES = ("workspace.json", "role-sessions.json", "history.jsonl")


@rule(
    "YT411",
    E,
    "local",
    "Overlay not private to this user",
    why="The overlay decides which local Pod works on which ticket. A folder or file of it "
    "that another user owns or may write, or a symlink put in its place, would let someone "
    "else change that, or make yoi-ticket write elsewhere; commands that write refuse it. "
    "So does a folder on the way to it (the data dir and every folder above it, as ssh's "
    "StrictModes checks) that another user than root owns or may write (unless it is "
    "sticky, like /tmp), or a symlink on the way that another user owns: whoever can "
    "rename or re-point it can move the whole overlay.",
    example="<data dir>/workspaces/yoi-1a2b3c4d5e6f7a8b/ with mode 777, or owned by another "
    "uid, or ticket-claims/ replaced by a symlink; or a data dir /srv/shared/yoi whose "
    "/srv/shared another user owns",
    fix="Make it yours and private (chown to your user; chmod 700 for folders, 600 for "
    "files; a real folder instead of a symlink), or set YOI_DATA_DIR to a private folder.",
)
def overlay_not_private(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports overlay folders and files (and ``workspaces/``) that are symlinks, owned by
    another user, or writable by group or others, and folders on the way to the data dir
    that another user could change; writers refuse such an overlay."""
    workspaces = ctx.local.overlay.locations.workspaces_dir
    for path, reason in ctx.local.overlay.trust_problems():
        if path.name in _RECORD_FILES:
            what = "overlay file"
        elif path == workspaces or workspaces in path.parents:
            what = "overlay folder"
        else:
            what = "folder on the way to the overlay"
        yield Finding(
            str(path),
            None,
            f"{what} {reason}",
            "chown it to your user and chmod it 700 (folders) or 600 (files), or set "
            "YOI_DATA_DIR to a private folder",
        )


@rule(
    "YT417",
    W,
    "local",
    "Orphaned launch",
    why="A launcher that was killed outright (SIGKILL, a crash) while its command ran "
    "leaves that command running: it still holds the launch lock, so the ticket stays "
    "locked (no claim, no second launch) until it ends, and whatever Pod it starts will "
    "not be claimed by anyone.",
    example="pending/00001KSKBP9YG.json whose launcher (pid 4242) is gone while its "
    "command (pid 4243) still runs",
    fix="Wait for the command to end, or stop it (kill PID). Then check whether the Pod "
    "runs and claim the ticket for it (yoi ticket claim ID --pod POD --role ROLE); the "
    "record, dead by then, is removed by yoi ticket doctor --fix.",
)
def orphaned_launch(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports pending launch records whose lock is still held although their launcher (a
    process of this host) is gone: the command it started, or a process that command left
    behind, holds it. Never fixed: --fix leaves the record while the lock is held."""
    for pending in ctx.local.pending:
        record = pending.record
        if record is None or not pending.orphaned or not os.path.exists(pending.path):
            continue
        pid = record.command_pid
        yield Finding(
            str(pending.path),
            None,
            f"orphaned launch of Pod '{record.pod_name}' (role {record.role}) for "
            f"{record.ticket_id}: its launcher (pid {record.pid}) is gone, "
            f"{command_text(pending)}",
            (f"wait for pid {pid} to end (or kill {pid}), then " if pid else "when it ends, ")
            + f"claim {record.ticket_id} for the Pod if it started: yoi ticket claim "
            f"{record.ticket_id} --pod {record.pod_name} --role {record.role}",
        )


RULES = (
    stale_claim,
    claim_on_finished_ticket,
    unreadable_overlay_file,
    overlay_file_names_other_ticket,
    companion_claim,
    dead_pending_launch,
    leftover_temp_file,
    split_overlay,
    vanished_workspace_overlay,
    session_missing_ticket,
    overlay_not_private,
    orphaned_launch,
)
