"""Where doctor reads tickets and their files from: the one way rules read a ticket's file.

A run reads from one :class:`TicketSource`:

- :class:`WorkTreeSource`: the working tree, through the store reader (a plain run);
- :class:`TextOnlySource`: the working tree, file names and raw text only, when every
  selected rule needs no more (``doctor --select YT5`` scans like a conflict-marker hook);
- :class:`IndexSource`: the staged blobs of the git index (``doctor --staged``).

Rules that read a ticket file beyond what the ticket holds (``resolution.md``, the lines
of ``relations.json``) call :meth:`TicketSource.read`, so that a staged run checks the
staged bytes exactly as a work-tree run checks the work tree. The last file read is kept
for the next rule that reads it (YT304 and YT502 both read ``resolution.md``).
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Protocol

from yoi_ticket.files import textfile
from yoi_ticket.files.fsutil import read_regular
from yoi_ticket.git import GitRepo, IndexEntry
from yoi_ticket.merge.conflicts import has_conflict_markers
from yoi_ticket.store.folders import list_ticket_folder
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import (
    ARTIFACTS,
    ITEM,
    THREAD,
    Store,
    TicketLocation,
    build_ticket,
)

_STAGE_PREFERENCE = (0, 2, 3, 1)  # merged, else ours, theirs, base


class TicketSource(Protocol):
    staged: bool
    """Whether the files are the staged ones of the git index."""

    def ticket(self, location: TicketLocation) -> Ticket:
        """The ticket at ``location``, read for the checks."""
        ...

    def read(self, path: str) -> bytes | None:
        """The bytes of a ticket file (workspace-relative ``path``), ``None`` when absent or
        unreadable. More than :data:`~yoi_ticket.files.textfile.MAX_FILE_BYTES` bytes means
        the file is larger than ticket files may be (a work-tree read stops one byte over)."""
        ...


def read_bounded(path: str | os.PathLike[str]) -> bytes | None:
    """The bytes of a file (at most one byte over the size limit), ``None`` if unreadable.
    A FIFO or device is unreadable, never waited on; the buffer is sized from the file."""
    try:
        return read_regular(path, textfile.MAX_FILE_BYTES)
    except OSError:  # a directory, a FIFO, or gone
        return None


class _LastRead:
    """Keeps the last file read, for the next rule that reads the same file."""

    _last_path: str | None = None
    _last_data: bytes | None = None

    def read(self, path: str) -> bytes | None:
        if path == self._last_path:
            return self._last_data
        data = self._read(path)
        self._last_path, self._last_data = path, data
        return data

    def _read(self, path: str) -> bytes | None:
        raise NotImplementedError


class WorkTreeSource(_LastRead):
    """Tickets and their files in the working tree."""

    staged = False

    def __init__(self, store: Store) -> None:
        self.store = store
        self.workspace = Path(store.workspace)

    def ticket(self, location: TicketLocation) -> Ticket:
        return self.store.load(location)

    def _read(self, path: str) -> bytes | None:
        return read_bounded(os.path.join(self.workspace, path))


class TextOnlySource(WorkTreeSource):
    """The working tree, read as text only: see :func:`text_ticket`."""

    def ticket(self, location: TicketLocation) -> Ticket:
        return text_ticket(self.workspace, location)


def text_ticket(workspace: Path, location: TicketLocation) -> Ticket:
    """A ticket with its file names, and the text of item.md and thread.md only when their
    bytes hold an opening conflict marker (frontmatter and thread are not parsed)."""
    base = {"id": location.id, "path": location.path, "layout": location.layout}
    if location.escapes is not None:
        return Ticket(**base, bucket=location.bucket, folder_symlink=True, escapes=["."])
    folder = os.path.join(workspace, location.path)
    try:
        listing = list_ticket_folder(folder)
    except OSError:
        return Ticket(**base, bucket=location.bucket)
    entries, escapes = listing.entries, listing.escapes
    texts = {}  # decoded only when an opening marker is in the bytes
    for name in (ITEM, THREAD):
        if name in entries and name not in escapes and not entries[name].is_dir():
            data = read_bounded(entries[name].path)
            if data is None or len(data) > textfile.MAX_FILE_BYTES:
                continue  # unreadable, or larger than ticket files may be
            if has_conflict_markers(data):
                texts[name] = textfile.decode(data).text
    return Ticket(
        **base,
        bucket=location.bucket,
        files=frozenset(entries),
        item_text=texts.get(ITEM, ""),
        thread_text=texts.get(THREAD, ""),
        artifacts=listing.artifacts,
        escapes=escapes,
    )


class IndexSource(_LastRead):
    """Staged blobs of some ticket folders, and tickets built from them."""

    staged = True

    def __init__(self, repo: GitRepo, entries: list[IndexEntry]) -> None:
        self._repo = repo
        chosen: dict[str, IndexEntry] = {}
        for entry in entries:
            if entry.is_gitlink:
                continue
            current = chosen.get(entry.path)
            rank = _STAGE_PREFERENCE.index(entry.stage)
            if current is None or rank < _STAGE_PREFERENCE.index(current.stage):
                chosen[entry.path] = entry
        self.entries = chosen
        self._dirs: set[str] = set()
        for path in chosen:
            parent = posixpath.dirname(path)
            while parent and parent not in self._dirs:
                self._dirs.add(parent)
                parent = posixpath.dirname(parent)

    def _read(self, path: str) -> bytes | None:
        """The staged bytes of ``path`` (symlinks followed inside their folder), or ``None``."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        if entry.is_symlink:
            target = self._link_target(entry)
            entry = self.entries.get(target) if target else None
            if entry is None or entry.is_symlink:
                return None
        return self._repo.blob(entry.sha)

    def _link_target(self, entry: IndexEntry) -> str | None:
        target = self._repo.blob(entry.sha).decode("utf-8", "surrogateescape")
        if target.startswith("/"):
            return None
        return posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), target))

    def _escapes(self, path: str, container: str) -> bool:
        entry = self.entries[path]
        if not entry.is_symlink:
            return False
        target = self._link_target(entry)
        return (
            target is None
            or not target.startswith(container + "/")
            or target not in self.entries
            or self.entries[target].is_symlink
        )

    def _listing(self, folder: str) -> tuple[set[str], list[str], list[str]]:
        """The names in ``folder``, the files below its artifacts/, and escaping links."""
        prefix = folder + "/"
        names: set[str] = set()
        artifact_names: list[str] = []
        escapes: list[str] = []
        artifacts_prefix = f"{ARTIFACTS}/"
        for path in self.entries:
            if not path.startswith(prefix):
                continue
            relative = path[len(prefix) :]
            names.add(relative.split("/", 1)[0])
            if relative.startswith(artifacts_prefix):
                name = relative[len(artifacts_prefix) :]
                if self._escapes(path, folder + "/" + ARTIFACTS):
                    escapes.append(relative)
                else:
                    artifact_names.append(name)
            elif "/" not in relative and self._escapes(path, folder):
                escapes.append(relative)
        return names, artifact_names, escapes

    def ticket(self, location: TicketLocation) -> Ticket:
        prefix = location.path + "/"
        names, artifact_names, escapes = self._listing(location.path)

        def read(name: str) -> textfile.Decoded | None:
            path = f"{prefix}{name}"
            if name not in names or name in escapes:
                return None
            if path in self._dirs:
                return textfile.Decoded("", f"{name} is a directory, not a file")
            data = self._read(path)
            return textfile.decode(data) if data is not None else None

        def read_artifact(name: str) -> textfile.Decoded | None:
            if name not in artifact_names:
                return None
            data = self._read(f"{prefix}{ARTIFACTS}/{name}")
            return textfile.decode(data) if data is not None else None

        return build_ticket(
            location,
            frozenset(names),
            read,
            sorted(artifact_names),
            read_artifact,
            escapes=sorted(escapes),
        )
