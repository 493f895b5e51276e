"""``claims``, ``claim``, ``release``, ``reclaim`` and ``launch``: local claims of Pods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from yoi_ticket.cli import display
from yoi_ticket.cli.options import (
    AllowMissingOption,
    PodOption,
    RequiredRoleOption,
    RoleOption,
    TextFormatOption,
    TicketArgument,
    WorkspaceOption,
    overlay_for,
)

if TYPE_CHECKING:
    from yoi_ticket.overlay.folder import Overlay
    from yoi_ticket.overlay.records import TicketClaim

StaleOption = Annotated[bool, typer.Option("--stale", help="Only claims whose Pod is stale.")]
ForceReleaseOption = Annotated[bool, typer.Option("--force", help="Release another Pod's claim.")]
ForceReclaimOption = Annotated[
    bool, typer.Option("--force", help="Take over a holder that is not stale.")
]
GraceOption = Annotated[
    float,
    typer.Option(
        "--grace",
        min=0,
        max=3600,
        metavar="SECONDS",
        help="How long the new claim counts as starting while its Pod has not registered.",
    ),
]
CommandArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="COMMAND", help="The Pod spawn command, after '--'.", show_default=False
    ),
]


def _role(overlay: Overlay, pod: str, role: str | None) -> str:
    from yoi_ticket.overlay.sessions import default_role

    return role if role is not None else default_role(overlay, pod)


def _held(claim: TicketClaim, *, new: bool) -> str:
    if new:
        return f"claimed {claim.ticket_id} for Pod {claim.pod_name} (role {claim.role})"
    return f"Pod {claim.pod_name} already holds {claim.ticket_id} (role {claim.role})"


def claims_command(
    stale: StaleOption = False,
    fmt: TextFormatOption = "text",
    workspace: WorkspaceOption = None,
) -> int:
    """List local claims with ticket title/state and Pod status."""
    from yoi_ticket.overlay.views import claims_document

    document = claims_document(overlay_for(workspace), stale_only=stale)
    if fmt == "json":
        display.print_json(document)
    else:
        display.print_document(document, "claims", display.ClaimRow)
    return 0


def claim_command(
    ticket_id: TicketArgument,
    pod: PodOption,
    role: RoleOption = None,
    allow_missing: AllowMissingOption = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Claim a ticket for a local Pod (exit 1 if another Pod holds it)."""
    from yoi_ticket.overlay.claims import claim

    overlay = overlay_for(workspace)
    outcome = claim(overlay, ticket_id, pod, _role(overlay, pod, role), allow_missing=allow_missing)
    display.echo(_held(outcome.claim, new=outcome.changed))
    return 0


def release_command(
    ticket_id: TicketArgument,
    pod: PodOption,
    force: ForceReleaseOption = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Release a ticket claimed by a Pod."""
    from yoi_ticket.overlay.claims import release

    old = release(overlay_for(workspace), ticket_id, pod, force=force)
    display.echo(f"released {old.ticket_id} (held by Pod {old.pod_name}, role {old.role})")
    return 0


def reclaim_command(
    ticket_id: TicketArgument,
    pod: PodOption,
    role: RoleOption = None,
    force: ForceReclaimOption = False,
    allow_missing: AllowMissingOption = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Take over a ticket whose holder is stale (any holder with --force)."""
    from yoi_ticket.overlay.claims import reclaim

    overlay = overlay_for(workspace)
    role = _role(overlay, pod, role)
    outcome = reclaim(overlay, ticket_id, pod, role, force=force, allow_missing=allow_missing)
    held, old = outcome.claim, outcome.replaced
    if not outcome.changed or old is None:
        display.echo(_held(held, new=outcome.changed))
        return 0
    was = outcome.replaced_status.label if outcome.replaced_status else "unknown"
    display.echo(
        f"reclaimed {held.ticket_id} for Pod {held.pod_name} (role {held.role})"
        f" from Pod {old.pod_name} ({was})"
    )
    return 0


def launch_command(
    ticket_id: TicketArgument,
    command: CommandArgument,
    pod: PodOption,
    role: RequiredRoleOption,
    allow_missing: AllowMissingOption = False,
    grace: GraceOption = 120.0,
    workspace: WorkspaceOption = None,
) -> int:
    """Run COMMAND to start a Pod; claim the ticket only if it exits 0."""
    from yoi_ticket.overlay.launch import run_launch
    from yoi_ticket.overlay.spawn import signal_name

    overlay = overlay_for(workspace)
    result = run_launch(
        overlay, ticket_id, pod, role, command, allow_missing=allow_missing, grace=grace
    )
    if result.signals:
        caught = ", ".join(dict.fromkeys(signal_name(signum) for signum in result.signals))
        if result.claim is not None:
            outcome = f"the command exited 0, so the Pod started: claimed {ticket_id} for Pod {pod}"
        else:
            outcome = f"the command exited with status {result.status}: nothing claimed"
        display.echo(f"launch: {caught} received while the command ran; {outcome}", err=True)
    return result.status


COMMANDS = (
    ("claims", claims_command),
    ("claim", claim_command),
    ("release", release_command),
    ("reclaim", reclaim_command),
    ("launch", launch_command),
)
