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

import bisect
import os
import re
from collections.abc import Iterable, Iterator
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
    # (the socket pattern is run by _socket_starts: as a regex it is quadratic on "=/=/=/...")
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
        """Machine-local paths in ``text``, one per start offset, in text order.

        Linear in ``text``: each match is found by a scan that does not go back over the
        text (a line of thousands of paths, or of slashes without one, was quadratic).
        """
        if not self.may_contain(text):
            return []
        if "://" in text:  # file:///home/x is a local path: blank the scheme's slashes
            text = _FILE_URL.sub("file:  ", text)
        urls = _Urls(text)
        kinds: dict[int, tuple[str, bool]] = {}
        for folder, kind in self.local_dirs:
            if folder not in text:
                continue
            for start in _occurrences(text, folder, urls):
                kinds[start] = (kind, True)
        for kind, regex, certain, gate in _REGEXES:
            if (certain_only and not certain) or (gate is not None and gate(text) is None):
                continue
            if kind == SOCKET:
                starts: Iterable[int] = _socket_starts(text)
            else:
                starts = (match.start() for match in regex.finditer(text))
            for start in starts:
                if start not in kinds and not urls.inside(start):
                    kinds[start] = (kind, certain)
        return _outermost(text, kinds)


def _outermost(text: str, kinds: dict[int, tuple[str, bool]]) -> list[PathHit]:
    """The hits in text order, without those that start inside an earlier hit's token as
    shown (``/home/a/x.sock`` is one path). Hits in one token share its end, found once."""
    hits: list[PathHit] = []
    end = -1  # the end of the last hit's token as shown
    token_end = stripped_end = -1  # the end of the last token looked at, and without ".:,"
    for start in sorted(kinds):
        if start < end:
            continue
        if start >= token_end:
            match = _TOKEN_END.search(text, start)
            token_end = match.start() if match else len(text)
            stripped_end = token_end
            while stripped_end > start and text[stripped_end - 1] in ".:,":
                stripped_end -= 1
        size = max(stripped_end - start, 0)
        path = (
            text[start : start + size]
            if size <= MAX_SHOWN
            else text[start : start + MAX_SHOWN - 3] + "..."
        )
        kind, certain = kinds[start]
        hits.append(PathHit(path, kind, certain, start))
        end = start + len(path)
    return hits


_SOCKET_END = re.compile(r"\.sock(?![\w.-])")
_SOCKET_START = re.compile(rf"{_START}/|(?<![\w])[A-Za-z]:\\")
_PATH_STOP = re.compile(r"""[\s"'`<>|]""")


def _socket_starts(text: str) -> Iterator[int]:
    """The start of each match of the SOCKET pattern, as ``finditer`` gives them.

    For each ``.sock`` in turn: the match, if any, starts at the first path start after
    the last character that ends a path (and after the previous match). The text before
    a ``.sock`` is read once: the next search begins after it.
    """
    low = 0
    for sock in _SOCKET_END.finditer(text):
        end = sock.start()
        run = low
        for stop in _PATH_STOP.finditer(text, low, end):
            run = stop.end()
        start = _SOCKET_START.search(text, run, end)
        if start is None:
            low = end
            continue
        low = sock.end()
        yield start.start()


class _Urls:
    """Where the URLs of a text are: an offset lies in one when the text of its token
    before it (from the last character in ``_TOKEN_START``) holds ``://``.

    Found in one pass: each ``://`` makes the rest of its token, up to the next
    character that starts a token, a URL.
    """

    def __init__(self, text: str) -> None:
        self.starts: list[int] = []  # each URL part as [start, end], inclusive, in order
        self.ends: list[int] = []
        at = text.find("://")
        while at != -1:
            if self.ends and at <= self.ends[-1]:  # in the token of the one before
                at = text.find("://", at + 1)
                continue
            match = _TOKEN_START.search(text, at)
            self.starts.append(at + 3)
            self.ends.append(match.start() if match else len(text))
            at = text.find("://", at + 1)

    def inside(self, offset: int) -> bool:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index >= 0 and offset <= self.ends[index]


def _spellings(folder: str) -> list[str]:
    """The folder as given and resolved, without a trailing separator; roots are ignored."""
    spellings = []
    for candidate in (folder, os.path.realpath(folder)):
        text = candidate.rstrip("/\\")
        if text.count("/") + text.count("\\") >= 2 and text not in spellings:
            spellings.append(text)
    return spellings


def _occurrences(text: str, folder: str, urls: _Urls) -> Iterable[int]:
    start = text.find(folder)
    while start != -1:
        end = start + len(folder)
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if (
            (not before or not (before.isalnum() or before in "._-~/\\>)]}"))
            and (not after or after in "/\\" or not (after.isalnum() or after in "._-"))
            and not urls.inside(start)
        ):
            yield start
        start = text.find(folder, end)
