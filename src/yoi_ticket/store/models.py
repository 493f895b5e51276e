"""Typed models of the tracked ticket store: Ticket, Relation, PlanRecord (thread
events are :class:`yoi_ticket.store.thread.Event`).

Models hold what was read, warts included; judging it is doctor's job. A
model never fails to build from real data: parse problems are recorded on it.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from yoi_ticket.store.thread import Event

V2_STATES = ("planning", "ready", "queued", "inprogress", "done", "closed")
V1_WORKFLOW_STATES = ("intake", *V2_STATES)
V1_STATUSES = ("open", "pending", "closed")
V1_BUCKETS = ("open", "pending", "closed")
V2_REQUIRED_FIELDS = ("title", "state", "created_at", "updated_at")
V1_FIELDS = (
    "id",
    "slug",
    "status",
    "workflow_state",
    "kind",
    "labels",
    "action_required",
    "attention_required",
)
RELATION_KINDS = ("depends_on", "blocks", "related", "supersedes", "duplicate_of")
PLAN_KINDS = (
    "before",
    "after",
    "blocked_by",
    "blocks",
    "conflicts_with",
    "do_not_parallelize",
    "waiting_capacity_note",
    "accepted_plan",
)
KNOWN_EVENT_KINDS = (
    "create",
    "comment",
    "plan",
    "decision",
    "implementation_report",
    "review",
    "state_changed",
    "intake_summary",
    "status_changed",
    "close",
    "closed",
    "migration",
    "item_edit",
)

Layout = Literal["v1", "v2"]


class Problem(BaseModel):
    """Something the reader could not make sense of, kept for doctor to report."""

    model_config = ConfigDict(frozen=True)

    kind: Literal[
        "unreadable",
        "frontmatter",
        "legacy-frontmatter",  # v1-era invalid YAML, read line by line
        "upstream-item",  # read here, not by upstream yoi (BOM, '--- ' boundary)
        "field-type",  # a frontmatter key that is not a string
        "relations",
        "plan",
    ]
    file: str  # file name relative to the ticket folder, e.g. "thread.md"
    line: int | None = None
    message: str


class Relation(BaseModel):
    """One entry of ``artifacts/relations.json``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    ticket_id: str | None = None
    kind: str | None = None
    target: str | None = None
    note: str | None = None
    author: str | None = None
    at: str | None = None
    line: int | None = None  # line of the entry's "target" in relations.json


class PlanRecord(BaseModel):
    """One line of ``artifacts/orchestration-plan.jsonl``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    line: int
    id: str | None = None
    ticket_id: str | None = None
    kind: str | None = None


class ItemFile(BaseModel):
    """``item.md``: frontmatter fields with their line numbers, and the body."""

    fields: dict[str, Any] = Field(default_factory=dict)
    field_lines: dict[str, int] = Field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    frontmatter_ok: bool = True


class Ticket(BaseModel):
    """One ticket folder as read from the store (working tree or git index)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    id: str
    path: str  # folder relative to the workspace, "/" separated
    layout: Layout
    bucket: str | None = None
    files: frozenset[str] = frozenset()  # entries present in the folder
    item: ItemFile | None = None
    item_text: str = ""
    thread_text: str = ""
    events: SkipValidation[list[Event]] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    relations_present: bool = False
    # relations.json and orchestration-plan.jsonl as read, for quick text searches
    records_text: str = ""
    plan: list[PlanRecord] = Field(default_factory=list)
    artifacts: list[str] = Field(default_factory=list)  # relative to artifacts/
    escapes: list[str] = Field(default_factory=list)  # entries resolving outside their folder
    problems: list[Problem] = Field(default_factory=list)
    folder_symlink: bool = False

    @property
    def fields(self) -> dict[str, Any]:
        return self.item.fields if self.item is not None else {}

    @functools.cached_property
    def parsed_events(self) -> list[Event]:
        """The events whose header could be read (most thread checks look only at these)."""
        return [event for event in self.events if event.header_error is None]

    @property
    def title(self) -> str | None:
        return as_text(self.fields.get("title"))

    @property
    def state(self) -> str | None:
        """The ticket's state (see :func:`state_of`)."""
        return state_of(self.fields, self.layout, self.bucket)

    def file_path(self, name: str) -> str:
        """Workspace-relative path of a file in this ticket's folder."""
        return f"{self.path}/{name}"

    def field_line(self, key: str) -> int | None:
        return self.item.field_lines.get(key) if self.item is not None else None


def state_of(fields: dict[str, Any], layout: str, bucket: str | None) -> str | None:
    """A ticket's state: ``state`` (v2), else v1 ``workflow_state`` or ``status``, else
    (v1) the bucket the ticket sits in."""
    for key in ("state", "workflow_state", "status"):
        value = as_text(fields.get(key))
        if value:
            return value
    return bucket if layout == "v1" else None  # a v1 bucket is its status


def as_text(value: Any) -> str | None:
    """A frontmatter value as the string it is (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
