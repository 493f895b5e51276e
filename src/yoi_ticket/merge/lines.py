"""Line-wise three-way merges done by git itself (``git merge-file``).

The ticket merge driver uses this for everything it does not understand
better than git: item bodies, unknown files, and any input it cannot parse.
Conflict markers are labelled ``ours`` and ``theirs``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from yoi_ticket.git import GitResult, GitUnavailableError, run_git

LABELS = ("-L", "ours", "-L", "base", "-L", "theirs")


@dataclass(frozen=True)
class MergeText:
    """A merge result: the text and how many conflict blocks it holds."""

    text: str
    conflicts: int


class LineMergeError(Exception):
    """``git merge-file`` could not run or failed (not the same as a conflict)."""


def _merge_file(args: list[str]) -> GitResult:
    try:
        done = run_git(None, "merge-file", *args, required=True)
    except GitUnavailableError as exc:
        raise LineMergeError(f"cannot run git merge-file: {exc.reason}") from None
    # git merge-file exits with the number of conflicts (capped at 127), negative on error
    if done.returncode < 0 or done.returncode > 127:
        message = done.stderr_text.strip() or f"exit {done.returncode}"
        raise LineMergeError(f"git merge-file failed: {message}")
    return done


def merge_texts(base: str, ours: str, theirs: str, marker_size: int = 7) -> MergeText:
    """Merge three texts line by line, as git would; raises :class:`LineMergeError`."""
    if ours in (theirs, base):
        return MergeText(theirs, 0)
    if theirs == base:
        return MergeText(ours, 0)
    with tempfile.TemporaryDirectory(prefix="yoi-merge-") as folder:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder) / name
            path.write_bytes(text.encode("utf-8"))
            paths.append(os.fspath(path))
        done = _merge_file(["-p", f"--marker-size={marker_size}", *LABELS, *paths])
    return MergeText(done.stdout.decode("utf-8", "replace"), done.returncode)


def merge_in_place(base: Path, ours: Path, theirs: Path, marker_size: int = 7) -> int:
    """git's plain merge of the three files, written into ``ours``; returns the conflict count."""
    done = _merge_file(
        [
            f"--marker-size={marker_size}",
            *LABELS,
            os.fspath(ours),
            os.fspath(base),
            os.fspath(theirs),
        ]
    )
    return done.returncode
