"""File helpers: atomic writes of public files (see :mod:`yoi_ticket.files.atomicfile`) and
bounded reads that never block on a FIFO or run forever on a device."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 1 << 20


def write_text_atomic(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never half."""
    from yoi_ticket.files.atomicfile import write_replace

    write_replace(path, text.encode("utf-8"), mode=mode)


@contextmanager
def text_replacing(path: Path, *, mode: int = 0o644) -> Iterator[Callable[[str], None]]:
    """:func:`write_text_atomic` a piece of text at a time; undecodable file-name bytes
    (lone surrogates) are written as ``\\udcff`` escapes."""
    from yoi_ticket.files.atomicfile import replacing

    with replacing(path, mode=mode) as write:
        yield lambda text: write(text.encode("utf-8", "backslashreplace"))


def read_regular(
    path: str | os.PathLike[str],
    limit: int,
    *,
    follow_symlinks: bool = True,
    listed_regular: bool = False,
) -> bytes:
    """At most ``limit + 1`` bytes of the regular file at ``path`` (more than ``limit``
    means the file is too large), read without ever blocking.

    A FIFO, socket, device or directory raises :class:`OSError` instead of hanging or
    reading forever; so does a symlink when ``follow_symlinks`` is false.

    ``listed_regular``: a folder listing has just said that ``path`` is a regular file, so
    its type is not asked again. Should it have been replaced since, the read still cannot
    block (the file is opened non-blocking) or run past ``limit``.
    """
    flags = _READ_FLAGS | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks and os.path.islink(path):
            raise OSError(errno.ELOOP, "is a symbolic link (not followed)", str(path)) from None
        raise
    if listed_regular:
        try:
            return _read_upto(fd, limit + 1)
        finally:
            os.close(fd)
    try:
        info = os.fstat(fd)
        kind = stat.S_IFMT(info.st_mode)
        if kind != stat.S_IFREG:
            what = "a directory" if kind == stat.S_IFDIR else "not a regular file"
            code = errno.EISDIR if kind == stat.S_IFDIR else errno.EINVAL
            raise OSError(code, f"is {what}", str(path))
        # The first read is sized from fstat (one buffer of the file's size, not of the limit).
        chunk = os.read(fd, min(info.st_size + 1, limit + 1))
        chunks = [chunk]
        left = limit + 1 - len(chunk)
        while chunk and left > 0:  # the file grew, or fstat does not know its size
            chunk = os.read(fd, min(left, _CHUNK))
            chunks.append(chunk)
            left -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


_FIRST_READ = 1 << 16  # ticket files are smaller: one read, and no fstat to size it


def _read_upto(fd: int, size: int) -> bytes:
    """Read ``fd`` to its end or ``size`` bytes, whichever comes first."""
    chunk = os.read(fd, min(size, _FIRST_READ))
    if len(chunk) < _FIRST_READ:
        return chunk
    chunks = [chunk]
    left = size - len(chunk)
    while chunk and left > 0:
        chunk = os.read(fd, min(left, _CHUNK))
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
