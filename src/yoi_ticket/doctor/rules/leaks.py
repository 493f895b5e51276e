"""YT3xx: local assignment leaked into tracked files (see docs/leaks.md for every decision).

Detection is by field, not by file name: frontmatter fields (nested ones too),
event header attributes and the records of the two structured artifacts are
walked once per ticket (:mod:`yoi_ticket.doctor.leak_scan`). Prose (item body,
event bodies, ``resolution.md``) is only searched for machine-local paths, at a
lower severity.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.leak_scan import (
    CLAIM_KEYS,
    SESSION_KEYS,
    empty,
    frontmatter_places,
    header_places,
    key_text,
    local_key_places,
    local_state_kind,
    may_name_pod,
    name_matcher,
    place_family,
    shown,
)
from yoi_ticket.doctor.overlay_files import overlay_candidates, overlay_record_kind, workspace_git
from yoi_ticket.doctor.rule import rule
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import ITEM, RESOLUTION, THREAD

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# --- YT301 local-state fields -----------------------------------------------------------


@rule(
    "YT301",
    E,
    "ticket",
    "Local-state field in a tracked ticket file",
    why="Which local Pod works on a ticket, its pid, socket or session is volatile state of "
    "one machine. Written into item.md or thread.md it leaks into every clone, conflicts on "
    "every merge and goes stale the moment the Pod dies. The local overlay holds it instead.",
    example="---\ntitle: Fix login\nstate: inprogress\nclaimed_by: ticket-intake-7f3a\n---\n\n"
    "<!-- event: comment author: coder at: 2026-06-07T22:02:25Z pod_name: coder-1 -->",
    fix="Record the assignment in the overlay (yoi ticket claim ID --pod POD --role ROLE, "
    "or yoi ticket session record --pod POD --role ROLE --ticket ID), then delete the field "
    "from the tracked file. Pid, socket and runtime status need no record: Pod status comes "
    "from the runtime registry.",
)
def local_state_field(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports local-state keys (claim, claimed_by, pod, pod_name, pid, socket, session_id,
    runtime_status, lease, ... at any nesting depth) in item.md frontmatter and thread event
    headers (errors; a key with an empty value is a warning) and in the records of
    relations.json and orchestration-plan.jsonl (warnings)."""
    for place in local_key_places(ticket):
        family = local_state_kind(place.keys[-1])
        if family is None:
            continue
        key = key_text(place.keys)
        structured = place.where in ("relation", "plan record")
        unset = empty(place.value)
        message = f"local-state field {key!r} in {place.where}" + (
            "" if unset else f" (value {shown(place.value)})"
        )
        yield Finding(
            ticket.file_path(place.file),
            place.line,
            message,
            _move_hint(ticket, family, place.value, key),
            W if structured or unset else None,
        )


def _move_hint(ticket: Ticket, family: frozenset[str], value: Any, key: str) -> str:
    pod = value if isinstance(value, str) and _pod_like(value) else "POD"
    if family is CLAIM_KEYS:
        return (
            f"record it locally with 'yoi ticket claim {ticket.id} --pod {pod} --role ROLE', "
            f"then delete {key!r} from the tracked file"
        )
    if family is SESSION_KEYS:
        return (
            f"record it locally with 'yoi ticket session record --pod POD --role ROLE "
            f"--ticket {ticket.id}' (--session-id takes a session id), then delete {key!r}"
        )
    return (
        f"delete {key!r}: Pod pids, sockets and runtime state live in the runtime registry "
        "(<runtime dir>/pods.json) and show in 'yoi ticket claims'"
    )


_POD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _pod_like(value: str) -> bool:
    return bool(_POD_NAME.fullmatch(value))


# --- YT303/YT304 machine-local paths ------------------------------------------------------


@rule(
    "YT303",
    E,
    "ticket",
    "Machine-local path in a tracked field",
    why="An absolute path into someone's home directory, the per-user runtime folder, the yoi "
    "data or runtime dir, or a socket file only exists on the machine that wrote it. In a "
    "tracked field it points nowhere on every other clone (CI included) and tells tools to "
    "look in the wrong place.",
    example='{"id": "p1", "ticket_id": "00001KSKBP9YG", "kind": "accepted_plan", '
    '"worktree": "/home/alice/src/repo/.worktree/x"}',
    fix="Use a workspace-relative path (.worktree/x) or drop the field; where a Pod or its "
    "worktree runs on this machine is local state that belongs in the overlay.",
)
def machine_path_in_field(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports machine-local absolute paths (any user's home: /home/<user>, /Users/<user>,
    /root, C:\\Users\\<user>; /run/user/<uid>; the configured data and runtime dirs; this
    workspace's own absolute path; *.sock files) in path fields of the frontmatter, event
    headers and structured artifact records (errors), and /tmp or ~/ paths there (warnings).
    A path field is one named worktree, cwd, socket, path, dir, workdir or *_path, *_dir, or
    any other field whose whole value is one path, except free-text fields (note, summary,
    role_plan, title, description...): a path quoted in free text is YT304. Paths inside
    URLs are ignored."""
    scan = ctx.paths
    for found in scan.field_hits(ticket, ctx.source):
        if not found.path_valued:
            continue  # free text: YT304
        place, hit = found.place, found.hit
        yield Finding(
            ticket.file_path(place.file),
            found.line,
            f"machine-local path {hit.path!r} ({hit.kind}) in {place.where} "
            f"field {key_text(place.keys)!r}",
            scan.hint(hit),
            None if hit.certain else W,
        )


@rule(
    "YT304",
    INFO,
    "ticket",
    "Machine-local path in ticket prose",
    why="A home-directory, runtime-folder or socket path quoted in a body or a free-text "
    "field (a plan's summary, a relation's note) is meaningless on other machines and "
    "reveals local user names. It breaks no tool, so it is only noted.",
    example="## Implementation report\n\nBuilt in /Users/bob/src/repo/.worktree/fix-login.",
    fix="Quote workspace-relative paths (.worktree/fix-login) in ticket text.",
)
def machine_path_in_prose(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Notes certain machine-local paths (home dirs, /run/user, data/runtime dirs, sockets,
    this workspace's absolute path; not /tmp or ~/) in the item.md body, event bodies,
    resolution.md and the free-text fields of the frontmatter, event headers, relations and
    plan records (note, summary, role_plan, ...: every field YT303 does not take for a path
    field)."""
    scan = ctx.paths
    for found in scan.field_hits(ticket, ctx.source):
        if found.path_valued or not found.hit.certain:
            continue  # a path field (YT303), or /tmp and ~/ in free text
        place, hit = found.place, found.hit
        yield Finding(
            ticket.file_path(place.file),
            found.line,
            f"machine-local path {hit.path!r} ({hit.kind}) in the free text of {place.where} "
            f"field {key_text(place.keys)!r}",
            scan.hint(hit, prose=True),
        )
    yield from scan.prose_findings(ticket)  # the item.md body and event bodies
    if RESOLUTION in ticket.files:
        path = ticket.file_path(RESOLUTION)
        data = ctx.source.read(path)  # the work tree, or the index under --staged
        resolution = scan.decode_if_marked(data or b"")
        if resolution is not None:
            yield from scan.prose(path, resolution, 1)


# --- YT302 values naming a local Pod (scope "local") --------------------------------------


@rule(
    "YT302",
    E,
    "local",
    "Field value names a Pod this machine knows",
    why="A field such as assignee that names a local Pod records a local assignment in a "
    "tracked file: it leaks into every clone, and stays after the Pod is gone. Claims and "
    "role sessions in the overlay say which local Pod works on which ticket.",
    example="assignee: ticket-intake-7f3a   (while Pod ticket-intake-7f3a holds a local claim)",
    fix="Keep the assignment as a local claim (yoi ticket claim ID --pod POD --role ROLE; "
    "'yoi ticket claims' shows it) and set the field back to null.",
)
def value_names_local_pod(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports frontmatter and event header values equal to the name of a Pod that the local
    overlay (claims, role sessions, pending launches) or runtime (pods.json, saved Pod
    metadata) knows. Attribution (author, created_by, reviewer), fixed vocabulary (state,
    status, from, to...) and local-state keys (YT301) are not looked at; the Companion and
    Orchestrator names are workspace-wide and do not count. Skipped by --no-local."""
    pods = ctx.local.known_pods()
    if not pods:
        return
    claimed = {(e.claim.ticket_id, e.claim.pod_name) for e in ctx.local.claims.claims}
    contains = name_matcher([name.encode("utf-8") for name in pods])
    locations = {location.path: location for location in ctx.index.scan.locations}
    for summary in ctx.index.summaries:
        location = locations.get(summary.path)
        if location is None or location.escapes is not None:
            continue
        files = (f"{summary.path}/{name}" for name in (ITEM, THREAD))
        if not any(contains(ctx.source.read(path) or b"") for path in files):
            continue
        ticket = ctx.source.ticket(location)
        for place in (*frontmatter_places(ticket), *header_places(ticket)):
            if not isinstance(place.value, str) or not may_name_pod(place.keys[-1]):
                continue
            if place_family(place) is not None:
                continue  # already a YT301 finding
            name = place.value.strip().lstrip("@")
            if name not in pods:
                continue
            key = key_text(place.keys)
            if (ticket.id, name) in claimed:
                hint = f"the local claim already records it ('yoi ticket claims'); set {key!r}"
            else:
                hint = (
                    f"record it locally with 'yoi ticket claim {ticket.id} --pod {name} "
                    f"--role ROLE', then set {key!r}"
                )
            yield Finding(
                ticket.file_path(place.file),
                place.line,
                f"{place.where} field {key!r} names local Pod {name!r}, which {pods[name]}",
                f"{hint} back to null (or remove it)",
            )


# --- YT305 overlay files inside the repository (scope "store") ----------------------------


@rule(
    "YT305",
    E,
    "store",
    "Overlay file inside the repository",
    why="Claims, role sessions, pending launches and the workspace record are one user's "
    "local state. Committed, they hand every clone claims by Pods that do not exist there.",
    example=".yoi/ticket-claims/00001KSKBP9YG.json   "
    '{"ticket_id": "00001KSKBP9YG", "pod_name": "coder-1", ...}',
    fix="Remove it from git (git rm --cached PATH) and from the workspace. Claims and "
    "sessions belong in the overlay under the data dir ('yoi ticket workspace' shows where): "
    "re-create a claim there with 'yoi ticket claim ID --pod POD --role ROLE'.",
)
def overlay_file_in_repository(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports files with an overlay name and overlay content (ticket-claims/*.json,
    role-sessions.json, pending/*.json, workspace.json, history.jsonl): tracked by git anywhere
    in the workspace, or untracked and not ignored at the workspace root, in .yoi/ or in a
    copied overlay folder (workspaces/<key>/) under either."""
    for relative in overlay_candidates(ctx.workspace):
        kind = overlay_record_kind(ctx.workspace / relative)
        if kind is None:
            continue
        yield Finding(
            relative,
            None,
            f"{kind} of the local overlay is inside the repository",
            f"git rm --cached {relative} and delete it; the overlay lives in the data dir "
            "('yoi ticket workspace' shows where)",
        )


# --- YT306 data dir inside the workspace (scope "local") ---------------------------------


@rule(
    "YT306",
    E,
    "local",
    "Data or runtime dir inside the workspace and not ignored by git",
    why="YOI_DATA_DIR / YOI_HOME (or YOI_RUNTIME_DIR) pointing into the workspace puts "
    "claims, sessions, Pod metadata and sockets where 'git add -A' commits them.",
    example="YOI_HOME=$PWD/.yoi-home   (and .yoi-home/ missing from .gitignore)",
    fix="Point YOI_DATA_DIR (or YOI_HOME) and YOI_RUNTIME_DIR at folders outside the "
    "workspace, or at least add the folder to .gitignore.",
)
def data_dir_in_workspace(ctx: DoctorContext, subject: object = None) -> Iterator[Finding]:
    """Reports a configured data dir or runtime dir that lies inside the workspace (resolved
    paths) and that git does not ignore. Outside git nothing can be committed: not reported.
    Skipped by --no-local."""
    locations = Locations.from_env()
    root = Path(os.path.realpath(ctx.workspace))
    seen: set[str] = set()
    for folder, what, variable in (
        (locations.data_dir, "data dir", "YOI_DATA_DIR (or YOI_HOME)"),
        (locations.runtime_dir, "runtime dir", "YOI_RUNTIME_DIR (or YOI_HOME)"),
    ):
        resolved = Path(os.path.realpath(folder))
        if resolved != root and root not in resolved.parents:
            continue
        relative = resolved.relative_to(root).as_posix() if resolved != root else "."
        if relative in seen:
            continue
        seen.add(relative)
        # A path inside the folder is ignored when the folder or its contents are.
        checked = workspace_git(ctx.workspace, "check-ignore", "-q", f"{relative}/workspaces")
        if checked is None or checked[0] != 1:
            continue  # not a git repository (nothing to commit it to), or ignored
        yield Finding(
            relative,
            None,
            f"the yoi {what} {folder} lies inside the workspace and git does not ignore it",
            f"set {variable} to a folder outside the workspace, or add '{relative}/' to .gitignore",
        )


RULES = (
    local_state_field,
    value_names_local_pod,
    machine_path_in_field,
    machine_path_in_prose,
    overlay_file_in_repository,
    data_dir_in_workspace,
)
