"""Decoding ticket files: BOMs, CRLF, invalid UTF-8, NUL bytes and size limits.

Every reader goes through :func:`decode` so that bad bytes become a problem
string instead of an exception, and line numbers mean the same everywhere
(lines are split on ``\\n`` only, like git and editors count them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_FILE_BYTES = 8 * 1024 * 1024  # larger ticket files are reported, not parsed
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text of a file plus what was wrong with its bytes (``None`` when nothing)."""

    text: str
    problem: str | None = None
    line: int | None = None  # 1-based line of the problem, when it has one
    bom: bool = False  # the bytes started with a UTF-8 BOM (dropped from ``text``)


def decode(data: bytes) -> Decoded:
    """Decode ``data`` as UTF-8, never raising; CRLF becomes LF, a BOM is dropped."""
    if len(data) > MAX_FILE_BYTES:
        return Decoded("", f"file is {len(data)} bytes, larger than the {MAX_FILE_BYTES} limit")
    bom = data.startswith(UTF8_BOM)
    if bom:
        data = data[len(UTF8_BOM) :]
    problem = None
    line = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        line = data.count(b"\n", 0, exc.start) + 1
        problem = f"invalid UTF-8 at byte {exc.start} (line {line})"
    # NUL and CR are looked for in the bytes, where a one-byte search is fastest.
    if b"\x00" in data:
        if problem is None:
            line = text.count("\n", 0, text.index("\x00")) + 1
            problem = f"NUL byte in text (line {line})"
        text = text.replace("\x00", "\ufffd")
    if b"\r" in data:
        text = text.replace("\r\n", "\n")
    return Decoded(text, problem, line, bom)


def read(path: str | os.PathLike[str], *, listed_regular: bool = False) -> Decoded:
    """Read and decode ``path``; an unreadable file becomes a problem, not an error.
    A FIFO or device is unreadable too: reading one could block or never end.
    (``listed_regular``: see :func:`yoi_ticket.files.fsutil.read_regular`.)"""
    from yoi_ticket.files.fsutil import read_regular

    try:
        data = read_regular(path, MAX_FILE_BYTES, listed_regular=listed_regular)
    except OSError as exc:
        return Decoded("", f"cannot read: {exc.strerror or exc}")
    return decode(data)
