"""What ``claims``, ``sessions``, ``workspace`` and the claim column of ``list`` print,
as plain data (SPEC 8 JSON shapes; every document carries ``"version": 1``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from yoi_ticket import JSON_VERSION
from yoi_ticket.errors import YoiError
from yoi_ticket.overlay.claims import ClaimEntry, ClaimListing, list_claims, read_claim
from yoi_ticket.overlay.folder import Overlay, other_overlays
from yoi_ticket.overlay.locations import TIME_FORMAT
from yoi_ticket.overlay.panel import PanelClaim, PanelProblem, panel_claims, workspace_panels
from yoi_ticket.overlay.pending import list_pending
from yoi_ticket.overlay.pods import (
    STALE,
    STARTING,
    PodStatus,
    PodStatusChecker,
    read_pod_registries,
    restorable_pod_names,
    starting_deadline,
)
from yoi_ticket.overlay.records import RecordError
from yoi_ticket.overlay.sessions import SessionsListing, list_sessions

if TYPE_CHECKING:
    from yoi_ticket.store.listing import StateFilter
    from yoi_ticket.store.reader import Store


OVERLAY = "overlay"
PANEL = "panel"


@dataclass(frozen=True)
class PanelEntry:
    """A claim in yoi's panel registry and the status of its Pod (no host: this machine's)."""

    claim: PanelClaim
    status: PodStatus


@dataclass
class PanelListing:
    claims: list[PanelEntry] = field(default_factory=list)
    problems: list[PanelProblem] = field(default_factory=list)


def list_panel_claims(overlay: Overlay, checker: PodStatusChecker | None = None) -> PanelListing:
    """Every readable claim of the workspace's panel registries (sorted by ticket id, then
    file), with its Pod's status; unreadable claim files go to ``problems``."""
    listing = PanelListing()
    for registry in workspace_panels(overlay):
        contents = registry.read_claims()
        listing.problems.extend(contents.problems)
        if contents.claims:
            checker = checker or PodStatusChecker(overlay.locations)
            for found in contents.claims:
                listing.claims.append(PanelEntry(found, checker.status(found.pod_name)))
    listing.claims.sort(key=lambda entry: (entry.claim.ticket_id, str(entry.claim.path)))
    return listing


def claim_cell(entry: ClaimEntry) -> dict[str, Any]:
    """A ``claim`` of a ``list``/``show`` entry: ``{pod_name, role, status, source}``."""
    return {
        "pod_name": entry.claim.pod_name,
        "role": entry.claim.role,
        "status": entry.status.status,
        "source": OVERLAY,
    }


def panel_cell(entry: PanelEntry) -> dict[str, Any]:
    """A panel claim as a ``claim`` cell, with the panel file that holds it."""
    return {
        "pod_name": entry.claim.pod_name,
        "role": entry.claim.role,
        "status": entry.status.status,
        "source": PANEL,
        "panel_file": str(entry.claim.path),
    }


def _combined(cells: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first holder (ours before the panel's) as the cell; any further holders in
    ``other_claims``, which is present only when there are some."""
    if not cells:
        return None
    first, *rest = cells
    return {**first, "other_claims": rest} if rest else first


def claim_cells(overlay: Overlay) -> dict[str, dict[str, Any]]:
    """Claim cells by ticket id, ours and the panel's (a ticket nobody claims is absent)."""
    checker = PodStatusChecker(overlay.locations)
    cells: dict[str, list[dict[str, Any]]] = {}
    if overlay.exists():
        for entry in list_claims(overlay, checker).claims:
            cells.setdefault(entry.claim.ticket_id, []).append(claim_cell(entry))
    for panel in list_panel_claims(overlay, checker).claims:
        cells.setdefault(panel.claim.ticket_id, []).append(panel_cell(panel))
    return {ticket_id: cell for ticket_id, found in cells.items() if (cell := _combined(found))}


def claim_cell_for(overlay: Overlay, ticket_id: str) -> dict[str, Any] | None:
    """The claim cell of one ticket (``None`` when nobody claims it readably)."""
    checker = PodStatusChecker(overlay.locations)
    cells = []
    try:
        claim = read_claim(overlay, ticket_id) if overlay.exists() else None
    except YoiError:
        claim = None
    if claim is not None:
        status = checker.claim_status(claim)
        cells.append(claim_cell(ClaimEntry(claim, overlay.claim_path(ticket_id), status)))
    for found in sorted(panel_claims(overlay, ticket_id), key=lambda found: str(found.path)):
        cells.append(panel_cell(PanelEntry(found, checker.status(found.pod_name))))
    return _combined(cells)


def keep_row(claim: dict[str, Any] | None, claimed: bool | None, pod: str | None) -> bool:
    """The ``list`` filters ``--claimed``/``--unclaimed`` and ``--pod`` (any holder)."""
    if claimed is not None and (claim is not None) != claimed:
        return False
    if pod is None:
        return True
    holders = [claim, *claim.get("other_claims", ())] if claim is not None else []
    return any(holder["pod_name"] == pod for holder in holders)


def claims_document(overlay: Overlay, *, stale_only: bool = False) -> dict[str, Any]:
    """``claims --format json``: our claims and the panel's, joined with ticket title and
    state and their Pod's status; each row says its ``source``."""
    from yoi_ticket.store.reader import Store

    checker = PodStatusChecker(overlay.locations)
    listing = list_claims(overlay, checker) if overlay.exists() else ClaimListing()
    panel = list_panel_claims(overlay, checker)
    ours = [e for e in listing.claims if not stale_only or e.status.status == STALE]
    theirs = [e for e in panel.claims if not stale_only or e.status.status == STALE]
    store = Store(overlay.workspace) if ours or theirs else None
    rows = [] if store is None else [_claim_row(store, e) for e in ours]
    rows += [] if store is None else [_panel_row(store, e) for e in theirs]
    rows.sort(key=lambda row: (row["ticket_id"], row["source"] != OVERLAY))  # stable otherwise
    errors = [{"path": str(error.path), "message": error.message} for error in listing.errors]
    errors += [{"path": str(p.path), "message": f"{p.path}: {p.message}"} for p in panel.problems]
    return {
        "version": JSON_VERSION,
        "workspace": str(overlay.workspace),
        "claims": rows,
        "errors": errors,
    }


def _claim_row(store: Store, entry: ClaimEntry) -> dict[str, Any]:
    title, state = _title_and_state(store, entry.claim.ticket_id)
    return {
        "ticket_id": entry.claim.ticket_id,
        "pod_name": entry.claim.pod_name,
        "role": entry.claim.role,
        "status": entry.status.status,
        "reachable": entry.status.reachable,
        "claimed_at": entry.claim.claimed_at,
        "host": entry.claim.host,
        "starting_until": _starting_until(entry),
        "ticket_slug": entry.claim.ticket_slug,
        "ticket_title": title,
        "ticket_state": state,
        "source": OVERLAY,
        "panel_file": None,
    }


def _starting_until(entry: ClaimEntry) -> str | None:
    """Until when a starting claim stays starting (``None`` for every other status)."""
    if entry.status.status != STARTING:
        return None
    until = starting_deadline(entry.claim)
    return until.strftime(TIME_FORMAT) if until is not None else None


def _panel_row(store: Store, entry: PanelEntry) -> dict[str, Any]:
    """A panel claim as a ``claims`` row: the panel records no time and no host."""
    title, state = _title_and_state(store, entry.claim.ticket_id)
    return {
        "ticket_id": entry.claim.ticket_id,
        "pod_name": entry.claim.pod_name,
        "role": entry.claim.role,
        "status": entry.status.status,
        "reachable": entry.status.reachable,
        "claimed_at": None,
        "host": None,
        "starting_until": None,
        "ticket_slug": entry.claim.ticket_slug,
        "ticket_title": title,
        "ticket_state": state,
        "source": PANEL,
        "panel_file": str(entry.claim.path),
    }


def _title_and_state(store: Store, ticket_id: str) -> tuple[str | None, str | None]:
    """Read only the ticket's ``item.md`` frontmatter (``None, None`` if it is missing)."""
    from yoi_ticket.files import textfile
    from yoi_ticket.store.item import parse_item
    from yoi_ticket.store.models import Ticket
    from yoi_ticket.store.reader import ITEM

    location = store.locate(ticket_id)
    if location is None or location.escapes is not None:
        return None, None
    item, _error = parse_item(textfile.read(store.workspace / location.path / ITEM).text)
    ticket = Ticket(id=ticket_id, path=location.path, layout=location.layout, item=item)
    return ticket.title, ticket.state


def sessions_document(overlay: Overlay) -> dict[str, Any]:
    """``sessions --format json``."""
    listing = list_sessions(overlay) if overlay.exists() else SessionsListing(overlay.sessions_path)
    return {
        "version": JSON_VERSION,
        "workspace": str(overlay.workspace),
        "sessions": [session.model_dump(mode="json") for session in listing.sessions],
        "errors": [{"path": str(listing.path), "message": listing.error}] if listing.error else [],
    }


def workspace_document(overlay: Overlay) -> dict[str, Any]:
    """``workspace --format json`` (SPEC 8); records this path among the seen paths."""
    try:
        overlay.note_seen_path()
    except OSError:
        pass  # a read-only data dir does not stop the report
    try:
        record = overlay.read_workspace_record()
    except RecordError:
        record = None
    seen = list(record.seen_paths) if record is not None else [str(overlay.workspace)]
    identity = overlay.identity
    return {
        "version": JSON_VERSION,
        "workspace": str(identity.path),
        "canonical_path": identity.canonical_path,
        "key": identity.key,
        "overlay": str(overlay.root),
        "overlay_exists": overlay.exists(),
        "data_dir": str(overlay.locations.data_dir),
        "runtime_dir": str(overlay.locations.runtime_dir),
        **_read_dirs(overlay),
        "companion": identity.companion,
        "orchestrator": identity.orchestrator,
        "seen_paths": seen,
        "other_overlays": [
            {"key": info.key, "path": str(info.path), "seen_paths": info.seen_paths}
            for info in other_overlays(overlay)
        ],
    }


def _read_dirs(overlay: Overlay) -> dict[str, Any]:
    """Every other place this workspace's report reads: yoi's legacy data dir, both Pod
    tables, the saved-Pod folders and the panel registry folders found."""
    from yoi_ticket.overlay.panel import workspace_panels

    locations = overlay.locations
    legacy = locations.legacy_data_dir
    return {
        "legacy_data_dir": str(legacy) if legacy is not None else None,
        "pod_registries": [str(path) for path in locations.pod_registries],
        "saved_pod_dirs": [str(path) for path in locations.saved_pod_dirs],
        "panel_registries": [str(registry.folder) for registry in workspace_panels(overlay)],
    }


def workspace_text(document: dict[str, Any]) -> str:
    overlay = document["overlay"] + ("" if document["overlay_exists"] else "  (not created yet)")
    lines = [
        f"workspace:       {document['workspace']}",
        f"canonical path:  {document['canonical_path']}",
        f"key:             {document['key']}",
        f"overlay:         {overlay}",
        f"data dir:        {document['data_dir']}",
        f"runtime dir:     {document['runtime_dir']}",
        f"legacy data dir: {document['legacy_data_dir'] or '-'}  (older yoi; read only)",
        "Pod tables:      " + ", ".join(document["pod_registries"]),
        "saved Pods:      " + ", ".join(document["saved_pod_dirs"]),
        "panel registries:"
        + "".join(f"\n  {path}" for path in document["panel_registries"])
        + ("" if document["panel_registries"] else " none found"),
        f"companion:       {document['companion']}",
        f"orchestrator:    {document['orchestrator']}",
        "seen paths:",
        *(f"  {path}" for path in document["seen_paths"]),
    ]
    if document["other_overlays"]:
        lines.append("other overlays that saw this workspace:")
        lines.extend(f"  {info['path']}" for info in document["other_overlays"])
    return "\n".join(lines)


def tickets_document(
    store: Store,
    states: StateFilter | tuple[str, ...] = (),
    *,
    claimed: bool | None = None,
    pod: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """``list --format json``: the store's tickets with their claims (ours and the panel's);
    with ``limit``, the first ``limit`` of them and ``"omitted"``, how many more there are."""
    from yoi_ticket.store.listing import list_tickets, ticket_row

    tickets = list_tickets(store, states)
    cells_by_id = claim_cells(Overlay.for_workspace(store.workspace))
    rows = [ticket_row(ticket, cells_by_id.get(ticket.id)) for ticket in tickets]
    rows = [row for row in rows if keep_row(row["claim"], claimed, pod)]
    if limit is None:
        return {"version": JSON_VERSION, "tickets": rows}
    return {"version": JSON_VERSION, "tickets": rows[:limit], "omitted": len(rows[limit:])}


def ticket_document(store: Store, ticket_id: str) -> dict[str, Any]:
    """``show --format json``: one ticket (id or unique prefix) with its local claim."""
    from yoi_ticket.store.listing import ticket_details

    location = store.find(ticket_id)
    claim = claim_cell_for(Overlay.for_workspace(store.workspace), location.id)
    return {"version": JSON_VERSION, "ticket": ticket_details(store, location, claim)}


def known_pod_names(overlay: Overlay) -> set[str]:
    """Every Pod name this machine knows for the workspace: role sessions, claims,
    pending launches, the runtime registry and saved Pod metadata."""
    locations = overlay.locations
    names = {a.pod_name for a in read_pod_registries(locations).allocations}
    names.update(restorable_pod_names(locations))
    if overlay.exists():
        names.update(session.pod_name for session in list_sessions(overlay).sessions)
        checker = PodStatusChecker(locations)
        names.update(entry.claim.pod_name for entry in list_claims(overlay, checker).claims)
        names.update(e.record.pod_name for e in list_pending(overlay) if e.record is not None)
    return names
