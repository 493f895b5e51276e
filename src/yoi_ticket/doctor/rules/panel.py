"""YT4xx: yoi's own panel registry of this workspace, beside our overlay, and yoi's
registries that another user could have written (YT418).

yoi's TUI panel keeps claims and role sessions in
``<data>/panel/workspaces/<leaf>-<fnv>/`` (UPSTREAM.md section 3); its claims count as
holders like ours. These rules have scope ``local`` (skipped by ``--no-local``) and read
the registries once per run through ``ctx.local.panels`` (see
:mod:`yoi_ticket.doctor.local_view`). Unreadable panel files are YT403's. Paths of
findings are absolute. ``--fix`` removes only a stuck lock and abandoned temp files,
never a claim.
"""

from __future__ import annotations

from collections.abc import Iterator

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.fixes import PANEL_TEMP, STUCK_PANEL_LOCK
from yoi_ticket.doctor.rule import rule
from yoi_ticket.overlay.panel import STUCK_LOCK_SECONDS, PanelClaim, distrusted_panels
from yoi_ticket.overlay.pods import STALE, distrusted_pod_sources

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def _panel_claim_text(found: PanelClaim) -> str:
    return f"panel claim by Pod '{found.pod_name}' (role {found.role}) on {found.ticket_id}"


@rule(
    "YT412",
    E,
    "local",
    "Ticket claimed in both registries by different Pods",
    why="A claim says one Pod works on the ticket. Our overlay and yoi's panel registry "
    "each hold a claim on it for another Pod: two Pods may do the same work, and each side's "
    "commands refuse the other's Pod.",
    example="<overlay>/ticket-claims/00001KSKBP9YG.json names Pod coder-1 while "
    "<data>/panel/workspaces/yoi-1a2b3c4d5e6f7a8b/ticket-claims/00001KSKBP9YG.json names "
    "Pod coder-2",
    fix="Decide which Pod works on the ticket. Release our claim "
    "(yoi ticket release ID --pod POD), or release the panel's claim in yoi.",
)
def claimed_in_both_registries(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports claims of our overlay on a ticket that yoi's panel registry (any of this
    workspace's registry folders) claims for another Pod; the finding is on our claim file
    and names the panel's file, both Pods and their status."""
    view = ctx.local
    panel_claims: dict[str, list[PanelClaim]] = {}
    for panel in view.panels:
        for found in panel.contents.claims:
            panel_claims.setdefault(found.ticket_id, []).append(found)
    for entry in view.claims.claims:
        ours = entry.claim
        for found in panel_claims.get(ours.ticket_id, []):
            if found.pod_name == ours.pod_name:
                continue
            theirs = view.checker.status(found.pod_name)
            yield Finding(
                str(entry.path),
                None,
                f"{ours.ticket_id} is claimed here by Pod '{ours.pod_name}' (role {ours.role}, "
                f"{entry.status.label}) and in yoi's panel registry by Pod '{found.pod_name}' "
                f"(role {found.role}, {theirs.label}): {found.path}",
                f"keep one: yoi ticket release {ours.ticket_id} --pod {ours.pod_name}, "
                f"or release it in yoi's panel (Pod {found.pod_name})",
            )


@rule(
    "YT413",
    W,
    "local",
    "Stale claim in yoi's panel registry",
    why="A panel claim holds the ticket just like one of ours: while its Pod is neither "
    "running nor restorable, nobody works on the ticket, yet claim and launch refuse it.",
    example="<data>/panel/workspaces/yoi-1a2b3c4d5e6f7a8b/ticket-claims/00001KSKBP9YG.json "
    "names worker coder-1, which is not in workers.json and has no saved metadata",
    fix="Take it over (yoi ticket reclaim ID --pod POD --role ROLE: the new claim is ours "
    "and the panel's stale file is removed), or release it in yoi's panel.",
)
def stale_panel_claim(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports claims in yoi's panel registry whose Pod is stale: not live (no running pid
    in pods.json or workers.json) and not restorable (no saved metadata that parses). Panel
    claims record no host, so they are judged as made on this host. Judged by Pod status
    only."""
    view = ctx.local
    for panel in view.panels:
        for found in panel.contents.claims:
            status = view.checker.status(found.pod_name)
            if status.status == STALE:
                yield Finding(
                    str(found.path),
                    None,
                    f"{_panel_claim_text(found)} is stale: {status.detail}",
                    f"yoi ticket reclaim {found.ticket_id} --pod POD --role {found.role}",
                )


@rule(
    "YT414",
    W,
    "local",
    "Stuck lock in yoi's panel registry",
    why="yoi's panel takes role-sessions.lock (an O_EXCL file) for every update and tries "
    "50 times, 10 ms apart. A process that died inside an update leaves the lock forever, "
    "and every later update of the panel's claims and role sessions times out.",
    example="<data>/panel/workspaces/yoi-1a2b3c4d5e6f7a8b/role-sessions.lock, made an hour ago",
    fix="yoi ticket doctor --fix removes it (only while it is still older than a minute).",
    safe_fix=STUCK_PANEL_LOCK,
)
def stuck_panel_lock(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports a role-sessions.lock in a panel registry folder older than a minute (no live
    update takes that long). Fixed by --fix."""
    for panel in ctx.local.panels:
        age = panel.registry.stuck_lock_age()
        if age is not None:
            yield Finding(
                str(panel.registry.lock_path),
                None,
                f"yoi's panel lock is {int(age)} s old (a live update takes well under "
                f"{int(STUCK_LOCK_SECONDS)} s): every panel update times out",
                "yoi ticket doctor --fix removes it",
            )


@rule(
    "YT415",
    W,
    "local",
    "Leftover temporary file in yoi's panel registry",
    why="yoi's panel writes a claim to ticket-claims/.<nanos>.tmp and role sessions to "
    "role-sessions.json.<nanos>.tmp, then links or renames them into place; a process killed "
    "in between leaves the temp file, which nobody reads.",
    example="<data>/panel/workspaces/yoi-1a2b3c4d5e6f7a8b/ticket-claims/.1764600000000000000.tmp",
    fix="yoi ticket doctor --fix removes it.",
    safe_fix=PANEL_TEMP,
)
def panel_temp_leftover(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports upstream's temp files in a panel registry folder that are older than a
    minute (a younger one may belong to an update in progress). Fixed by --fix."""
    for panel in ctx.local.panels:
        for path in panel.registry.abandoned_temps():
            yield Finding(
                str(path),
                None,
                "leftover temporary file of an interrupted update of yoi's panel",
                "yoi ticket doctor --fix removes it",
            )


@rule(
    "YT416",
    INFO,
    "local",
    "yoi's panel registry in a non-canonical folder",
    why="yoi's panel names its registry folder after the path it ran in, as spelled. A "
    "panel started through a symlink, in an old place of a moved workspace or in another "
    "worktree keeps its claims and sessions in a folder of its own: yoi-ticket reads them, "
    "but a panel started at the canonical path does not see them.",
    example="<data>/panel/workspaces/yoi-1a2b3c4d5e6f7a8b/ for /home/alice/link/yoi, a "
    "symlink to /home/alice/src/yoi",
    fix="Start yoi's panel from the canonical path; once that folder holds no claims you "
    "need, remove it (rm -r PATH).",
)
def non_canonical_panel_registry(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Notes panel registry folders of this workspace named after another spelling of its
    path than the canonical one (a symlink, a moved workspace, a linked worktree)."""
    canonical = ctx.local.overlay.identity.canonical_path
    for panel in ctx.local.panels:
        registry = panel.registry
        if registry.spelled != canonical:
            held = len(panel.contents.claims)
            yield Finding(
                str(registry.folder),
                None,
                f"yoi's panel registry for {registry.spelled}, not the canonical path "
                f"{canonical} ({held} claim{'' if held == 1 else 's'})",
                "start yoi's panel from the canonical path; remove this folder once it holds "
                "no claim you need",
            )


@rule(
    "YT418",
    W,
    "local",
    "yoi registry another user could have written, ignored",
    why="The runtime tables (workers.json, pods.json), saved Pods' metadata and yoi's panel "
    "registry say which Pods are live or restorable and which tickets they hold. If another "
    "user owns or may write one (or a folder on the way to it, as ssh's StrictModes checks), "
    "a forged entry could make a stale claim holder look live and block reclaim, or hold a "
    "ticket for a Pod that does not exist: yoi-ticket ignores it, and says so here.",
    example="<runtime dir>/pods.json owned by uid 12345 in a shared runtime dir, or "
    "<data>/panel/workspaces/ws-1a2b3c4d5e6f7a8b/ with mode 777",
    fix="Point YOI_RUNTIME_DIR (or YOI_DATA_DIR) at a folder of your own, or make the file "
    "and the folders above it yours and private (chown; chmod go-w).",
)
def registry_another_user_could_write(
    ctx: DoctorContext, subject: object = None
) -> Iterator[Finding]:
    """Reports the runtime tables, saved-Pods folders and panel registry folders of this
    workspace that exist but are ignored because another user owns or may write them, or a
    folder on the way to them. (The overlay itself is YT411's.)"""
    locations = ctx.local.overlay.locations
    found = [
        (path, f"ignored: {reason}", "the Pods it lists are not taken as live or restorable")
        for path, reason in distrusted_pod_sources(locations)
    ]
    found += [
        (registry.folder, f"ignored: {reason}", "its claims and sessions are not read")
        for registry, reason in distrusted_panels(ctx.local.overlay)
    ]
    for path, message, consequence in found:
        yield Finding(
            str(path),
            None,
            f"{message}; {consequence}",
            "make it and the folders above it yours and not writable by others, or point "
            "YOI_RUNTIME_DIR / YOI_DATA_DIR at folders of your own",
        )


RULES = (
    claimed_in_both_registries,
    stale_panel_claim,
    stuck_panel_lock,
    panel_temp_leftover,
    non_canonical_panel_registry,
    registry_another_user_could_write,
)
