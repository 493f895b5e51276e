"""yoi's panel registry files, written exactly the way upstream's TUI writes them
(UPSTREAM.md section 3): pretty JSON plus a newline, nanosecond strings, claims
hard-linked into place from ``ticket-claims/.<nanos>.tmp``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from yoi_ticket.store.ids import encode_for_filename


def pretty(data: object) -> bytes:
    """serde_json's ``to_string_pretty`` plus the newline upstream appends."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_panel_claim(folder: Path, claim: dict[str, str]) -> Path:
    """As upstream does: a temp file ``ticket-claims/.<nanos>.tmp``, hard-linked into place,
    then the temp file removed."""
    claims = folder / "ticket-claims"
    claims.mkdir(parents=True, exist_ok=True)
    temp = claims / f".{time.time_ns()}.tmp"
    temp.write_bytes(pretty(claim))
    final = claims / f"{encode_for_filename(claim['ticket_id'])}.json"
    os.link(temp, final)
    temp.unlink()
    return final


def write_panel_sessions(folder: Path, workspace_root: str, sessions: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f"role-sessions.json.{time.time_ns()}.tmp"
    temp.write_bytes(pretty({"version": 1, "workspace_root": workspace_root, "sessions": sessions}))
    temp.rename(folder / "role-sessions.json")


def age(path: Path, seconds: float) -> None:
    """Make ``path`` look ``seconds`` old, as a file a crashed update left long ago."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)
