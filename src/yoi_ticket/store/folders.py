"""A ticket folder's entries, listed without following any symlink out of it.

A symlink is followed only when it resolves inside the folder that holds it (a ticket
folder inside the store, an artifact inside ``artifacts/``); the others are recorded as
escapes and never read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import NamedTuple

from yoi_ticket.store.models import Layout

ITEM = "item.md"
THREAD = "thread.md"
ARTIFACTS = "artifacts"
RESOLUTION = "resolution.md"


class TicketLocation(NamedTuple):
    """Where a ticket folder is: its id (folder name) and workspace-relative path.

    A named tuple (a large store has one per ticket: it is built much faster than a frozen
    dataclass and travels to worker processes by value)."""

    id: str
    path: str
    layout: Layout
    bucket: str | None = None
    is_symlink: bool = False
    escapes: str | None = None  # why a symlinked folder is not followed


def escape_reason(path: str, real_container: str) -> str | None:
    """Why the symlink at ``path`` may not be followed, or ``None`` if it stays inside."""
    try:
        target = os.path.realpath(path, strict=True)
    except (OSError, RuntimeError):
        return "it is a broken symlink or a symlink loop"
    if target != real_container and not target.startswith(real_container + os.sep):
        return f"it resolves outside its folder, to {target}"
    return None


@dataclass(frozen=True, slots=True)
class FolderListing:
    """A ticket folder's entries, what in it escapes (never followed), and its artifact files."""

    entries: dict[str, os.DirEntry[str]]
    escapes: list[str]  # sorted; "artifacts/<name>" for entries below artifacts/
    artifacts: list[str]  # files below artifacts/, relative, sorted


def list_ticket_folder(folder: str) -> FolderListing:
    """List a ticket folder without following any symlink out of it (raises ``OSError``)."""
    entries = {entry.name: entry for entry in os.scandir(folder)}
    links = [entry for entry in entries.values() if entry.is_symlink()]
    real_folder = os.path.realpath(folder) if links else folder
    escapes = [e.name for e in links if escape_reason(e.path, real_folder) is not None]
    artifacts: list[str] = []
    if ARTIFACTS in entries and ARTIFACTS not in escapes and entries[ARTIFACTS].is_dir():
        artifacts, below = _walk_artifacts(entries[ARTIFACTS].path)
        escapes.extend(f"{ARTIFACTS}/{name}" for name in below)
    return FolderListing(entries, sorted(escapes), artifacts)


def _walk_artifacts(root: str) -> tuple[list[str], list[str]]:
    """Files under ``artifacts/`` (relative, sorted) and entries escaping it; links not followed."""
    real_root: str | None = None  # resolved when the first symlink needs it
    files: list[str] = []
    escapes: list[str] = []
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_symlink():
                if real_root is None:
                    real_root = os.path.realpath(root)
                if escape_reason(entry.path, real_root) is not None:
                    escapes.append(rel)
                elif os.path.isfile(entry.path):
                    files.append(rel)
            elif entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, rel + "/"))
            else:
                files.append(rel)
    files.sort()
    return files, sorted(escapes)
