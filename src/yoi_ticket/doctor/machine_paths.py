"""Machine-local paths: absolute paths that only mean something on the machine that wrote them.

A path is machine-local when it names a home directory (``/home/<user>``,
``/Users/<user>``, ``/var/home/<user>``, ``/root``, ``C:\\Users\\<user>``,
``/mnt/c/Users/<user>``), a per-user runtime folder (``/run/user/<uid>``), a
Unix socket (an absolute path ending in ``.sock``), or lies under one of the
folders a caller names as local (the data dir, the runtime dir, the
workspace's own absolute path). These are *certain*. Temporary folders
(``/tmp``, ``/var/folders``) and ``~/`` paths are *uncertain*: machine-local
when a tool wrote them into a field, but common in hand-written instructions.

Any user's home counts, not only the current user's: CI runs on another
machine than the one that wrote the file. Paths inside URLs
(``https://host/home/x``) are not paths on this machine and are skipped;
``file://`` URLs are not skipped.

Scanning is cheap: :meth:`MachinePaths.find` runs a few substring tests
before any regular expression.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

HOME = "a home directory"
RUN_USER = "a per-user runtime folder"
SOCKET = "a socket file"
TEMP = "a temporary folder"
TILDE = "a path in the user's home"

# Characters that end a path token in text.
_END = r"""(?=$|[/\\\s"'`)\]},;:>|*])"""
# A path must start a token: not preceded by a word character, path punctuation or a
# closing bracket (``working-directories/<id>/root/x``, ``$(pwd)/root``, ``a[0]/home``).
_BEFORE = r"[\w.~/\\$%@+>)\]}-]"
_START = rf"(?<!{_BEFORE})"
# The same test written after the slash that starts the path: a pattern that begins with a
# literal lets the regex engine jump from one "/" to the next instead of trying every offset
# (five to ten times faster on prose).
_SLASH = rf"/(?<!{_BEFORE}/)"
_USER = r"[A-Za-z0-9_][A-Za-z0-9._@+-]*"
_DRIVE_USERS = r"(?<![\w])[A-Za-z]:(?:\\+|/)(?i:users)(?:\\+|/)"
_HOMES = r"(?:mnt/[A-Za-z]/)?(?:home|Users|var/home|export/home)/"
_SOCKET = r"""(?:{start}/|(?<![\w])[A-Za-z]:\\)[^\s"'`<>|]*?\.sock(?![\w.-])"""
# (kind, pattern, certain, gate): a pattern that cannot start with a literal runs only on
# text in which its gate (a necessary part of every match) occurs.
_PATTERNS: tuple[tuple[str, str, bool, str | None], ...] = (
    (HOME, rf"{_SLASH}{_HOMES}{_USER}{_END}", True, None),
    (HOME, rf"{_SLASH}root{_END}", True, None),
    (HOME, rf"{_DRIVE_USERS}{_USER}{_END}", True, r":(?:\\+|/)(?i:users)"),
    (RUN_USER, rf"{_SLASH}run/user/\d+{_END}", True, None),
    (SOCKET, _SOCKET.format(start=_START), True, r"\.sock"),
    (TEMP, rf"{_SLASH}(?:private/)?(?:tmp|var/folders)/[^\s\"'`<>|]", False, None),
    (TILDE, r"~(?<![\w.~/\\$%@>)\]}-]~)/[^\s\"'`<>|]", False, None),
)
_REGEXES = tuple(
    (kind, re.compile(pattern), certain, re.compile(gate).search if gate else None)
    for kind, pattern, certain, gate in _PATTERNS
)
# Substrings one of which every match contains (checked before any regex runs).
# Every match contains "/" followed by one of these, or one of _OTHER_MARKERS.
_SLASH_MARKERS = ("home/", "Users/", "users/", "root", "run/user/", "tmp/", "private/", "var/")
_OTHER_MARKERS = ("\\", "~/", ".sock")
_FILE_URL = re.compile(r"(?i)file://")
_TOKEN_END = re.compile(r"""[\s"'`<>()\[\]{},;|*]""")
_TOKEN_START = re.compile(r"""[\s"'`<>({,;|*=]""")  # not "[": URLs hold [::1]
MAX_SHOWN = 80


@dataclass(frozen=True, slots=True)
class PathHit:
    """One machine-local path found in a text."""

    path: str  # the whole path token, shortened for display
    kind: str  # what makes it machine-local (HOME, SOCKET, "the data dir", ...)
    certain: bool
    start: int  # offset in the scanned text


class MachinePaths:
    """Finds machine-local paths; ``local_dirs`` maps extra folders to what they are."""

    def __init__(self, local_dirs: Iterable[tuple[str, str]] = ()) -> None:
        dirs: dict[str, str] = {}
        for folder, kind in local_dirs:
            for spelling in _spellings(folder):
                dirs.setdefault(spelling, kind)
        # Longest first so that a path under the runtime dir inside the data dir names the former.
        self.local_dirs = tuple(sorted(dirs.items(), key=lambda item: -len(item[0])))
        slash = [*_SLASH_MARKERS, *(f[1:] for f, _ in self.local_dirs if f.startswith("/"))]
        self._others = (*_OTHER_MARKERS, *(f for f, _ in self.local_dirs if not f.startswith("/")))
        pattern = "/(?:" + "|".join(map(re.escape, slash)) + ")"
        self._slash_search = re.compile(pattern).search
        self._slash_finditer = re.compile(pattern).finditer
        self._slash_search_bytes = re.compile(pattern.encode("utf-8")).search
        self._gated_bytes = tuple(
            (marker.encode("utf-8")[:1], marker.encode("utf-8")) for marker in self._others
        )
        # A one-character test first: it is several times faster than a longer needle on
        # text that is not ASCII, and "~" or "\\" rarely occur in prose at all.
        self._gated = tuple((marker[0], marker) for marker in self._others)
        # A local dir with a newline in its name (no marker of the patterns has one) could
        # match across lines: then whole texts are tested, not their lines.
        self.multiline = any("\n" in folder for folder, _ in self.local_dirs)

    def may_contain(self, text: str) -> bool:
        """A cheap test: ``False`` means :meth:`find` would surely find nothing."""
        # One regex for the "/..." markers and plain substring tests for the others is
        # about twice as fast on prose as one regex for all of them.
        if self._slash_search(text) is not None:
            return True
        for first, marker in self._gated:  # noqa: SIM110 (a loop is faster than any() here)
            if first in text and marker in text:
                return True
        return False

    def may_contain_bytes(self, data: bytes) -> bool:
        """:meth:`may_contain` on undecoded UTF-8 (skips decoding files that hold nothing)."""
        if self._slash_search_bytes(data) is not None:
            return True
        for first, marker in self._gated_bytes:  # noqa: SIM110
            if first in data and marker in data:
                return True
        return False

    def marked_lines(self, text: str) -> list[tuple[int, str]]:
        """The lines of ``text`` (index from 0, text) that :meth:`may_contain` a path, in
        order: what testing every line would give, from a few searches of the whole text."""
        starts: set[int] = set()
        for match in self._slash_finditer(text):
            starts.add(text.rfind("\n", 0, match.start()) + 1)
        for first, marker in self._gated:
            if first in text:
                at = text.find(marker)
                while at != -1:
                    line_start = text.rfind("\n", 0, at) + 1
                    starts.add(line_start)
                    end = text.find("\n", at)
                    at = -1 if end == -1 else text.find(marker, end + 1)
        lines: list[tuple[int, str]] = []
        number = counted = 0
        for start in sorted(starts):
            number += text.count("\n", counted, start)
            counted = start
            end = text.find("\n", start)
            lines.append((number, text[start:] if end == -1 else text[start:end]))
        return lines

    def find(self, text: str, *, certain_only: bool = False) -> list[PathHit]:
        """Machine-local paths in ``text``, one per start offset, in text order."""
        if not self.may_contain(text):
            return []
        if "://" in text:  # file:///home/x is a local path: blank the scheme's slashes
            text = _FILE_URL.sub("file:  ", text)
        hits: dict[int, PathHit] = {}
        for folder, kind in self.local_dirs:
            if folder not in text:
                continue
            for start in _occurrences(text, folder):
                hits[start] = PathHit(_token(text, start), kind, True, start)
        for kind, regex, certain, gate in _REGEXES:
            if (certain_only and not certain) or (gate is not None and gate(text) is None):
                continue
            for match in regex.finditer(text):
                start = match.start()
                if start in hits or _inside_url(text, start):
                    continue
                hits[start] = PathHit(_token(text, start), kind, certain, start)
        return [hits[start] for start in sorted(_outermost(hits))]


def _outermost(hits: dict[int, PathHit]) -> list[int]:
    """Drop hits that start inside an earlier hit's token (``/home/a/x.sock`` is one path)."""
    kept: list[int] = []
    end = -1
    for start in sorted(hits):
        if start < end:
            continue
        kept.append(start)
        end = start + len(hits[start].path)
    return kept


def _spellings(folder: str) -> list[str]:
    """The folder as given and resolved, without a trailing separator; roots are ignored."""
    spellings = []
    for candidate in (folder, os.path.realpath(folder)):
        text = candidate.rstrip("/\\")
        if text.count("/") + text.count("\\") >= 2 and text not in spellings:
            spellings.append(text)
    return spellings


def _occurrences(text: str, folder: str) -> Iterable[int]:
    start = text.find(folder)
    while start != -1:
        end = start + len(folder)
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if (
            (not before or not (before.isalnum() or before in "._-~/\\>)]}"))
            and (not after or after in "/\\" or not (after.isalnum() or after in "._-"))
            and not _inside_url(text, start)
        ):
            yield start
        start = text.find(folder, end)


def _token_start(text: str, start: int) -> int:
    begin = start
    while begin > 0 and not _TOKEN_START.match(text[begin - 1]):
        begin -= 1
    return begin


def _inside_url(text: str, start: int) -> bool:
    """Whether offset ``start`` lies in a URL such as ``https://host/home/x`` (not ``file:``)."""
    prefix = text[_token_start(text, start) : start]
    return "://" in prefix


def _token(text: str, start: int) -> str:
    match = _TOKEN_END.search(text, start)
    token = text[start : match.start() if match else len(text)].rstrip(".:,")
    return token if len(token) <= MAX_SHOWN else token[: MAX_SHOWN - 3] + "..."
