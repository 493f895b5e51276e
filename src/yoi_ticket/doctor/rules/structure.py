"""YT1xx: the shape of the store and of each ticket's ``item.md``."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterator

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.rule import rule
from yoi_ticket.store.ids import (
    CANONICAL_ID_LENGTH,
    CROCKFORD_ALPHABET,
    MAX_CANONICAL_ID,
    id_form,
    normal_id,
)
from yoi_ticket.store.models import (
    V1_FIELDS,
    V1_STATUSES,
    V1_WORKFLOW_STATES,
    V2_REQUIRED_FIELDS,
    V2_STATES,
    Ticket,
    as_text,
)
from yoi_ticket.store.reader import ARTIFACTS, ITEM, RESOLUTION, THREAD
from yoi_ticket.store.thread import parse_time

E, W = Severity.ERROR, Severity.WARNING
_CANONICAL_SHAPE_RE = re.compile(f"[{CROCKFORD_ALPHABET}]{{{CANONICAL_ID_LENGTH}}}")


def _is_v1_check(ctx: DoctorContext, ticket: Ticket) -> bool:
    """Check against v1 fields: the whole store is v1 (a v1 ticket in a v2 store is YT109)."""
    return ctx.layout == "v1"


@rule(
    "YT101",
    E,
    "ticket",
    "Ticket folder name is not a valid ticket id",
    why="Upstream: yes. The folder name is the ticket's id. Tools that look tickets up by id, "
    "sort them chronologically or encode them into file names only accept the three known "
    "id forms; upstream yoi keeps a canonical id's value in 64 bits, so a 13-character id "
    "above FZZZZZZZZZZZZ (such as ZZZZZZZZZZZZZ) is no id either. (A dated id in a v2 "
    "store is YT118.)",
    example=".yoi/tickets/my ticket/item.md   (spaces, no timestamp)",
    fix="Rename the folder to a canonical id (13 Crockford base32 characters, e.g. "
    "00001KSKBP9YG), or to YYYYMMDD-HHMMSS-NNN / YYYYMMDD-HHMMSS-<slug>, and update "
    "relations that point at it.",
)
def invalid_folder_id(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ticket folders whose name is none of the three ticket id forms, or a
    13-character Crockford id whose value does not fit in 64 bits."""
    if id_form(ticket.id) is not None:
        return
    if _CANONICAL_SHAPE_RE.fullmatch(ticket.id):
        message = (
            f"folder name {ticket.id!r} is above {MAX_CANONICAL_ID}: "
            "its value does not fit in 64 bits"
        )
    else:
        message = (
            f"folder name {ticket.id!r} is not a ticket id "
            "(13-char Crockford base32, YYYYMMDD-HHMMSS-NNN or YYYYMMDD-HHMMSS-<slug>)"
        )
    yield Finding(ticket.path, None, message, "rename the folder to a valid id")


def _missing(ticket: Ticket, name: str) -> bool:
    return not ticket.folder_symlink and name not in ticket.files


@rule(
    "YT102",
    E,
    "ticket",
    "item.md is missing",
    why="item.md holds the ticket's title and state; without it the ticket cannot be listed, "
    "routed or checked.",
    example=".yoi/tickets/00001KSKBP9YG/  (only thread.md and artifacts/)",
    fix="Restore item.md from git history (git log -- <folder>/item.md) or recreate it "
    "with title, state, created_at and updated_at.",
)
def item_missing(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ticket folders without an ``item.md`` file."""
    if _missing(ticket, ITEM):
        yield Finding(
            ticket.file_path(ITEM), None, "ticket has no item.md", "restore or recreate it"
        )


@rule(
    "YT103",
    E,
    "ticket",
    "thread.md is missing",
    why="thread.md is the ticket's append-only history; tools append events to it and "
    "doctor uses it to cross-check the item's state.",
    example=".yoi/tickets/00001KSKBP9YG/  (no thread.md)",
    fix="Restore thread.md from git history, or create it with a single `create` event.",
)
def thread_missing(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ticket folders without a ``thread.md`` file."""
    if _missing(ticket, THREAD):
        yield Finding(
            ticket.file_path(THREAD), None, "ticket has no thread.md", "restore or recreate it"
        )


@rule(
    "YT104",
    E,
    "ticket",
    "artifacts/ folder is missing",
    why="Every ticket carries an artifacts/ folder (it may hold only .gitkeep); tools write "
    "relations and plans there and fail when it is absent.",
    example=".yoi/tickets/00001KSKBP9YG/  (no artifacts/)",
    fix="mkdir <folder>/artifacts && touch <folder>/artifacts/.gitkeep",
)
def artifacts_missing(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ticket folders without an ``artifacts/`` folder."""
    if _missing(ticket, ARTIFACTS):
        yield Finding(
            ticket.file_path(ARTIFACTS),
            None,
            "ticket has no artifacts/ folder",
            f"mkdir {ticket.file_path(ARTIFACTS)} && touch {ticket.file_path(ARTIFACTS)}/.gitkeep",
        )


@rule(
    "YT105",
    E,
    "ticket",
    "item.md frontmatter cannot be parsed",
    why="Every tool reads the ticket's fields from the YAML frontmatter; if it does not parse, "
    "the ticket silently disappears from boards and queues.",
    example="---\ntitle: 'unterminated\nstate: ready\n---",
    fix="Fix the YAML between the two '---' lines (quote values containing ': ' or '#').",
)
def frontmatter_unparseable(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ``item.md`` files without frontmatter or whose YAML does not parse to a mapping."""
    for problem in ticket.problems:
        if problem.kind == "frontmatter":
            yield Finding(
                ticket.file_path(problem.file),
                problem.line,
                problem.message,
                "fix the YAML between the '---' lines",
            )


@rule(
    "YT106",
    E,
    "ticket",
    "Required frontmatter field is missing",
    why="title, state, created_at and updated_at (v1: id, title, status or workflow_state, "
    "created_at, updated_at) are what every tool relies on to list and route tickets.",
    example="---\ntitle: Fix login\ncreated_at: '2026-06-07T22:02:25Z'\n---   (no state)",
    fix="Add the missing field; timestamps are RFC 3339 UTC like '2026-06-07T22:02:25Z'.",
)
def required_field_missing(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports required frontmatter fields that are absent or empty."""
    if ticket.item is None or not ticket.item.frontmatter_ok:
        return
    fields = ticket.fields
    path = ticket.file_path(ITEM)
    if _is_v1_check(ctx, ticket):
        required: tuple[str, ...] = ("id", "title", "created_at", "updated_at")
        if not as_text(fields.get("status")) and not as_text(fields.get("workflow_state")):
            yield Finding(
                path,
                1,
                "v1 field 'status' (or 'workflow_state') is missing",
                "add 'status: open' (or pending, closed) to the frontmatter",
            )
    else:
        required = V2_REQUIRED_FIELDS
    for key in required:
        if as_text(fields.get(key)) in (None, ""):
            yield Finding(
                path,
                ticket.field_line(key) or 1,
                f"required field {key!r} is missing" + (" or empty" if key in fields else ""),
                f"add '{key}: ...' to the frontmatter",
            )


@rule(
    "YT107",
    E,
    "ticket",
    "Invalid state value",
    why="Boards, queues and the Orchestrator only know the documented states; a ticket in an "
    "unknown state is never picked up.",
    example="state: in-progress   (should be inprogress)",
    fix="Use one of planning, ready, queued, inprogress, done, closed "
    "(v1 workflow_state also allows intake; v1 status is open, pending or closed).",
)
def invalid_state(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ``state`` values (v1 stores: ``workflow_state``/``status``) outside the known set."""
    if ticket.item is None or not ticket.item.frontmatter_ok:
        return
    checks: list[tuple[str, tuple[str, ...]]] = [("state", V2_STATES)]
    if _is_v1_check(ctx, ticket):
        checks = [("workflow_state", V1_WORKFLOW_STATES), ("status", V1_STATUSES)]
    for key, allowed in checks:
        value = ticket.fields.get(key)
        if value is None:
            continue
        text = as_text(value)
        if text not in allowed:
            yield Finding(
                ticket.file_path(ITEM),
                ticket.field_line(key),
                f"{key} {text!r} is not one of {', '.join(allowed)}",
                f"set {key} to one of {', '.join(allowed)}",
            )


@rule(
    "YT108",
    E,
    "ticket",
    "v1 field left in a v2 store",
    why="The v2 format replaced id/slug/status/workflow_state/kind/labels/...; a leftover v1 "
    "field (usually from a half-done migration or a stale branch) disagrees with the v2 "
    "fields and confuses tools that still read it.",
    example="state: ready\nworkflow_state: planning   (v1 leftover)",
    fix="Remove the v1 field; carry its meaning over to the v2 field (workflow_state -> state).",
)
def v1_field_in_v2(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """In a v2 store, reports frontmatter fields that only the v1 format used."""
    if _is_v1_check(ctx, ticket) or ticket.item is None:
        return
    for key in V1_FIELDS:
        if key in ticket.fields:
            yield Finding(
                ticket.file_path(ITEM),
                ticket.field_line(key),
                f"v1 field {key!r} in a v2 store",
                f"remove {key!r} from the frontmatter",
            )


@rule(
    "YT109",
    E,
    "store",
    "v1 state bucket in a v2 store",
    why="In a v2 store every ticket sits directly under the store root; a ticket left in an "
    "open/pending/closed bucket is invisible to v2 tools or shows up twice.",
    example=".yoi/tickets/closed/20260528-141602-tui-pod-list-view-abstraction/",
    fix="git mv the ticket folders out of the bucket to the store root, then remove the bucket.",
)
def v1_bucket_in_v2(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """In a v2 store, reports ``open/``, ``pending/`` and ``closed/`` bucket folders."""
    if ctx.layout == "v1":
        return
    for bucket in ctx.index.scan.buckets:
        yield Finding(
            bucket,
            None,
            "v1 state bucket in a v2 store",
            f"git mv {bucket}/* {ctx.store.root_rel}/ && rmdir {bucket}",
        )


@rule(
    "YT110",
    W,
    "store",
    "Store uses the legacy v1 layout",
    why="v1 (tickets nested in open/pending/closed buckets with id/slug/status fields) is "
    "still read, but current tools write v2; mixing them later produces YT108/YT109 errors.",
    example=".yoi/tickets/open/20260607-223233-parse-ticket-frontmatter-as-yaml/item.md",
    fix="Migrate the store to the flat v2 layout when convenient.",
)
def legacy_layout(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports once when every ticket of the store is in a v1 bucket."""
    if ctx.layout == "v1":
        yield Finding(
            ctx.store.root_rel,
            None,
            f"store uses the legacy v1 layout ({len(ctx.index.scan.locations)} tickets in "
            "open/pending/closed buckets)",
            "migrate to the flat v2 layout (<root>/<id>/) when convenient",
        )


@rule(
    "YT111",
    W,
    "ticket",
    "Closed ticket without resolution.md",
    why="resolution.md records how a ticket ended; without it, readers of a closed ticket "
    "must dig through the thread to learn the outcome.",
    example="state: closed   but no .yoi/tickets/<id>/resolution.md",
    fix="Write a short resolution.md summarising the outcome.",
)
def closed_without_resolution(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports closed tickets (state, or v1 status) that have no ``resolution.md``."""
    fields = ticket.fields
    closed = as_text(fields.get("state")) == "closed" or as_text(fields.get("status")) == "closed"
    if closed and _missing(ticket, RESOLUTION):
        yield Finding(
            ticket.file_path(RESOLUTION),
            None,
            "closed ticket has no resolution.md",
            "write a short resolution.md describing the outcome",
        )


@rule(
    "YT112",
    E,
    "store",
    "Duplicate ticket id",
    why="Ids must be unique: two folders with one id (after a layout migration, or a rename "
    "on two branches) make lookups, relations and claims ambiguous. Ids that differ only in "
    "case, or only in Unicode normalisation (an accent composed or combining: NFC and NFD, "
    "which macOS file systems take for one name), count as one id: local claims already "
    "treat them as one ticket.",
    example=".yoi/tickets/X/ and .yoi/tickets/closed/X/",
    fix="Keep one folder: merge the threads if both have history, then git rm the other.",
)
def duplicate_id(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports ticket ids that occur in more than one folder (also ids differing only in case,
    or only in Unicode normalisation: NFC and NFD spellings are one id)."""
    folders: dict[str, list[str]] = defaultdict(list)
    for location in ctx.index.scan.locations:
        folders[normal_id(location.id).upper()].append(location.path)
    for paths in folders.values():
        if len(paths) > 1:
            for path in paths:
                others = ", ".join(p for p in paths if p != path)
                yield Finding(
                    path,
                    None,
                    f"ticket id also used by {others}",
                    "keep one folder (merge the threads), git rm the other",
                )


@rule(
    "YT114",
    E,
    "ticket",
    "v1 id field does not match the folder",
    why="In the v1 layout the id is written twice, as the folder name and as the `id` field; "
    "when they differ, tools disagree about which ticket this is.",
    example="folder 20260607-223233-parse-yaml/ with id: 20260607-223233-parse-json",
    fix="Make the id field equal to the folder name (or rename the folder).",
)
def v1_id_mismatch(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """In a v1 store, reports an ``id`` field that differs from the ticket's folder name."""
    if not _is_v1_check(ctx, ticket):
        return
    value = as_text(ticket.fields.get("id"))
    if value and value != ticket.id:
        yield Finding(
            ticket.file_path(ITEM),
            ticket.field_line("id"),
            f"id {value!r} does not match the folder name {ticket.id!r}",
            f"set id: {ticket.id}",
        )


@rule(
    "YT115",
    E,
    "ticket",
    "Timestamp field is not RFC 3339",
    why="created_at/updated_at/queued_at are compared and sorted as RFC 3339 UTC times; "
    "any other spelling sorts wrongly and breaks merge resolution by time.",
    example="updated_at: 'June 7 2026'",
    fix="Write times like '2026-06-07T22:02:25Z'.",
)
def invalid_timestamp(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ``created_at``, ``updated_at`` and ``queued_at`` values that are not RFC 3339."""
    for key in ("created_at", "updated_at", "queued_at"):
        value = ticket.fields.get(key)
        if value is None:
            continue
        text = as_text(value)
        if text and parse_time(text) is None:
            yield Finding(
                ticket.file_path(ITEM),
                ticket.field_line(key),
                f"{key} {text!r} is not an RFC 3339 timestamp",
                "use the form '2026-06-07T22:02:25Z'",
            )


@rule(
    "YT116",
    E,
    "ticket",
    "Symlinked ticket folder resolves outside the store",
    why="A ticket folder that is a symlink out of the store makes every reader follow it "
    "into arbitrary places; a broken or looping one hides a ticket. It is not followed and "
    "its content is not checked.",
    example=".yoi/tickets/00001KSKBP9YG -> /home/alice/elsewhere",
    fix="Replace the symlink with the real folder (or remove it).",
)
def folder_escapes(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ticket folders that are symlinks resolving outside the store, broken symlinks
    and symlink loops; none of them is followed."""
    if ticket.folder_symlink and "." in ticket.escapes:
        dead = not os.path.exists(ctx.workspace / ticket.path)
        what = "a broken or looping symlink" if dead else "a symlink resolving outside the store"
        yield Finding(
            ticket.path,
            None,
            f"ticket folder is {what} (not followed)",
            f"replace the symlink {ticket.path} with a real folder, or git rm it",
        )


@rule(
    "YT117",
    E,
    "ticket",
    "Ticket file is not readable text",
    why="Ticket files are UTF-8 Markdown/JSON; invalid bytes, NUL bytes or huge files break "
    "other tools and usually mean a bad merge or a binary committed by mistake.",
    example="thread.md containing Latin-1 bytes or \\x00",
    fix="Re-save the file as UTF-8 (and restore it from git if it was damaged).",
)
def unreadable_file(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ticket files with invalid UTF-8, NUL bytes, excessive size, or read errors."""
    for problem in ticket.problems:
        if problem.kind == "unreadable":
            path = ticket.path if problem.file == "." else ticket.file_path(problem.file)
            yield Finding(path, problem.line, problem.message, "re-save the file as UTF-8 text")


@rule(
    "YT122",
    E,
    "store",
    "Ticket store resolves outside the workspace",
    why="The store root (or .yoi itself) is a symlink, or runs through one, out of the "
    "workspace: listing it would show another folder's entries as tickets and print "
    "files from outside (.yoi/tickets -> / lists bin, etc, ...). It is not read at all.",
    example=".yoi/tickets -> /   (or .yoi -> /home/alice/elsewhere)",
    fix="Replace the symlink with the real store folder inside the workspace (or point "
    "[backend] root in .yoi/ticket.config.toml at one).",
)
def store_outside(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports a store root, ``.yoi`` or config file that resolves outside the workspace;
    nothing behind it is read (no ticket is checked)."""
    if ctx.index.scan.outside is not None:
        relative = ctx.index.scan.outside.split(" resolves ", 1)[0]
        yield Finding(
            relative,
            None,
            f"{ctx.index.scan.outside}; not read",
            "make it a real folder inside the workspace, not a symlink out of it",
        )


RULES = (
    invalid_folder_id,
    item_missing,
    thread_missing,
    artifacts_missing,
    frontmatter_unparseable,
    required_field_missing,
    invalid_state,
    v1_field_in_v2,
    v1_bucket_in_v2,
    legacy_layout,
    closed_without_resolution,
    duplicate_id,
    v1_id_mismatch,
    invalid_timestamp,
    folder_escapes,
    unreadable_file,
    store_outside,
)
