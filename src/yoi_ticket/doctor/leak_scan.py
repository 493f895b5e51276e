"""Leak scanning for the YT3xx rules (see docs/leaks.md for every decision).

Which keys hold local state (claims, sessions, runtime), and the structured places of a
ticket (frontmatter fields, nested ones too, event header attributes, the records of
the two structured artifacts) walked once per ticket. The machine-local path scan that
YT303 and YT304 share is :mod:`yoi_ticket.doctor.path_scan`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yoi_ticket.store.item import FrontmatterLines
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import ARTIFACTS, ITEM, THREAD

if TYPE_CHECKING:
    from pydantic import BaseModel

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
    finder: FrontmatterLines | None = None
    for top, value in ticket.fields.items():
        top_line = ticket.field_line(top)
        if top_line is None or not isinstance(value, (list, dict)):
            for keys, leaf in walk(value, (top,)):
                yield Place(ITEM, "frontmatter", keys, leaf, top_line)
            continue
        finder = finder or FrontmatterLines(ticket.item_text, ticket.item.body_line)
        finder.start(top_line)
        previous: tuple[str, ...] = (top,)
        for keys, leaf in walk(value, (top,)):
            # The items of one list share their keys: the key is looked for once.
            line = finder.key(keys[-1]) if keys != previous else finder.cursor
            previous = keys
            if isinstance(leaf, str) and leaf:
                line = finder.value(leaf)
            yield Place(ITEM, "frontmatter", keys, leaf, line)


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
        finder: FrontmatterLines | None = None
        top: str | None = None
        for keys, value in local_keys(ticket.fields):
            line = ticket.field_line(keys[0])
            if len(keys) > 1 and line is not None:
                finder = finder or FrontmatterLines(ticket.item_text, ticket.item.body_line)
                if keys[0] != top:
                    top = keys[0]
                    finder.start(line)
                line = finder.key(keys[-1])
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


def key_text(keys: tuple[str, ...]) -> str:
    return ".".join(keys)


def shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def place_family(place: Place) -> frozenset[str] | None:
    """The local-state family of the innermost local-state key of ``place``, if any."""
    for key in reversed(place.keys):
        family = local_state_kind(key)
        if family is not None:
            return family
    return None


def name_matcher(names: list[bytes]) -> Callable[[bytes], bool]:
    """A test for "one of ``names`` occurs" on undecoded file content."""
    if len(names) <= 16:
        return lambda data: any(name in data for name in names)
    pattern = re.compile(b"|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return lambda data: pattern.search(data) is not None
