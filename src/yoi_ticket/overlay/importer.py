"""``overlay import``: move the claims and role sessions of yoi's panel registry into our
overlay (issue 13, point 5).

Each panel claim becomes our claim (same Pod, role and slug; claimed now, on this host),
written by the claim machinery (:func:`~yoi_ticket.overlay.claims.prepare` and
:func:`~yoi_ticket.overlay.claims.commit`: the state lock, an exclusive hard link), and
then its panel file is removed. Each panel role session is recorded in, or merged into,
our ``role-sessions.json`` (related tickets added once). The panel's own
``role-sessions.json`` is left as it is: it is yoi's, written under yoi's lock protocol.

Every step is a ``history.jsonl`` line with ``"action": "import"``, a ``"step"`` and the
``"panel_file"`` it came from. A ticket that both registries (or two panel folders) claim
for different holders is refused and left alone, as is any file that cannot be read.
A second run finds nothing left to move and changes nothing. ``dry_run`` plans and
reports the same steps and writes nothing.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from yoi_ticket.errors import RefusedError, YoiError
from yoi_ticket.files import atomicfile
from yoi_ticket.overlay.claims import (
    ClaimRequest,
    commit,
    prepare,
    read_claim,
    refuse_if_launching,
    same_holder,
)
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import this_host
from yoi_ticket.overlay.panel import PanelClaim, PanelSession, workspace_panels
from yoi_ticket.overlay.records import RecordError, RelatedTicket
from yoi_ticket.overlay.sessions import (
    ORIGINS,
    TICKET_CLAIM,
    check_role,
    is_companion,
    list_sessions,
    record_session,
)
from yoi_ticket.store.ids import validate_pod_name, validate_ticket_id

IMPORT = "import"


@dataclass(frozen=True)
class Step:
    """One line of the report: a change (made, or that a dry run would make), a note, or
    a refusal (which makes the command exit 1)."""

    text: str
    refused: bool = False


@dataclass(frozen=True)
class ClaimMove:
    request: ClaimRequest  # validated by prepare(); the slug is the panel's when it has one
    claim: PanelClaim  # as read from the first file
    files: tuple[Path, ...]  # every panel file with this holder
    held: bool  # we already hold it: only the panel files go


@dataclass(frozen=True)
class SessionMerge:
    pod_name: str
    role: str  # the session's role afterwards (ours is kept when it differs)
    panel: PanelSession
    source: Path  # the panel's role-sessions.json
    new: bool
    add: tuple[str, ...]  # related tickets ours lacks
    session_id: str | None  # set only where ours has none


@dataclass
class ImportReport:
    dry_run: bool
    registries: int = 0
    steps: list[Step] = field(default_factory=list)
    claims: int = 0
    sessions: int = 0
    refused: int = 0

    def refuse(self, text: str) -> None:
        self.steps.append(Step(f"refused {text}", refused=True))
        self.refused += 1

    def summary(self) -> str:
        refused = f"; {self.refused} refused" if self.refused else ""
        if not (self.claims or self.sessions):
            if self.registries == 0:
                return "nothing to import: this workspace has no panel registry"
            if self.refused:
                return f"nothing imported{refused}"
            return "nothing to import: the overlay already holds the panel's claims and sessions"
        counts = f"{_count(self.claims, 'claim')} and {_count(self.sessions, 'session')}"
        if self.dry_run:
            return f"dry run: would import {counts}{refused}; nothing changed"
        return f"imported {counts}{refused}"


@dataclass
class _Plan:
    moves: list[ClaimMove] = field(default_factory=list)
    merges: list[SessionMerge] = field(default_factory=list)


def import_panel(overlay: Overlay, *, dry_run: bool = False) -> ImportReport:
    """Move the panel registry's claims and sessions into ``overlay`` (see the module)."""
    report = ImportReport(dry_run)
    plan = _plan(overlay, report)
    if not dry_run and (plan.moves or plan.merges):
        overlay.ensure()
    for merge in plan.merges:  # first, so that a session keeps the panel's origin
        if not dry_run:
            try:
                _merge_session(overlay, merge)
            except YoiError as exc:
                report.refuse(f"the session of Pod '{merge.pod_name}': {exc.message}")
                continue
        report.steps.append(Step(_merge_text(merge, done=not dry_run)))
        report.sessions += 1
    for move in plan.moves:
        if not dry_run:
            try:
                _move_claim(overlay, move)
            except YoiError as exc:
                report.refuse(f"{move.request.ticket_id}: {exc.message}")
                continue
        report.steps.append(Step(_move_text(move, done=not dry_run)))
        report.claims += 1
    return report


# --- planning (reads only) ----------------------------------------------------------


def _plan(overlay: Overlay, report: ImportReport) -> _Plan:
    registries = workspace_panels(overlay)
    report.registries = len(registries)
    claims: list[PanelClaim] = []
    sessions: list[tuple[Path, PanelSession]] = []
    for registry in registries:
        contents = registry.read()
        claims += contents.claims
        sessions += [(registry.sessions_path, session) for session in contents.sessions]
        for problem in contents.problems:
            report.refuse(f"{problem.path}: {problem.message}")
    listing = list_sessions(overlay) if overlay.exists() else None
    if listing is not None and listing.error is not None:  # refused before any change
        raise RecordError(listing.error, hint="fix or remove the file, then import again")
    plan = _Plan()
    _plan_claims(overlay, claims, plan, report)
    ours = {
        s.pod_name: (s.role, {r.id for r in s.related_tickets}, s.session_id)
        for s in (listing.sessions if listing is not None else [])
    }
    for source, session in sorted(sessions, key=lambda pair: (pair[1].pod_name, str(pair[0]))):
        _plan_session(overlay, source, session, ours, plan, report)
    return plan


def _plan_claims(
    overlay: Overlay, claims: list[PanelClaim], plan: _Plan, report: ImportReport
) -> None:
    by_ticket: dict[str, list[PanelClaim]] = {}
    for one in sorted(claims, key=lambda one: (one.ticket_id, str(one.path))):
        by_ticket.setdefault(one.ticket_id, []).append(one)
    for ticket_id, found in by_ticket.items():
        if len({(c.pod_name, c.role) for c in found}) > 1:
            holders = "; ".join(_panel_text(c) for c in found)
            report.refuse(
                f"{ticket_id}: yoi's panel registries claim it for different Pods: {holders}"
            )
            continue
        first = found[0]
        try:
            request = prepare(overlay, ticket_id, first.pod_name, first.role, allow_missing=True)
            ours = read_claim(overlay, ticket_id) if overlay.exists() else None
        except YoiError as exc:
            report.refuse(f"{ticket_id} ({first.path}): {exc.message}")
            continue
        if ours is not None and not same_holder(ours, request):
            report.refuse(_conflict_text(ticket_id, ours.pod_name, ours.role, first))
            continue
        if first.ticket_slug is not None:
            request = dataclasses.replace(request, slug=first.ticket_slug)
        files = tuple(c.path for c in found)
        plan.moves.append(ClaimMove(request, first, files, held=ours is not None))


def _plan_session(
    overlay: Overlay,
    source: Path,
    session: PanelSession,
    ours: dict[str, tuple[str, set[str], str | None]],
    plan: _Plan,
    report: ImportReport,
) -> None:
    pod = session.pod_name
    if is_companion(overlay, pod):
        report.steps.append(
            Step(
                f"skipped the session of Pod '{pod}' ({source}): the Companion holds no ticket role"
            )
        )
        return
    try:
        validate_pod_name(pod)
        check_role(overlay, session.role)
        related = tuple(dict.fromkeys(validate_ticket_id(t) for t in session.related_tickets))
    except YoiError as exc:
        report.refuse(f"the session of Pod '{pod}' ({source}): {exc.message}")
        return
    existing = ours.get(pod)
    if existing is None:
        merge = SessionMerge(pod, session.role, session, source, True, related, session.session_id)
        ours[pod] = (session.role, set(related), session.session_id)
    else:
        role, ids, session_id = existing
        add = tuple(t for t in related if t not in ids)
        new_id = session.session_id if session_id is None else None
        if not add and new_id is None:
            return  # already ours
        merge = SessionMerge(pod, role, session, source, False, add, new_id)
        ours[pod] = (role, ids | set(add), session_id or new_id)
    plan.merges.append(merge)


# --- doing ----------------------------------------------------------------------------


def _move_claim(overlay: Overlay, move: ClaimMove) -> None:
    request = move.request
    with overlay.state_lock():
        refuse_if_launching(overlay, request.ticket_id)
        existing = read_claim(overlay, request.ticket_id)
        if existing is not None and not same_holder(existing, request):  # claimed meanwhile
            raise RefusedError(
                _conflict_text(request.ticket_id, existing.pod_name, existing.role, move.claim)
            )
        if existing is None:
            history = {
                "step": "claim",
                "panel_file": str(move.files[0]),
                "panel_era": move.claim.name_key,
            }
            commit(overlay, request, replacing=None, action=IMPORT, history=history)
        for path in move.files:
            removed = atomicfile.remove(path)
            overlay.append_history(
                _history("remove_panel_file", request.pod_name, path)
                | {"ticket_id": request.ticket_id, "removed": removed}
            )
    if existing is None:  # like every claim: the ticket joins the Pod's role session
        ticket = RelatedTicket(id=request.ticket_id, slug=request.slug)
        record_session(
            overlay, request.pod_name, request.role, default_origin=TICKET_CLAIM, tickets=[ticket]
        )


def _merge_session(overlay: Overlay, merge: SessionMerge) -> None:
    origin = merge.panel.origin if merge.panel.origin in ORIGINS else None
    record_session(
        overlay,
        merge.pod_name,
        merge.role,
        default_origin=origin if merge.new else None,
        tickets=merge.add,
        session_id=merge.session_id,
    )
    entry = _history("session", merge.pod_name, merge.source) | {
        "role": merge.role,
        "panel_role": merge.panel.role,
        "panel_era": merge.panel.name_key,
        "created": merge.new,
        "related_tickets_added": list(merge.add),
    }
    with overlay.state_lock():  # history.jsonl grows under the state lock
        overlay.append_history(entry)


def _history(step: str, pod_name: str, panel_file: Path) -> dict[str, object]:
    return {
        "action": IMPORT,
        "step": step,
        "panel_file": str(panel_file),
        "by_pod": pod_name,
        "pid": os.getpid(),
        "host": this_host(),
    }


# --- texts ----------------------------------------------------------------------------


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _panel_text(found: PanelClaim) -> str:
    return f"Pod '{found.pod_name}' (role {found.role}) in {found.path}"


def _conflict_text(ticket_id: str, pod: str, role: str, found: PanelClaim) -> str:
    return (
        f"{ticket_id}: claimed by Pod '{pod}' (role {role}) in our overlay and by"
        f" {_panel_text(found)}; release one of them, then import again"
    )


def _move_text(move: ClaimMove, *, done: bool) -> str:
    request = move.request
    files = ", ".join(str(path) for path in move.files)
    holder = f"Pod {request.pod_name} (role {request.role})"
    if move.held:
        verb = "removed" if done else "would remove"
        return f"{verb} {files}: {holder} already holds {request.ticket_id} here"
    verb = "imported" if done else "would import"
    return f"{verb} claim {request.ticket_id} for {holder} from {files} (the panel file goes)"


def _merge_text(merge: SessionMerge, *, done: bool) -> str:
    role = f"role {merge.role}"
    if merge.role != merge.panel.role:
        role += f", kept; the panel says {merge.panel.role}"
    tickets = ", ".join(merge.add) or "no tickets"
    if merge.new:
        verb = "imported" if done else "would import"
        return f"{verb} the session of Pod {merge.pod_name} ({role}; {tickets}) from {merge.source}"
    verb = "merged" if done else "would merge"
    added = [f"+{ticket}" for ticket in merge.add]
    added += [f"session id {merge.session_id}"] if merge.session_id else []
    return f"{verb} the session of Pod {merge.pod_name} ({role}): {', '.join(added)}" + (
        f" from {merge.source}"
    )
