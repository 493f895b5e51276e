"""The fast paths of the machine-local path detector find exactly what the plain ones do.

The detector's patterns start with a literal where they can and skip lines that hold no
marker; these tests hold them against the straightforward forms (each pattern as first
written, every line tested on its own) on generated text built from the fragments that
matter (slashes, home folders, drive letters, sockets, URLs, brackets, newlines).
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS
from yoi_ticket.doctor.machine_paths import (
    HOME,
    RUN_USER,
    SOCKET,
    TEMP,
    TILDE,
    MachinePaths,
    PathHit,
)

# The patterns as first written: a lookbehind, then the path (slow: tried at every offset).
_END = r"""(?=$|[/\\\s"'`)\]},;:>|*])"""
_START = r"(?<![\w.~/\\$%@+>)\]}-])"
_USER = r"[A-Za-z0-9_][A-Za-z0-9._@+-]*"
PLAIN_PATTERNS = (
    (HOME, rf"{_START}(?:/mnt/[A-Za-z])?/(?:home|Users|var/home|export/home)/{_USER}{_END}", True),
    (HOME, rf"{_START}/root{_END}", True),
    (HOME, rf"(?<![\w])[A-Za-z]:(?:\\+|/)(?i:users)(?:\\+|/){_USER}{_END}", True),
    (RUN_USER, rf"{_START}/run/user/\d+{_END}", True),
    (SOCKET, rf"""(?:{_START}/|(?<![\w])[A-Za-z]:\\)[^\s"'`<>|]*?\.sock(?![\w.-])""", True),
    (TEMP, rf"{_START}/(?:private/)?(?:tmp|var/folders)/[^\s\"'`<>|]", False),
    (TILDE, r"(?<![\w.~/\\$%@>)\]}-])~/[^\s\"'`<>|]", False),
)
PLAIN = tuple((kind, re.compile(pattern), certain) for kind, pattern, certain in PLAIN_PATTERNS)

FRAGMENTS = [
    "/",
    "\\",
    "home/",
    "Users/",
    "users",
    "USERS\\",
    "var/home/",
    "export/home/",
    "mnt/c/",
    "root",
    "run/user/",
    "1000",
    "tmp/",
    "private/",
    "var/folders/",
    "~",
    "~/",
    ".sock",
    "x.sock",
    "C:",
    "c:\\",
    "bob",
    "a",
    "_",
    "-",
    ".",
    " ",
    "\n",
    "`",
    "'",
    '"',
    "(",
    ")",
    "[",
    "]",
    ">",
    "<",
    ":",
    "$",
    "file://",
    "https://h",
    "é",
    "ſ",
    "日本",
]
TEXT = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
LOCAL_DIRS = (("/srv/yoi-data", "the yoi data dir"), ("D:\\yoi\\run", "the yoi runtime dir"))


def plain_find(detector: MachinePaths, text: str, *, certain_only: bool = False) -> list[PathHit]:
    """:meth:`MachinePaths.find` with the plain patterns (the same token and URL rules)."""
    from yoi_ticket.doctor import machine_paths as mp

    if not detector.may_contain(text):
        return []
    if "://" in text:
        text = re.sub(r"(?i)file://", "file:  ", text)
    urls = mp._Urls(text)
    kinds: dict[int, tuple[str, bool]] = {}
    for folder, kind in detector.local_dirs:
        for start in mp._occurrences(text, folder, urls):
            kinds[start] = (kind, True)
    for kind, regex, certain in PLAIN:
        if certain_only and not certain:
            continue
        for match in regex.finditer(text):
            start = match.start()
            if start not in kinds and not urls.inside(start):
                kinds[start] = (kind, certain)
    return mp._outermost(text, kinds)


@settings(max_examples=400, deadline=None)
@given(TEXT, st.booleans())
def test_find_gives_what_the_plain_patterns_give(text: str, certain_only: bool) -> None:
    detector = MachinePaths(LOCAL_DIRS)
    expected = plain_find(detector, text, certain_only=certain_only)
    assert detector.find(text, certain_only=certain_only) == expected


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_marked_lines_are_the_lines_that_may_contain_a_path(text: str) -> None:
    detector = MachinePaths(LOCAL_DIRS)
    lines = enumerate(text.split("\n"))
    assert detector.marked_lines(text) == [(n, t) for n, t in lines if detector.may_contain(t)]


def test_the_real_corpus_gives_the_same_hits_both_ways() -> None:
    detector = MachinePaths(LOCAL_DIRS)
    lines = 0
    for path in sorted(CORPUS.glob("*/.yoi/tickets/**/*.md")):
        text = path.read_text(encoding="utf-8")
        for _, line in detector.marked_lines(text):
            lines += 1
            assert detector.find(line) == plain_find(detector, line), (path, line)
    assert lines > 100  # the sample corpus quotes many machine-local paths


def test_marked_lines_number_lines_from_zero_and_keep_them_whole() -> None:
    detector = MachinePaths()
    text = "plain\nsee /home/bob/x\n\n~/y and C:\\Users\\z\nlast /run/user/1"
    assert detector.marked_lines(text) == [
        (1, "see /home/bob/x"),
        (3, "~/y and C:\\Users\\z"),
        (4, "last /run/user/1"),
    ]
    assert detector.marked_lines("") == []


def test_a_local_dir_spanning_lines_makes_the_scan_test_whole_texts(tmp_path: Path) -> None:
    from yoi_ticket.doctor.path_scan import PathScan
    from yoi_ticket.store.models import Ticket

    odd = "/srv/odd\nname/data"  # a data dir with a newline in its name
    detector = MachinePaths([(odd, "the yoi data dir")])
    assert detector.multiline and not MachinePaths(LOCAL_DIRS).multiline
    scan = PathScan(tmp_path, detector)
    ticket = Ticket(id="T", path="t/T", layout="v2", item_text=f"x {odd} y", thread_text="plain")
    assert scan.prechecked(ticket) == (True, False)  # no single line holds the marker
    assert detector.may_contain(ticket.item_text)
    assert detector.marked_lines(ticket.item_text) == [(0, "x /srv/odd")]
