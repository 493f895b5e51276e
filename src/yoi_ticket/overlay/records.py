"""The overlay's JSON records (SPEC 5): one pydantic model per file kind, and how a
record file is read.

Every record is versioned; readers accept unknown fields and writers keep them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from yoi_ticket.errors import YoiError

SCHEMA_VERSION = 1
MAX_RECORD_BYTES = 64 * 1024 * 1024  # a larger overlay file is reported, never parsed

R = TypeVar("R", bound="Record")


class Record(BaseModel):
    """A versioned JSON record: unknown fields are accepted and written back unchanged."""

    # ``Infinity`` and ``NaN`` in unknown fields are written back as read, not as null.
    model_config = ConfigDict(extra="allow", ser_json_inf_nan="constants")

    def to_json(self) -> bytes:
        text = json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False)
        return (text + "\n").encode("utf-8")


class TicketClaim(Record):
    version: int = SCHEMA_VERSION
    ticket_id: str
    ticket_slug: str | None = None
    pod_name: str
    role: str
    claimed_at: str
    host: str
    # Written by a launch whose command succeeded: until then (or until its Pod registers)
    # the claim is ``starting``, never stale. Absent from other claims' files.
    starting_until: str | None = None

    @model_serializer(mode="wrap")
    def _without_absent_starting(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("starting_until") is None:
            data.pop("starting_until", None)
        return data


class RelatedTicket(Record):
    id: str
    slug: str | None = None


class RoleSession(Record):
    pod_name: str
    role: str
    origin: str  # pre_ticket_intake | ticket_claim | role_launch (others are kept as read)
    created_at: str
    updated_at: str
    session_id: str | None = None
    related_tickets: list[RelatedTicket] = Field(default_factory=list)


class RoleSessionsFile(Record):
    version: int = SCHEMA_VERSION
    workspace_root: str
    sessions: dict[str, RoleSession] = Field(default_factory=dict)


class PendingLaunch(Record):
    version: int = SCHEMA_VERSION
    ticket_id: str
    pod_name: str
    role: str
    pid: int  # the launcher's
    host: str
    started_at: str
    command_pid: int | None = None  # the launch command's, once it runs


class WorkspaceRecord(Record):
    version: int = SCHEMA_VERSION
    canonical_path: str
    created_at: str
    seen_paths: list[str] = Field(default_factory=list)


class RecordError(YoiError):
    """An overlay file that cannot be read as the record it should hold."""


def read_record(path: Path, model: type[R]) -> R:
    """Read one JSON record; :class:`FileNotFoundError` passes, anything else is RecordError.

    Symlinks are not followed and a FIFO or device is refused: an overlay file is a
    regular file the overlay wrote, and reading never blocks or runs unbounded.
    """
    from yoi_ticket.files.fsutil import read_regular

    try:
        data = read_regular(path, MAX_RECORD_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise RecordError(
            f"{path}: cannot read: {exc.strerror or exc}",
            hint="fix or remove the file; 'yoi ticket doctor' reports it",
        ) from None
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError(
            f"{path}: larger than {MAX_RECORD_BYTES} bytes, not read",
            hint="fix or remove the file; 'yoi ticket doctor' reports it",
        )
    try:
        record = model.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise RecordError(
            f"{path}: not a valid {model.__name__} ({where}: {first['msg']})",
            hint="fix or remove the file; 'yoi ticket doctor' reports it",
        ) from None
    version = getattr(record, "version", SCHEMA_VERSION)
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise RecordError(
            f"{path}: written by a newer yoi-ticket (version {version})",
            hint="upgrade yoi-ticket to change this overlay",
        )
    return record
