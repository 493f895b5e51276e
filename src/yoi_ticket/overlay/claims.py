"""Claims (SPEC 7.1): which local Pod works on which ticket, at most one per ticket.

Every change happens under the overlay's state lock; a new claim appears through
a hard link of a fully written temp file, so it exists whole or not at all and
two writers can never both create it. ``history.jsonl`` records every change.
Ticket ids and Pod names are validated before any path is built from them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yoi_ticket.errors import RefusedError, YoiError
from yoi_ticket.files import atomicfile, faults
from yoi_ticket.overlay import pending
from yoi_ticket.overlay.folder import Overlay, encoded_name
from yoi_ticket.overlay.locations import now, this_host
from yoi_ticket.overlay.panel import PanelClaim, panel_claims
from yoi_ticket.overlay.pods import STALE, PodStatus, PodStatusChecker
from yoi_ticket.overlay.records import RecordError, TicketClaim, read_record
from yoi_ticket.store.ids import decode_filename, validate_pod_name, validate_ticket_id

CLAIM = "claim"
RELEASE = "release"
RECLAIM = "reclaim"


@dataclass(frozen=True)
class ClaimEntry:
    claim: TicketClaim
    path: Path
    status: PodStatus


@dataclass(frozen=True)
class ClaimFileError:
    path: Path
    message: str


@dataclass
class ClaimListing:
    """All readable claims (sorted by ticket id) and every claim file that is not."""

    claims: list[ClaimEntry] = field(default_factory=list)
    errors: list[ClaimFileError] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimOutcome:
    claim: TicketClaim
    changed: bool  # False: the same Pod already held it in the same role
    replaced: TicketClaim | None = None
    replaced_status: PodStatus | None = None


@dataclass(frozen=True)
class ClaimRequest:
    """A validated request to claim: safe ids, an allowed role, the ticket's slug."""

    ticket_id: str
    pod_name: str
    role: str
    slug: str | None


# --- reading ------------------------------------------------------------------------


def read_claim(overlay: Overlay, ticket_id: str) -> TicketClaim | None:
    """The claim on ``ticket_id`` or ``None``; an unreadable claim file raises RecordError."""
    try:
        return read_record(overlay.claim_path(ticket_id), TicketClaim)
    except FileNotFoundError:
        return None


def list_claims(overlay: Overlay, checker: PodStatusChecker | None = None) -> ClaimListing:
    """Every claim with its Pod's status; bad files go to ``errors`` (never raises on content)."""
    listing = ClaimListing()
    try:
        paths = sorted(overlay.claims_dir.glob("*.json"))  # symlinks etc. are reported
    except OSError:
        return listing
    if not paths:
        return listing
    checker = checker or PodStatusChecker(overlay.locations)
    for path in paths:
        try:
            claim = read_record(path, TicketClaim)
        except FileNotFoundError:
            continue  # released while listing
        except RecordError as exc:
            listing.errors.append(ClaimFileError(path, exc.message))
            continue
        problem = _name_problem(path, claim)
        if problem is not None:
            listing.errors.append(ClaimFileError(path, problem))
            continue
        listing.claims.append(ClaimEntry(claim, path, checker.claim_status(claim)))
    listing.claims.sort(key=lambda entry: entry.claim.ticket_id)
    return listing


def _name_problem(path: Path, claim: TicketClaim) -> str | None:
    try:
        expected = encoded_name(claim.ticket_id)
    except YoiError:  # an id no valid claim can have
        return f"{path}: ticket id {claim.ticket_id!r} is not a valid ticket id"
    if expected != path.stem:
        try:
            shown = decode_filename(path.stem)
        except UnicodeDecodeError:
            shown = path.stem
        return f"{path}: file is named for {shown!r} but holds a claim on {claim.ticket_id!r}"
    return None


def holder_text(claim: TicketClaim, status: PodStatus) -> str:
    where = f" on host {claim.host}" if status.status == "foreign" else ""
    return f"Pod '{claim.pod_name}' (role {claim.role}, status {status.label}){where}"


# --- changing -----------------------------------------------------------------------


def prepare(
    overlay: Overlay, ticket_id: str, pod_name: str, role: str, *, allow_missing: bool = False
) -> ClaimRequest:
    """Validate a claim request: names first, then the Companion, the role, the ticket."""
    from yoi_ticket.overlay.sessions import check_role, is_companion, list_sessions, lookup_slug
    from yoi_ticket.store.reader import Store

    validate_ticket_id(ticket_id)
    validate_pod_name(pod_name)
    store = Store(overlay.workspace)
    ticket_id = store.resolve_id(ticket_id)  # ids match without regard to case, as in yoi
    encoded_name(ticket_id)
    if is_companion(overlay, pod_name):
        raise RefusedError(
            f"Pod '{pod_name}' is this workspace's Companion and cannot claim tickets",
            hint="claim with a ticket-role Pod (intake, coder, reviewer, ...)",
        )
    check_role(overlay, role)
    sessions = list_sessions(overlay) if overlay.exists() else None
    if sessions is not None and sessions.error is not None:  # refused before any claim
        raise RecordError(
            sessions.error, hint="fix or remove the file; 'yoi ticket doctor' reports it"
        )
    if not allow_missing and not store.exists(ticket_id):
        raise RefusedError(
            f"ticket {ticket_id} does not exist in the store",
            hint="check the id with 'yoi ticket list', or pass --allow-missing",
        )
    return ClaimRequest(ticket_id, pod_name, role, lookup_slug(overlay, ticket_id))


def claim(
    overlay: Overlay, ticket_id: str, pod_name: str, role: str, *, allow_missing: bool = False
) -> ClaimOutcome:
    """Claim ``ticket_id`` for ``pod_name``; refused if anyone else holds it."""
    request = prepare(overlay, ticket_id, pod_name, role, allow_missing=allow_missing)
    ticket_id = request.ticket_id
    overlay.ensure()
    with overlay.state_lock():
        faults.point("claim.locked")
        refuse_if_launching(overlay, ticket_id)
        existing = read_claim(overlay, ticket_id)
        if existing is not None:
            if same_holder(existing, request):
                _repair_session(overlay, request)
                return ClaimOutcome(existing, changed=False)
            status = PodStatusChecker(overlay.locations).claim_status(existing)
            raise taken(ticket_id, request, existing, status)
        held = panel_holder(overlay, request)
        if held is not None:
            raise panel_taken(request, *held)
        new = commit(overlay, request, replacing=None, action=CLAIM)
    _record_session(overlay, request, default_origin="ticket_claim")
    return ClaimOutcome(new, changed=True)


def reclaim(
    overlay: Overlay,
    ticket_id: str,
    pod_name: str,
    role: str,
    *,
    force: bool = False,
    allow_missing: bool = False,
) -> ClaimOutcome:
    """Take over ``ticket_id`` from a stale holder (any holder with ``force``)."""
    request = prepare(overlay, ticket_id, pod_name, role, allow_missing=allow_missing)
    ticket_id = request.ticket_id
    overlay.ensure()
    status = None
    with overlay.state_lock():
        faults.point("reclaim.locked")
        refuse_if_launching(overlay, ticket_id)
        existing = read_claim(overlay, ticket_id)
        if existing is not None and same_holder(existing, request):
            _repair_session(overlay, request)
            return ClaimOutcome(existing, changed=False)
        if existing is not None:
            status = PodStatusChecker(overlay.locations).claim_status(existing)
            if status.status != STALE and not force:
                raise RefusedError(
                    f"ticket {ticket_id} is claimed by {holder_text(existing, status)};"
                    " only a stale claim can be reclaimed",
                    hint="pass --force to take it over anyway",
                )
        held = panel_holder(overlay, request)
        if held is not None and held[1].status != STALE and not force:
            raise RefusedError(
                f"ticket {ticket_id} is claimed by {panel_holder_text(*held)};"
                " only a stale claim can be reclaimed",
                hint="pass --force to take it over anyway",
            )
        new = commit(
            overlay, request, replacing=existing, action=RECLAIM, forced=force, old_status=status
        )
        if held is not None:  # ours now: the panel's stale claim file goes
            _take_over_panel_claim(overlay, request, new, *held, forced=force)
    _record_session(overlay, request, default_origin="ticket_claim")
    return ClaimOutcome(new, changed=True, replaced=existing, replaced_status=status)


def release(overlay: Overlay, ticket_id: str, pod_name: str, *, force: bool = False) -> TicketClaim:
    """Remove the claim ``pod_name`` holds on ``ticket_id`` (another Pod's needs ``force``)."""
    from yoi_ticket.store.reader import Store

    validate_ticket_id(ticket_id)
    validate_pod_name(pod_name)
    if not overlay.claim_path(ticket_id).exists():  # as the store spells it, if it has it
        ticket_id = Store(overlay.workspace).resolve_id(ticket_id)
    path = overlay.claim_path(ticket_id)
    existing = read_claim(overlay, ticket_id) if overlay.exists() else None
    if existing is None:
        raise RefusedError(f"ticket {ticket_id} has no local claim")
    with overlay.state_lock():
        faults.point("release.locked")
        existing = read_claim(overlay, ticket_id)
        if existing is None:
            raise RefusedError(f"ticket {ticket_id} has no local claim")
        if existing.pod_name != pod_name and not force:
            status = PodStatusChecker(overlay.locations).claim_status(existing)
            raise RefusedError(
                f"ticket {ticket_id} is claimed by {holder_text(existing, status)},"
                f" not by Pod '{pod_name}'",
                hint="pass --force to release another Pod's claim",
            )
        atomicfile.remove(path)
        faults.point("release.after_remove")
        _history(overlay, RELEASE, ticket_id, existing, None, forced=force, by=pod_name)
    return existing


def panel_holder(overlay: Overlay, request: ClaimRequest) -> tuple[PanelClaim, PodStatus] | None:
    """A claim in yoi's panel registry on the ticket by another Pod or role, and the status
    of its Pod: it counts as a holder like one of ours."""
    for found in panel_claims(overlay, request.ticket_id):
        if (found.pod_name, found.role) != (request.pod_name, request.role):
            return found, PodStatusChecker(overlay.locations).status(found.pod_name)
    return None


def panel_holder_text(found: PanelClaim, status: PodStatus) -> str:
    return (
        f"Pod '{found.pod_name}' (role {found.role}, status {status.label})"
        f" in yoi's panel registry ({found.path})"
    )


def panel_taken(request: ClaimRequest, found: PanelClaim, status: PodStatus) -> RefusedError:
    if status.status == STALE:
        hint = (
            "the holder is stale; take the ticket over with: yoi ticket reclaim"
            f" {request.ticket_id} --pod {request.pod_name} --role {request.role}"
        )
    else:
        hint = "ask that Pod to release it in yoi first"
    return RefusedError(
        f"ticket {request.ticket_id} is already claimed by {panel_holder_text(found, status)}",
        hint=hint,
    )


def _take_over_panel_claim(
    overlay: Overlay,
    request: ClaimRequest,
    new: TicketClaim,
    found: PanelClaim,
    status: PodStatus,
    *,
    forced: bool,
) -> None:
    """Remove the panel's claim file that ``new`` replaced and say so in the history."""
    removed = atomicfile.remove(found.path)
    overlay.append_history(
        {
            "action": RECLAIM,
            "ticket_id": request.ticket_id,
            "old": {"pod_name": found.pod_name, "role": found.role, "source": "panel"},
            "new": new.model_dump(mode="json"),
            "forced": forced,
            "by_pod": request.pod_name,
            "pid": os.getpid(),
            "host": this_host(),
            "old_status": status.status,
            "panel_file": str(found.path),
            "panel_file_removed": removed,
        }
    )


def refuse_if_launching(overlay: Overlay, ticket_id: str) -> None:
    """Refuse while a launch of ``ticket_id`` holds its lock (its launcher, or the command
    a dead launcher left running); the caller holds the state lock."""
    entry = pending.in_flight(overlay, ticket_id)
    if entry is None:
        return
    if entry.orphaned:
        raise RefusedError(
            f"ticket {ticket_id} has {pending.describe(entry)}",
            hint="the ticket stays locked until that command ends; 'yoi ticket doctor'"
            " reports it (YT417)",
        )
    raise RefusedError(
        f"ticket {ticket_id} has {pending.describe(entry)} in progress",
        hint="wait for the launch to finish, then try again",
    )


def commit(
    overlay: Overlay,
    request: ClaimRequest,
    *,
    replacing: TicketClaim | None,
    action: str,
    forced: bool = False,
    old_status: PodStatus | None = None,
    via: str | None = None,
    history: Mapping[str, str] | None = None,
    starting_until: str | None = None,
) -> TicketClaim:
    """Write the claim and its history line (caller holds the state lock); ``history``
    adds fields to that line (``overlay import`` names the panel file); ``starting_until``
    is a launch's (the claim is ``starting`` until then, unless its Pod registers)."""
    new = TicketClaim(
        ticket_id=request.ticket_id,
        ticket_slug=request.slug,
        pod_name=request.pod_name,
        role=request.role,
        claimed_at=now(),
        host=this_host(),
        starting_until=starting_until,
    )
    path = overlay.claim_path(request.ticket_id)
    fault = via or action  # fault points "<claim|reclaim|launch>.<step>"
    if replacing is None:
        if not atomicfile.write_exclusive(path, new.to_json(), fault=fault):
            holder = read_claim(overlay, request.ticket_id)
            raise RefusedError(
                f"ticket {request.ticket_id} was claimed meanwhile"
                + (f" by Pod '{holder.pod_name}' (role {holder.role})" if holder else "")
            )
    else:
        atomicfile.write_replace(path, new.to_json(), fault=fault)
    extra = {"old_status": old_status.status} if old_status is not None else {}
    if via is not None:
        extra["via"] = via
    extra.update(history or {})
    _history(
        overlay,
        action,
        request.ticket_id,
        replacing,
        new,
        forced=forced,
        by=request.pod_name,
        **extra,
    )
    faults.point(fault, "after_history")
    return new


def _history(
    overlay: Overlay,
    action: str,
    ticket_id: str,
    old: TicketClaim | None,
    new: TicketClaim | None,
    *,
    forced: bool,
    by: str,
    **extra: str,
) -> None:
    overlay.append_history(
        {
            "action": action,
            "ticket_id": ticket_id,
            "old": old.model_dump(mode="json") if old is not None else None,
            "new": new.model_dump(mode="json") if new is not None else None,
            "forced": forced,
            "by_pod": by,
            "pid": os.getpid(),
            "host": this_host(),
            **extra,
        }
    )


def _record_session(overlay: Overlay, request: ClaimRequest, *, default_origin: str) -> None:
    from yoi_ticket.overlay.records import RelatedTicket
    from yoi_ticket.overlay.sessions import record_session

    record_session(
        overlay,
        request.pod_name,
        request.role,
        default_origin=default_origin,
        tickets=[RelatedTicket(id=request.ticket_id, slug=request.slug)],
    )


def _repair_session(overlay: Overlay, request: ClaimRequest) -> None:
    """Put the ticket back in the holder's role session if it is missing there (a crash
    between writing a claim and its session leaves it out); an unreadable file is left."""
    from yoi_ticket.overlay.sessions import list_sessions

    listing = list_sessions(overlay)
    if listing.error is not None:
        return
    for session in listing.sessions:
        if (session.pod_name, session.role) == (request.pod_name, request.role) and any(
            ref.id == request.ticket_id for ref in session.related_tickets
        ):
            return
    _record_session(overlay, request, default_origin="ticket_claim")


def same_holder(existing: TicketClaim, request: ClaimRequest) -> bool:
    return existing.pod_name == request.pod_name and existing.role == request.role


def taken(
    ticket_id: str, request: ClaimRequest, existing: TicketClaim, status: PodStatus
) -> RefusedError:
    if status.status == STALE:
        hint = (
            "the holder is stale; take the ticket over with: yoi ticket reclaim"
            f" {ticket_id} --pod {request.pod_name} --role {request.role}"
        )
    else:
        hint = "ask that Pod to release it first"
    return RefusedError(
        f"ticket {ticket_id} is already claimed by {holder_text(existing, status)}", hint=hint
    )
