"""YT3xx: local assignment leaked into tracked files (see docs/leaks.md for every decision).

Detection is by field, not by file name: frontmatter fields (nested ones too),
event header attributes and the records of the two structured artifacts are
walked once per ticket. Prose (item body, event bodies, ``resolution.md``) is
only searched for machine-local paths, at a lower severity.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.machine_paths import MachinePaths, PathHit
from yoi_ticket.doctor.rule import rule
from yoi_ticket.files import textfile
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import ARTIFACTS, ITEM, RESOLUTION, THREAD

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
RELATIONS = f"{ARTIFACTS}/relations.json"
PLAN = f"{ARTIFACTS}/orchestration-plan.jsonl"

# --- which keys hold local state ------------------------------------------------------

CLAIM_KEYS = frozenset(
    {
        "claim",
        "claims",
        "claimed",
        "claimed_by",
        "claimed_at",
        "claimed_on",
        "claimant",
        "claim_holder",
        "claim_owner",
        "local_claim",
        "local_claims",
        "local_assignment",
        "local_assignee",
        "lease",
        "leased_by",
        "leased_at",
        "lock_holder",
        "lock_owner",
        "locked_by",
        "locked_at",
        "pod",
        "pods",
        "assigned_pod",
        "current_pod",
        "active_pod",
        "owner_pod",
        "worker_pod",
        "agent_pod",
    }
)
SESSION_KEYS = frozenset(
    {"session", "session_id", "session_origin", "role_session", "role_sessions", "tmux_session"}
)
RUNTIME_KEYS = frozenset(
    {
        "pid",
        "ppid",
        "worker_pid",
        "process_id",
        "launch_pid",
        "pending_launch",
        "socket",
        "socket_path",
        "sock",
        "heartbeat",
        "heartbeat_at",
        "last_heartbeat",
        "hostname",
        "host_name",
        "data_dir",
        "overlay",
        "overlay_path",
        "workspace_key",
    }
)
# Any key starting with one of these is local state too (pod_name, claim_status, lease_id...).
LOCAL_KEY_PREFIXES = (
    ("claim_", CLAIM_KEYS),
    ("claimed_", CLAIM_KEYS),
    ("lease_", CLAIM_KEYS),
    ("pod_", CLAIM_KEYS),
    ("local_claim", CLAIM_KEYS),
    ("session_", SESSION_KEYS),
    ("runtime_", RUNTIME_KEYS),
    ("socket_", RUNTIME_KEYS),
    ("heartbeat_", RUNTIME_KEYS),
)
# Values of these keys are never taken for a Pod assignment (YT302): attribution of past
# work stays true after the Pod is gone, and vocabulary fields hold fixed words.
ATTRIBUTION_KEYS = frozenset({"author", "authors", "created_by", "reviewer", "reviewers"})
VOCABULARY_KEYS = frozenset(
    {
        "event",
        "at",
        "field",
        "from",
        "to",
        "state",
        "status",
        "workflow_state",
        "kind",
        "id",
        "ticket_id",
        "target",
        "slug",
        "title",
        "priority",
        "readiness",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalise_key(key: str) -> str:
    """``claimedBy``, ``Claimed-By`` and ``claimed_by`` are one key."""
    return _CAMEL.sub("_", key).replace("-", "_").lower()


@functools.lru_cache(maxsize=4096)
def local_state_kind(key: str) -> frozenset[str] | None:
    """The key family (claim, session or runtime) of a local-state key, else ``None``."""
    for part in normalise_key(key).split("."):
        for family in (CLAIM_KEYS, SESSION_KEYS, RUNTIME_KEYS):
            if part in family:
                return family
        for prefix, family in LOCAL_KEY_PREFIXES:
            if part.startswith(prefix):
                return family
    return None


def may_name_pod(key: str) -> bool:
    """Whether the value of ``key`` could be a Pod assignment (YT302 looks at it)."""
    name = normalise_key(key).split(".")[-1]
    if name in ATTRIBUTION_KEYS or name in VOCABULARY_KEYS:
        return False
    return not (name.endswith("_by") and local_state_kind(name) is None)


# --- walking the structured places of a ticket -----------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """One value in a structured place: where it is and under which keys."""

    file: str  # relative to the ticket folder: item.md, thread.md, artifacts/...
    where: str  # "frontmatter", "event header", "relation", "plan record"
    keys: tuple[str, ...]  # key path, outermost first
    value: Any
    line: int | None


def walk(value: Any, keys: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (key path, leaf value) of nested mappings and lists, and every mapping key."""
    if isinstance(value, dict):
        if not value and keys:
            yield keys, value
        for key, child in value.items():
            yield from walk(child, (*keys, str(key)))
    elif isinstance(value, list):
        if not value and keys:
            yield keys, value
        for child in value:
            yield from walk(child, keys)
    else:
        yield keys, value


def frontmatter_places(ticket: Ticket) -> Iterator[Place]:
    if ticket.item is None or not ticket.item.frontmatter_ok:
        return
    lines: list[str] = []
    last = ticket.item.body_line - 2  # the last frontmatter line
    for top, value in ticket.fields.items():
        top_line = ticket.field_line(top)
        for keys, leaf in walk(value, (top,)):
            if top_line is None or not isinstance(value, (list, dict)):
                yield Place(ITEM, "frontmatter", keys, leaf, top_line)
                continue
            lines = lines or ticket.item_text.split("\n")
            line = _key_line(lines, top_line, keys[-1], last) if len(keys) > 1 else top_line
            if isinstance(leaf, str) and leaf:
                line = _value_line(lines, line, leaf, last)
            yield Place(ITEM, "frontmatter", keys, leaf, line)


def _key_line(lines: list[str], top_line: int, key: str, last: int) -> int:
    """The line of nested ``key:`` from ``top_line`` on in the frontmatter, else ``top_line``."""
    pattern = re.compile(rf"^\s*(?:-\s+)?[\"']?{re.escape(key)}[\"']?\s*:")
    for number in range(top_line, max(last, top_line) + 1):
        if number - 1 < len(lines) and pattern.match(lines[number - 1]):
            return number
    return top_line


def _value_line(lines: list[str], line: int, value: str, last: int) -> int:
    """The first line from ``line`` on that shows ``value`` (a list item), else ``line``."""
    needle = value.split("\n", 1)[0][:40]
    for number in range(line, max(last, line) + 1):
        if number - 1 < len(lines) and needle in lines[number - 1]:
            return number
    return line


def header_places(ticket: Ticket) -> Iterator[Place]:
    for event in ticket.events:
        for key, value in event.attrs.items():
            yield Place(THREAD, "event header", (key,), value, event.line)


def record_values(record: BaseModel) -> dict[str, Any]:
    """The fields of a relation or plan record, declared and extra, without doctor's ``line``."""
    data = {k: v for k, v in record.__dict__.items() if v is not None and k != "line"}
    data.update(record.model_extra or {})
    return data


def artifact_places(ticket: Ticket) -> Iterator[Place]:
    for relation in ticket.relations:
        for keys, leaf in walk(record_values(relation)):
            yield Place(RELATIONS, "relation", keys, leaf, relation.line)
    for record in ticket.plan:
        for keys, leaf in walk(record_values(record)):
            yield Place(PLAN, "plan record", keys, leaf, record.line)


def local_keys(value: Any, keys: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The outermost local-state keys in nested mappings (and lists), with their values."""
    if isinstance(value, dict):
        for key, child in value.items():
            path = (*keys, str(key))
            if local_state_kind(str(key)) is not None:
                yield path, child
            elif isinstance(child, (dict, list)):
                yield from local_keys(child, path)
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, (dict, list)):
                yield from local_keys(child, keys)


def local_key_places(ticket: Ticket) -> Iterator[Place]:
    """Places whose key (the outermost one of a nested value) is local state."""
    if ticket.item is not None and ticket.item.frontmatter_ok:
        lines: list[str] = []
        last = ticket.item.body_line - 2
        for keys, value in local_keys(ticket.fields):
            line = ticket.field_line(keys[0])
            if len(keys) > 1 and line is not None:
                lines = lines or ticket.item_text.split("\n")
                line = _key_line(lines, line, keys[-1], last)
            yield Place(ITEM, "frontmatter", keys, value, line)
    for event in ticket.events:
        for key, value in event.attrs.items():
            if local_state_kind(key) is not None:
                yield Place(THREAD, "event header", (key,), value, event.line)
    for relation in ticket.relations:
        if relation.model_extra:
            for keys, value in local_keys(relation.model_extra):
                yield Place(RELATIONS, "relation", keys, value, relation.line)
    for record in ticket.plan:
        if record.model_extra:
            for keys, value in local_keys(record.model_extra):
                yield Place(PLAN, "plan record", keys, value, record.line)


def _key_text(keys: tuple[str, ...]) -> str:
    return ".".join(keys)


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


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
        key = _key_text(place.keys)
        structured = place.where in ("relation", "plan record")
        empty = _empty(place.value)
        message = f"local-state field {key!r} in {place.where}" + (
            "" if empty else f" (value {_shown(place.value)})"
        )
        yield Finding(
            ticket.file_path(place.file),
            place.line,
            message,
            _move_hint(ticket, family, place.value, key),
            W if structured or empty else None,
        )


def _place_family(place: Place) -> frozenset[str] | None:
    for key in reversed(place.keys):
        family = local_state_kind(key)
        if family is not None:
            return family
    return None


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


def machine_paths(ctx: DoctorContext) -> MachinePaths:
    """The detector for this run: patterns plus the data dir, runtime dir and workspace path."""

    def build() -> MachinePaths:
        locations = Locations.quietly_from_env()
        return MachinePaths(
            (
                (str(locations.data_dir), "the yoi data dir"),
                (str(locations.runtime_dir), "the yoi runtime dir"),
                (str(ctx.workspace), "this workspace's absolute path"),
            )
        )

    return ctx.memo("yt3.machine_paths", build)


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
    workspace's own absolute path; *.sock files) in frontmatter values, event header values
    and structured artifact records (errors), and /tmp or ~/ paths there (warnings). Paths
    inside URLs are ignored."""
    detector = machine_paths(ctx)
    raw_lines: dict[str, list[str] | None] = {}
    for place in _path_candidates(ctx, detector, ticket):
        for hit in detector.find(place.value):
            line = place.line
            if place.file == RELATIONS:
                line = _relations_line(ctx, ticket, hit.path, raw_lines) or line
            yield Finding(
                ticket.file_path(place.file),
                line,
                f"machine-local path {hit.path!r} ({hit.kind}) in {place.where} "
                f"field {_key_text(place.keys)!r}",
                _path_hint(ctx, hit),
                None if hit.certain else W,
            )


def _prechecked(ctx: DoctorContext, detector: MachinePaths, ticket: Ticket) -> tuple[bool, bool]:
    """Whether item.md and thread.md may hold a machine-local path, computed once per ticket
    for YT303 and YT304 (the cache keeps only the current ticket)."""
    cached = ctx.cache.get("yt3.precheck")
    if cached is not None and cached[0] is ticket:
        return cached[1], cached[2]
    result = (detector.may_contain(ticket.item_text), detector.may_contain(ticket.thread_text))
    ctx.cache["yt3.precheck"] = (ticket, *result)
    return result


def _path_candidates(ctx: DoctorContext, detector: MachinePaths, ticket: Ticket) -> Iterator[Place]:
    """Structured places whose value is a string that may hold a machine-local path; whole
    files are tested first, so a clean ticket costs two regular-expression scans."""
    places: list[Iterator[Place]] = []
    item_may, thread_may = _prechecked(ctx, detector, ticket)
    if item_may:
        places.append(frontmatter_places(ticket))
    if thread_may:
        places.append(
            Place(THREAD, "event header", (key,), value, event.line)
            for event in ticket.events
            if detector.may_contain(event.header)
            for key, value in event.attrs.items()
        )
    # The JSON text holds every string value as written or with an escape ("\\"), which
    # may_contain counts as a possible path too.
    if (ticket.relations or ticket.plan) and detector.may_contain(ticket.records_text):
        places.append(artifact_places(ticket))
    for group in places:
        for place in group:
            if isinstance(place.value, str) and detector.may_contain(place.value):
                yield place


def _relations_line(
    ctx: DoctorContext, ticket: Ticket, needle: str, cache: dict[str, list[str] | None]
) -> int | None:
    """The line of relations.json holding ``needle`` (read again only when a path was found)."""
    if RELATIONS not in cache:
        cache[RELATIONS] = None
        if not ctx.options.staged:
            decoded = textfile.read(ctx.workspace / ticket.file_path(RELATIONS))
            cache[RELATIONS] = decoded.text.split("\n")
    lines = cache[RELATIONS]
    if lines is None:
        return None
    encoded = needle.replace("\\", "\\\\")
    return next((n for n, text in enumerate(lines, start=1) if encoded in text), None)


def _path_hint(ctx: DoctorContext, hit: PathHit, *, prose: bool = False) -> str:
    relative = _workspace_relative(ctx, hit.path) or _worktree_relative(hit.path)
    if relative is not None:
        return f"write the workspace-relative path {relative!r} instead"
    if prose:
        return "quote workspace-relative paths, or leave the machine-specific part out"
    return (
        "use a workspace-relative path or remove it; machine-specific locations (Pod sockets, "
        "worktrees of a local Pod) belong in the local overlay, not in tracked files"
    )


_WORKSPACE_DIRS = re.compile(r"[/\\](\.(?:worktrees?|yoi)(?:[/\\].*)?)$")


def _worktree_relative(path: str) -> str | None:
    """``.worktree/x`` for ``/home/alice/src/repo/.worktree/x`` (another machine's checkout)."""
    match = _WORKSPACE_DIRS.search(path)
    return match.group(1).replace("\\", "/") if match else None


def _workspace_relative(ctx: DoctorContext, path: str) -> str | None:
    for root in {str(ctx.workspace), os.path.realpath(ctx.workspace)}:
        if path == root:
            return "."
        if path.startswith(root.rstrip("/") + "/"):
            return path[len(root.rstrip("/")) + 1 :]
    return None


@rule(
    "YT304",
    INFO,
    "ticket",
    "Machine-local path in ticket prose",
    why="A home-directory, runtime-folder or socket path quoted in a body is meaningless on "
    "other machines and reveals local user names. It breaks no tool, so it is only noted.",
    example="## Implementation report\n\nBuilt in /Users/bob/src/repo/.worktree/fix-login.",
    fix="Quote workspace-relative paths (.worktree/fix-login) in ticket text.",
)
def machine_path_in_prose(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Notes certain machine-local paths (home dirs, /run/user, data/runtime dirs, sockets,
    this workspace's absolute path; not /tmp or ~/) in the item.md body, event bodies and
    resolution.md."""
    detector = machine_paths(ctx)
    item_may, thread_may = _prechecked(ctx, detector, ticket)
    if item_may and ticket.item is not None and detector.may_contain(ticket.item.body):
        first = ticket.item.body_line
        yield from _prose(ctx, detector, ticket.file_path(ITEM), ticket.item.body, first)
    if thread_may:
        headers = {e.line for e in ticket.events if e.header.lstrip().startswith("<!--")}
        for number, text in enumerate(ticket.thread_text.split("\n"), start=1):
            if number not in headers:
                yield from _prose(ctx, detector, ticket.file_path(THREAD), text, number)
    if RESOLUTION in ticket.files and not ctx.options.staged:
        path = ticket.file_path(RESOLUTION)
        data = _raw_or_none(os.path.join(ctx.workspace, path))
        ctx.remember_read(ticket, path, data)  # YT502 reads it too
        resolution = _decode_if_marked(detector, data or b"")
        if resolution is not None:
            yield from _prose(ctx, detector, ticket.file_path(RESOLUTION), resolution, 1)


def _decode_if_marked(detector: MachinePaths, data: bytes) -> str | None:
    """The text of ``data`` if its bytes may hold a machine-local path (else not decoded)."""
    return textfile.decode(data).text if detector.may_contain_bytes(data) else None


def _prose(
    ctx: DoctorContext, detector: MachinePaths, path: str, text: str, first_line: int
) -> Iterator[Finding]:
    for offset, line in enumerate(text.split("\n")):
        for hit in detector.find(line, certain_only=True):
            yield Finding(
                path,
                first_line + offset,
                f"machine-local path {hit.path!r} ({hit.kind}) in text",
                _path_hint(ctx, hit, prose=True),
            )


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
    from yoi_ticket.doctor.rules.local import known_pods, local_view  # only this rule

    pods = known_pods(ctx)
    if not pods:
        return
    claimed = {(e.claim.ticket_id, e.claim.pod_name) for e in local_view(ctx).claims.claims}
    contains = _name_matcher([name.encode("utf-8") for name in pods])
    locations = {location.path: location for location in ctx.index.scan.locations}
    for summary in ctx.index.summaries:
        location = locations.get(summary.path)
        if location is None or location.escapes is not None:
            continue
        folder = ctx.workspace / summary.path
        if not any(contains(_raw(folder / name)) for name in (ITEM, THREAD)):
            continue
        ticket = ctx.store.load(location)
        for place in (*frontmatter_places(ticket), *header_places(ticket)):
            if not isinstance(place.value, str) or not may_name_pod(place.keys[-1]):
                continue
            if _place_family(place) is not None:
                continue  # already a YT301 finding
            name = place.value.strip().lstrip("@")
            if name not in pods:
                continue
            key = _key_text(place.keys)
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


def _name_matcher(names: list[bytes]) -> Callable[[bytes], bool]:
    """A test for "one of ``names`` occurs" on undecoded file content."""
    if len(names) <= 16:
        return lambda data: any(name in data for name in names)
    pattern = re.compile(b"|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return lambda data: pattern.search(data) is not None


def _raw(path: Path) -> bytes:
    return _raw_or_none(path) or b""


def _raw_or_none(path: str | Path) -> bytes | None:
    """The bytes of a file (at most one byte over the size limit), ``None`` if unreadable."""
    from yoi_ticket.files.fsutil import read_regular

    try:
        return read_regular(path, textfile.MAX_FILE_BYTES)  # never blocks on a FIFO
    except OSError:
        return None


# --- YT305 overlay files inside the repository (scope "store") ----------------------------

OVERLAY_GLOBS = (
    "**/ticket-claims/*.json",
    "**/role-sessions.json",
    "**/pending/*.json",
    "**/workspace.json",
    "**/history.jsonl",
)
MAX_OVERLAY_PROBE = 1024 * 1024


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
    for relative in _overlay_candidates(ctx.workspace):
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


def _overlay_candidates(workspace: Path) -> list[str]:
    """Tracked files with an overlay name anywhere (the index knows them: no walk of the work
    tree), and untracked, not ignored ones where a misconfigured tool would put them."""
    untracked = _overlay_names_at_spots(workspace)
    # Plain pathspecs ("*" crosses "/") over-match and are narrowed here: git matches them
    # twice as fast as ":(glob)**/..." ones, which matters in an index of 100,000 files.
    pathspecs = [f"*{pattern.removeprefix('**/')}" for pattern in OVERLAY_GLOBS]
    listed = _git(workspace, "ls-files", "-z", "--cached", "--", *pathspecs)
    if listed is None:  # not a git repository: nothing is tracked or ignored
        return untracked
    status, out = listed
    listing = os.fsdecode(out).split("\0") if status == 0 else []
    tracked = {name for name in listing if name and _has_overlay_name(name)}
    loose = [path for path in untracked if path not in tracked]
    if loose:
        names = "".join(f"{path}\0" for path in loose).encode()
        checked = _git(workspace, "check-ignore", "-z", "--stdin", stdin=names)
        ignored = set(os.fsdecode(checked[1]).split("\0")) if checked is not None else set()
        tracked.update(path for path in loose if path not in ignored)
    return sorted(tracked)


def _has_overlay_name(path: str) -> bool:
    """Whether a "/"-separated path matches one of :data:`OVERLAY_GLOBS`."""
    folder, _, name = path.rpartition("/")
    if name in OVERLAY_FILES:
        return True
    return name.endswith(".json") and folder.rpartition("/")[2] in OVERLAY_FOLDERS


OVERLAY_SPOTS = ("", ".yoi/")  # the workspace root and .yoi/, and workspaces/*/ under them
OVERLAY_FILES = ("role-sessions.json", "workspace.json", "history.jsonl")
OVERLAY_FOLDERS = ("ticket-claims", "pending")


def _overlay_names_at_spots(workspace: Path) -> list[str]:
    """Files named like overlay files at the workspace root, in .yoi/, and in overlay-like
    folders ``workspaces/<key>/`` under either (workspace-relative, sorted)."""
    spots = list(OVERLAY_SPOTS)
    for spot in OVERLAY_SPOTS:
        try:
            keys = [e.name for e in os.scandir(workspace / spot / "workspaces") if e.is_dir()]
        except OSError:
            continue
        spots.extend(f"{spot}workspaces/{key}/" for key in sorted(keys))
    found: list[str] = []
    for spot in spots:
        found.extend(
            f"{spot}{name}" for name in OVERLAY_FILES if (workspace / spot / name).is_file()
        )
        for folder in OVERLAY_FOLDERS:
            try:
                entries = os.scandir(workspace / spot / folder)
            except OSError:
                continue
            found.extend(
                f"{spot}{folder}/{e.name}"
                for e in entries
                if e.name.endswith(".json") and e.is_file()
            )
    return sorted(found)


def overlay_record_kind(path: Path) -> str | None:
    """What overlay record ``path`` holds (``None`` when its content is not one)."""
    import json

    from yoi_ticket.files.fsutil import read_regular

    try:
        data = read_regular(path, MAX_OVERLAY_PROBE - 1)  # never blocks on a FIFO
    except OSError:
        return None
    text = textfile.decode(data).text
    if path.name == "history.jsonl":
        first = text.split("\n", 1)[0]
        record = _json_object(json, first)
        if record is not None and {"action", "ticket_id"} <= record.keys():
            return "the claim history (history.jsonl)"
        return None
    record = _json_object(json, text)
    if record is None:
        return None
    if path.parent.name == "ticket-claims" and {"ticket_id", "pod_name"} & record.keys():
        return "a ticket claim"
    if path.name == "role-sessions.json" and isinstance(record.get("sessions"), dict):
        return "the role sessions (role-sessions.json)"
    if path.parent.name == "pending" and {"ticket_id", "pod_name", "pid"} <= record.keys():
        return "a pending launch record"
    if path.name == "workspace.json" and {"canonical_path", "seen_paths"} <= record.keys():
        return "the workspace record (workspace.json)"
    return None


def _json_object(json: Any, text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


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
    locations = Locations.quietly_from_env()
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
        checked = _git(ctx.workspace, "check-ignore", "-q", f"{relative}/workspaces")
        if checked is None or checked[0] != 1:
            continue  # not a git repository (nothing to commit it to), or ignored
        yield Finding(
            relative,
            None,
            f"the yoi {what} {folder} lies inside the workspace and git does not ignore it",
            f"set {variable} to a folder outside the workspace, or add '{relative}/' to .gitignore",
        )


def _git(workspace: Path, *args: str, stdin: bytes | None = None) -> tuple[int, bytes] | None:
    """Run a read-only git command in the workspace: ``(status, stdout)``, or ``None`` when
    the workspace is not in a git work tree or git cannot run. A plain subprocess: these two
    calls do not need GitPython, whose import would cost every doctor run."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", *args],
            cwd=workspace,
            input=stdin,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode == 128 or b"not a git repository" in done.stderr:
        return None
    return done.returncode, done.stdout


RULES = (
    local_state_field,
    value_names_local_pod,
    machine_path_in_field,
    machine_path_in_prose,
    overlay_file_in_repository,
    data_dir_in_workspace,
)
