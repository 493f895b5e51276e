"""Private, atomic file writes: a temp file in the same folder, fsync, then link or rename.

A crash at any moment leaves the old file or the new one, plus at most a
temp file named ``.tmp-<pid>-<random>`` that :func:`leftover_temp_files` finds.
Files are created 0600 and folders 0700 whatever the umask.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from yoi_ticket.files import faults

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_PREFIX = ".tmp-"
_TEMP_RE = re.compile(r"\.tmp-(\d+)-[0-9a-f]+")
# Filesystems without hard links answer os.link with one of these.
_NO_LINK_ERRNOS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def make_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents with mode 0700 (existing folders are kept)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)


def write_exclusive(path: Path, data: bytes, *, fault: str | None = None) -> bool:
    """Make ``path`` appear fully written, only if it does not exist yet; ``False`` if it did.

    Callers hold the overlay lock; the hard link makes creation exclusive even so,
    and a filesystem without hard links falls back to a checked rename.
    """
    temp = _write_temp(path.parent, data)
    faults.point(fault, "after_temp_write")
    try:
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _NO_LINK_ERRNOS:
                raise
            if path.exists():
                return False
            os.replace(temp, path)
        faults.point(fault, "after_link")
    finally:
        _unlink_quietly(temp)
    _fsync_dir(path.parent)
    return True


def write_replace(
    path: Path, data: bytes, *, fault: str | None = None, mode: int = FILE_MODE
) -> None:
    """Replace ``path`` (or create it) with ``data`` in one atomic rename.

    ``mode`` is the new file's mode (0600 for overlay state; public files pass theirs).
    """
    temp = _write_temp(path.parent, data, mode)
    faults.point(fault, "after_temp_write")
    try:
        os.replace(temp, path)
    except BaseException:
        _unlink_quietly(temp)
        raise
    _fsync_dir(path.parent)
    faults.point(fault, "after_replace")


def append_line(path: Path, line: str) -> None:
    """Append one line (a newline is added) with a single write, then fsync."""
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_NOFOLLOW, FILE_MODE)
    try:
        _fix_mode(fd)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(path: Path) -> bool:
    """Remove ``path``; ``False`` if it was already gone."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    _fsync_dir(path.parent)
    return True


def temp_owner_pid(name: str) -> int | None:
    """The pid that wrote the temp file called ``name``, or ``None`` if it is no temp file."""
    match = _TEMP_RE.fullmatch(name)
    return int(match.group(1)) if match else None


def leftover_temp_files(root: Path) -> list[Path]:
    """Temp files anywhere under ``root`` (sorted); a crash between write and rename leaves one."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):  # symlinks are never followed
        links = [name for name in dirs if os.path.islink(os.path.join(folder, name))]
        for name in (*files, *links):  # a symlink to a folder is listed as one
            if temp_owner_pid(name) is not None:
                found.append(Path(folder) / name)
    return sorted(found)


@contextmanager
def replacing(path: Path, *, mode: int = FILE_MODE) -> Iterator[Callable[[bytes], None]]:
    """Write ``path`` anew a piece at a time: the pieces go to a temp file, which replaces
    ``path`` in one atomic rename when the block ends (and is removed if it fails)."""
    with _temp_file(path.parent, mode) as (temp, write):
        yield write
    try:
        os.replace(temp, path)
    except BaseException:
        _unlink_quietly(temp)
        raise
    _fsync_dir(path.parent)


def _write_temp(folder: Path, data: bytes, mode: int = FILE_MODE) -> Path:
    with _temp_file(folder, mode) as (temp, write):
        write(data)
    return temp


@contextmanager
def _temp_file(folder: Path, mode: int) -> Iterator[tuple[Path, Callable[[bytes], None]]]:
    """A new temp file in ``folder`` and a function that appends to it; it is synced and
    closed when the block ends, and removed if the block fails."""
    temp = folder / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, mode)

    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    try:
        _fix_mode(fd, mode)
        yield temp, write
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(temp)
        raise
    os.close(fd)


def _fix_mode(fd: int, mode: int = FILE_MODE) -> None:
    if sys.platform != "win32":
        os.fchmod(fd, mode)


def _fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - directories cannot be opened there
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
