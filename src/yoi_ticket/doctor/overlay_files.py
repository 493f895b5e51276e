"""Overlay files inside the repository (YT305): where a misconfigured tool leaves claims,
role sessions, pending launches or the workspace record, and whether a file holds one.

Git is asked which such files are tracked (the index knows them: no walk of the work
tree) and whether the untracked ones are ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from yoi_ticket.files import textfile
from yoi_ticket.files.fsutil import read_regular
from yoi_ticket.git import run_git

OVERLAY_GLOBS = (
    "**/ticket-claims/*.json",
    "**/role-sessions.json",
    "**/pending/*.json",
    "**/workspace.json",
    "**/history.jsonl",
)
MAX_OVERLAY_PROBE = 1024 * 1024


def overlay_candidates(workspace: Path) -> list[str]:
    """Tracked files with an overlay name anywhere (the index knows them: no walk of the work
    tree), and untracked, not ignored ones where a misconfigured tool would put them."""
    untracked = _overlay_names_at_spots(workspace)
    # Plain pathspecs ("*" crosses "/") over-match and are narrowed here: git matches them
    # twice as fast as ":(glob)**/..." ones, which matters in an index of 100,000 files.
    pathspecs = [f"*{pattern.removeprefix('**/')}" for pattern in OVERLAY_GLOBS]
    listed = workspace_git(workspace, "ls-files", "-z", "--cached", "--", *pathspecs)
    if listed is None:  # not a git repository: nothing is tracked or ignored
        return untracked
    status, out = listed
    listing = os.fsdecode(out).split("\0") if status == 0 else []
    tracked = {name for name in listing if name and _has_overlay_name(name)}
    loose = [path for path in untracked if path not in tracked]
    if loose:
        names = "".join(f"{path}\0" for path in loose).encode()
        checked = workspace_git(workspace, "check-ignore", "-z", "--stdin", stdin=names)
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
    try:
        data = read_regular(path, MAX_OVERLAY_PROBE - 1)  # never blocks on a FIFO
    except OSError:
        return None
    text = textfile.decode(data).text
    if path.name == "history.jsonl":
        first = text.split("\n", 1)[0]
        record = _json_object(first)
        if record is not None and {"action", "ticket_id"} <= record.keys():
            return "the claim history (history.jsonl)"
        return None
    record = _json_object(text)
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


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def workspace_git(
    workspace: Path, *args: str, stdin: bytes | None = None
) -> tuple[int, bytes] | None:
    """Run a read-only git command in the workspace: ``(status, stdout)``, or ``None`` when
    the workspace is not in a git work tree or git cannot run (a plain subprocess, not
    the repository model)."""
    done = run_git(workspace, *args, stdin=stdin, timeout=60)
    if done is None or done.returncode == 128 or b"not a git repository" in done.stderr:
        return None
    return done.returncode, done.stdout
