"""yoi's panel registry written exactly as upstream's TUI writes it (UPSTREAM.md section 3):
pretty JSON plus a newline, claims hard-linked from ``ticket-claims/.<nanos>.tmp``,
``role-sessions.json`` renamed from ``role-sessions.json.<nanos>.tmp``, nanosecond times."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.panel import PANEL_DIR, panel_folder_name
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


def write_panel_sessions(folder: Path, workspace_root: str, sessions: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f"role-sessions.json.{time.time_ns()}.tmp"
    temp.write_bytes(pretty({"version": 1, "workspace_root": workspace_root, "sessions": sessions}))
    final = folder / "role-sessions.json"
    temp.rename(final)
    return final


def panel_session(
    name_key: str, pod: str, role: str, origin: str, *tickets: str, session_id: str | None = None
) -> dict[str, object]:
    """One session value as upstream writes it, in the era that ``name_key`` names."""
    nanos = str(time.time_ns())
    value: dict[str, object] = {
        "role": role,
        name_key: pod,
        "origin": origin,
        "created_at": nanos,
        "updated_at": nanos,
        "related_tickets": [{"id": ticket} for ticket in tickets],
    }
    if session_id is not None:
        value["session_id"] = session_id
    return value


def panel_folder(overlay: Overlay, spelled: str | None = None) -> Path:
    """The panel registry folder of ``overlay``'s workspace in the current data dir, for a
    panel started in ``spelled`` (default: the canonical path)."""
    name = panel_folder_name(spelled or overlay.identity.canonical_path)
    return overlay.locations.data_dir.joinpath(*PANEL_DIR, name)


def age(path: Path, seconds: float) -> None:
    """Make ``path`` look ``seconds`` old, as a file a crashed update left long ago."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)
