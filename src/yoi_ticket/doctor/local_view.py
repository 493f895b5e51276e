"""What doctor reads of the local overlay and the runtime, once per run.

The local rules (YT4xx), YT302 and ``--fix`` all read it through
:attr:`yoi_ticket.doctor.context.DoctorContext.local`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from yoi_ticket.errors import YoiError
from yoi_ticket.overlay.claims import ClaimListing, list_claims
from yoi_ticket.overlay.folder import Overlay, OverlayInfo, list_overlays
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.overlay.panel import PanelContents, PanelRegistry, workspace_panels
from yoi_ticket.overlay.pending import PendingEntry, list_pending
from yoi_ticket.overlay.pods import PodRegistry, PodStatusChecker, restorable_pod_names
from yoi_ticket.overlay.sessions import SessionsListing, list_sessions


@dataclass(frozen=True)
class PanelView:
    """One of yoi's panel registry folders of this workspace and what it holds."""

    registry: PanelRegistry
    contents: PanelContents


@dataclass
class LocalView:
    """The overlay of one workspace, its claims, sessions and pending launches, the Pod
    registry, and yoi's panel registries."""

    overlay: Overlay
    checker: PodStatusChecker
    claims: ClaimListing = field(default_factory=ClaimListing)
    sessions: SessionsListing | None = None
    pending: list[PendingEntry] = field(default_factory=list)
    pending_error: str | None = None

    @property
    def registry(self) -> PodRegistry:
        return self.checker.registry

    @cached_property
    def overlays(self) -> list[OverlayInfo]:
        """Every overlay under the data dir (this one included), listed once."""
        return list_overlays(self.overlay.locations)

    @cached_property
    def panels(self) -> list[PanelView]:
        """yoi's panel registries of this workspace (every path spelling, every data dir),
        found and read once, on first use: ``--no-local`` never reads them."""
        return [PanelView(found, found.read()) for found in workspace_panels(self.overlay)]

    def known_pods(self) -> dict[str, str]:
        """Pod names this machine knows, each with why (for YT302); never the Companion or
        the Orchestrator, whose names are the same for every clone of the workspace."""
        known: dict[str, str] = {}
        for entry in self.claims.claims:
            claim = entry.claim
            known.setdefault(claim.pod_name, f"holds the local claim on {claim.ticket_id}")
        for pending in self.pending:
            if pending.record is not None:
                known.setdefault(
                    pending.record.pod_name, f"is being launched for {pending.record.ticket_id}"
                )
        for session in self.sessions.sessions if self.sessions else []:
            known.setdefault(session.pod_name, f"has a local {session.role} role session")
        for allocation in self.registry.allocations:
            known.setdefault(
                allocation.pod_name, "is in the runtime Pod registry (workers.json or pods.json)"
            )
        for name in restorable_pod_names(self.overlay.locations):
            known.setdefault(name, "has saved Pod metadata in the data dir")
        for panel in self.panels:
            for found in panel.contents.claims:
                known.setdefault(found.pod_name, f"holds yoi's panel claim on {found.ticket_id}")
            for panel_session in panel.contents.sessions:
                known.setdefault(
                    panel_session.pod_name,
                    f"has a role session ({panel_session.role}) in yoi's panel",
                )
        identity = self.overlay.identity
        for workspace_wide in (identity.companion, identity.orchestrator):
            known.pop(workspace_wide, None)
        return known


def read_local_view(workspace: Path) -> LocalView:
    """The overlay of ``workspace`` and the Pod registry, read once and shared by rules."""
    overlay = Overlay.for_workspace(workspace, Locations.from_env())
    view = LocalView(overlay, PodStatusChecker(overlay.locations))
    if not overlay.exists():
        return view
    view.claims = list_claims(overlay, view.checker)
    view.sessions = list_sessions(overlay)
    try:
        view.pending = list_pending(overlay)
    except (OSError, YoiError) as exc:
        view.pending_error = str(exc)
    return view
