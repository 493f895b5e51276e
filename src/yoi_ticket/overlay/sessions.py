"""Role sessions (SPEC 5.2, 7.1): which Pod works in which role on which tickets.

``role-sessions.json`` changes only by read-modify-write under an OS lock,
written to a temp file and renamed into place, so concurrent writers never
lose an update and readers never see a partial file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from yoi_ticket.errors import RefusedError, UsageError
from yoi_ticket.files import atomicfile, faults
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import now
from yoi_ticket.overlay.records import (
    RecordError,
    RelatedTicket,
    RoleSession,
    RoleSessionsFile,
    read_record,
)
from yoi_ticket.store.ids import IdForm, id_form, unsafe_component_reason, validate_pod_name
from yoi_ticket.store.ids import validate_ticket_id as _validate_ticket_id
from yoi_ticket.store.workspace import CASE_INSENSITIVE_PLATFORMS

PRE_TICKET_INTAKE = "pre_ticket_intake"
TICKET_CLAIM = "ticket_claim"
ROLE_LAUNCH = "role_launch"
ORIGINS = (PRE_TICKET_INTAKE, TICKET_CLAIM, ROLE_LAUNCH)
BUILTIN_ROLES = ("intake", "orchestrator", "coder", "reviewer")
COMPANION_ROLE = "companion"


@dataclass
class SessionsListing:
    """Role sessions as read; ``error`` says why the file could not be read (never raised)."""

    path: Path
    sessions: list[RoleSession] = field(default_factory=list)
    error: str | None = None


def allowed_roles(overlay: Overlay) -> tuple[str, ...]:
    """The built-in roles plus the ones ``.yoi/ticket.config.toml`` configures."""
    from yoi_ticket.store.config import load_config

    configured = load_config(overlay.workspace).roles
    return tuple(dict.fromkeys((*BUILTIN_ROLES, *configured)))


def check_role(overlay: Overlay, role: str) -> str:
    """Refuse role ``companion``; reject a role that is neither built in nor configured."""
    if role == COMPANION_ROLE:
        raise RefusedError(
            "role 'companion' cannot hold tickets",
            hint=f"the Companion Pod '{overlay.identity.companion}' works outside ticket roles",
        )
    roles = allowed_roles(overlay)
    if unsafe_component_reason(role) is not None or role not in roles:
        raise UsageError(f"unknown role {role!r}", hint=f"roles here: {', '.join(roles)}")
    return role


def is_companion(overlay: Overlay, pod_name: str) -> bool:
    companion = overlay.identity.companion
    if sys.platform in CASE_INSENSITIVE_PLATFORMS:  # pragma: no cover - not Linux
        return pod_name.casefold() == companion.casefold()
    return pod_name == companion


def refuse_companion(overlay: Overlay, pod_name: str) -> None:
    """The Companion is never a ticket role: no claim, no role session (UPSTREAM.md 4)."""
    if is_companion(overlay, pod_name):
        raise RefusedError(
            f"Pod '{pod_name}' is this workspace's Companion, which holds no ticket role",
            hint="record the session for a ticket-role Pod (intake, coder, reviewer, ...)",
        )


def lookup_slug(overlay: Overlay, ticket_id: str) -> str | None:
    """The ticket's slug: its frontmatter ``slug``, else the tail of a dated-slug id."""
    from yoi_ticket.files import textfile
    from yoi_ticket.store.item import parse_item
    from yoi_ticket.store.reader import ITEM, Store

    location = Store(overlay.workspace).locate(ticket_id)
    if location is not None and location.escapes is None:
        item, _error = parse_item(textfile.read(overlay.workspace / location.path / ITEM).text)
        slug = item.fields.get("slug")
        if isinstance(slug, str) and slug.strip():
            return slug.strip()
    if id_form(ticket_id) is IdForm.DATED_SLUG:
        return ticket_id.split("-", 2)[2]
    return None


def list_sessions(overlay: Overlay) -> SessionsListing:
    """All role sessions, sorted by Pod name; a bad file is reported, never raised."""
    listing = SessionsListing(overlay.sessions_path)
    try:
        data = read_record(overlay.sessions_path, RoleSessionsFile)
    except FileNotFoundError:
        return listing
    except RecordError as exc:
        listing.error = exc.message
        return listing
    listing.sessions = [data.sessions[name] for name in sorted(data.sessions)]
    return listing


def get_session(overlay: Overlay, pod_name: str) -> RoleSession | None:
    listing = list_sessions(overlay)
    return next((s for s in listing.sessions if s.pod_name == pod_name), None)


def default_role(overlay: Overlay, pod_name: str) -> str:
    """The role of ``pod_name``'s session, for commands whose ``--role`` was left out."""
    session = get_session(overlay, validate_pod_name(pod_name))
    if session is None:
        raise UsageError(
            f"Pod '{pod_name}' has no role session, so --role is needed",
            hint=f"roles here: {', '.join(allowed_roles(overlay))}",
        )
    return session.role


def record_session(
    overlay: Overlay,
    pod_name: str,
    role: str,
    *,
    origin: str | None = None,
    default_origin: str | None = None,
    tickets: Iterable[str | RelatedTicket] = (),
    session_id: str | None = None,
) -> RoleSession:
    """Create or update ``pod_name``'s session; ``tickets`` are added to its related tickets.

    ``origin`` is set on the session whether it is new or not. Otherwise a new
    session gets ``default_origin``, else ``pre_ticket_intake`` for an Intake Pod
    with no ticket, else ``role_launch``; an existing session keeps its origin.
    """
    validate_pod_name(pod_name)
    refuse_companion(overlay, pod_name)
    check_role(overlay, role)
    for given in (origin, default_origin):
        if given is not None and given not in ORIGINS:
            raise UsageError(f"unknown origin {given!r}", hint=f"origins: {', '.join(ORIGINS)}")
    refs = _refs(overlay, tickets)

    def change(data: RoleSessionsFile) -> RoleSession:
        stamp = now()
        session = data.sessions.get(pod_name)
        if session is None:
            fallback = PRE_TICKET_INTAKE if role == "intake" and not refs else ROLE_LAUNCH
            session = RoleSession(
                pod_name=pod_name,
                role=role,
                origin=origin or default_origin or fallback,
                created_at=stamp,
                updated_at=stamp,
            )
            data.sessions[pod_name] = session
        session.role = role
        if origin is not None:
            session.origin = origin
        if session_id is not None:
            session.session_id = session_id
        _add_related(session, refs)
        session.updated_at = stamp
        return session

    return _update(overlay, change)


def link_tickets(
    overlay: Overlay, pod_name: str, tickets: Iterable[str | RelatedTicket]
) -> RoleSession:
    """Relate more tickets to an existing session (no duplicates)."""
    validate_pod_name(pod_name)
    refuse_companion(overlay, pod_name)
    refs = _refs(overlay, tickets)

    def change(data: RoleSessionsFile) -> RoleSession:
        session = data.sessions.get(pod_name)
        if session is None:
            raise UsageError(
                f"Pod '{pod_name}' has no role session",
                hint="record one first: yoi ticket session record --pod NAME --role ROLE",
            )
        _add_related(session, refs)
        session.updated_at = now()
        return session

    return _update(overlay, change)


def _refs(overlay: Overlay, tickets: Iterable[str | RelatedTicket]) -> list[RelatedTicket]:
    from yoi_ticket.store.reader import Store

    refs: dict[str, RelatedTicket] = {}
    store = Store(overlay.workspace)
    for ticket in tickets:
        if isinstance(ticket, str):  # an id as typed: as the store spells it (any case)
            ticket = RelatedTicket(id=store.resolve_id(_validate_ticket_id(ticket)), slug=None)
        else:
            _validate_ticket_id(ticket.id)
        refs.setdefault(ticket.id, ticket)
    for ref in refs.values():
        if ref.slug is None:
            ref.slug = lookup_slug(overlay, ref.id)
    return list(refs.values())


def _add_related(session: RoleSession, refs: list[RelatedTicket]) -> None:
    known = {ref.id: ref for ref in session.related_tickets}
    for ref in refs:
        if ref.id not in known:
            session.related_tickets.append(ref)
            known[ref.id] = ref
        elif known[ref.id].slug is None and ref.slug is not None:
            known[ref.id].slug = ref.slug


def _update(overlay: Overlay, change: Callable[[RoleSessionsFile], RoleSession]) -> RoleSession:
    overlay.ensure()
    with overlay.sessions_lock():
        faults.point("session.locked")
        try:
            data = read_record(overlay.sessions_path, RoleSessionsFile)
        except FileNotFoundError:
            data = RoleSessionsFile(workspace_root=overlay.identity.canonical_path)
        except RecordError as exc:
            raise RecordError(
                exc.message,
                hint=exc.hint or "fix or remove the file; 'yoi ticket doctor' reports it",
            ) from None
        session = change(data)
        atomicfile.write_replace(overlay.sessions_path, data.to_json(), fault="session")
    return session
