"""Helpers for the merge driver tests: repositories of corpus tickets with the driver
installed, thread events and frontmatter edits, and two branches to merge."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.corpus import copy_corpus, git, init_repo
from yoi_ticket.merge.install import install

V2_TICKET = ".yoi/tickets/00001KW04A8K6"
V1_TICKET = ".yoi/tickets/open/20260609-032533-session-analytics-tooling"
ATTRIBUTE_LINES = [
    "# yoi-ticket merge driver for ticket files (yoi ticket merge-driver install)",
    ".yoi/tickets/**/thread.md merge=yoi-ticket",
    ".yoi/tickets/**/item.md merge=yoi-ticket",
]


def event(at: str, body: str, kind: str = "comment", **attrs: str) -> str:
    extra = "".join(f" {key}: {value}" for key, value in attrs.items())
    return f"\n<!-- event: {kind} author: hare at: {at}{extra} -->\n\n{body}\n\n---\n"


def state_event(at: str, old: str, new: str, field: str = "state") -> str:
    return event(
        at, "## State changed", kind="state_changed", to=new, reason="test", field=field,
        **{"from": old},
    )  # fmt: skip


def append(path: Path, *blocks: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "".join(blocks), encoding="utf-8")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def set_field(path: Path, key: str, line: str) -> None:
    """Replace the frontmatter line of ``key`` with ``line``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    matches = [i for i, text in enumerate(lines) if text.startswith(f"{key}:")]
    assert len(matches) == 1, key
    lines[matches[0]] = line
    path.write_text("\n".join(lines), encoding="utf-8")


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def branches(repo: Path, ours: object, theirs: object) -> None:
    """Commit ``theirs(repo)`` on branch ``theirs`` and ``ours(repo)`` on ``main``."""
    git(repo, "checkout", "-q", "-b", "theirs")
    theirs(repo)  # type: ignore[operator]
    commit_all(repo, "theirs")
    git(repo, "checkout", "-q", "main")
    ours(repo)  # type: ignore[operator]
    commit_all(repo, "ours")


def merge(repo: Path) -> subprocess.CompletedProcess[str]:
    return git(repo, "merge", "--no-edit", "theirs", check=False)


def unmerged(repo: Path) -> list[str]:
    return git(repo, "diff", "--name-only", "--diff-filter=U").stdout.split()


def driver_repo(layout: str, path: Path) -> Path:
    """A repository holding ``corpus/<layout>`` with the driver installed and committed."""
    workspace = init_repo(copy_corpus(layout, path))
    install(workspace, python=sys.executable)
    commit_all(workspace, "merge driver")
    return workspace
