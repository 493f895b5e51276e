"""What ``claims``, ``sessions``, ``workspace`` and the claim column of ``list`` print,
as plain data (SPEC 8 JSON shapes; every document carries ``"version": 1``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yoi_ticket import JSON_VERSION
from yoi_ticket.errors import YoiError
from yoi_ticket.overlay.claims import ClaimEntry, ClaimListing, list_claims, read_claim
from yoi_ticket.overlay.folder import Overlay, other_overlays
from yoi_ticket.overlay.pending import list_pending
from yoi_ticket.overlay.pods import (
    STALE,
    PodStatusChecker,
    read_pod_registries,
    restorable_pod_names,
)
from yoi_ticket.overlay.records import RecordError
from yoi_ticket.overlay.sessions import SessionsListing, list_sessions

if TYPE_CHECKING:
    from yoi_ticket.store.reader import Store


def claim_cell(entry: ClaimEntry) -> dict[str, Any]:
    """The ``claim`` of a ``list``/``show`` entry: ``{pod_name, role, status}``."""
    return {
        "pod_name": entry.claim.pod_name,
        "role": entry.claim.role,
        "status": entry.status.status,
    }


def claim_cells(overlay: Overlay) -> dict[str, dict[str, Any]]:
    """Claim cells by ticket id (empty when the overlay does not exist yet)."""
    if not overlay.exists():
        return {}
    return {entry.claim.ticket_id: claim_cell(entry) for entry in list_claims(overlay).claims}


def claim_cell_for(overlay: Overlay, ticket_id: str) -> dict[str, Any] | None:
    """The claim cell of one ticket (``None`` when unclaimed or unreadable)."""
    if not overlay.exists():
        return None
    try:
        claim = read_claim(overlay, ticket_id)
    except YoiError:
        return None
    if claim is None:
        return None
    status = PodStatusChecker(overlay.locations).status(claim.pod_name, claim.host)
    return claim_cell(ClaimEntry(claim, overlay.claim_path(ticket_id), status))


def keep_row(claim: dict[str, Any] | None, claimed: bool | None, pod: str | None) -> bool:
    """The ``list`` filters ``--claimed``/``--unclaimed`` and ``--pod``."""
    if claimed is not None and (claim is not None) != claimed:
        return False
    return pod is None or (claim is not None and claim["pod_name"] == pod)


def claims_document(overlay: Overlay, *, stale_only: bool = False) -> dict[str, Any]:
    """``claims --format json``: claims joined with ticket title/state and Pod status."""
    from yoi_ticket.store.reader import Store

    listing = list_claims(overlay) if overlay.exists() else ClaimListing()
    entries = [e for e in listing.claims if not stale_only or e.status.status == STALE]
    store = Store(overlay.workspace) if entries else None
    return {
        "version": JSON_VERSION,
        "workspace": str(overlay.workspace),
        "claims": [_claim_row(store, entry) for entry in entries if store is not None],
        "errors": [{"path": str(error.path), "message": error.message} for error in listing.errors],
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
        "ticket_slug": entry.claim.ticket_slug,
        "ticket_title": title,
        "ticket_state": state,
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
    states: tuple[str, ...] = (),
    *,
    claimed: bool | None = None,
    pod: str | None = None,
) -> dict[str, Any]:
    """``list --format json``: the store's tickets with their local claims, filtered."""
    from yoi_ticket.store.listing import list_tickets, ticket_row

    tickets = list_tickets(store, states)
    cells_by_id = claim_cells(Overlay.for_workspace(store.workspace))
    rows = [ticket_row(ticket, cells_by_id.get(ticket.id)) for ticket in tickets]
    return {
        "version": JSON_VERSION,
        "tickets": [row for row in rows if keep_row(row["claim"], claimed, pod)],
    }


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
