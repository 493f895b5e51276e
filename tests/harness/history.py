"""Real git histories for the lost-event tests: corpus tickets in a repository, branches
that append events (written as yoi writes them), and merges resolved by hand the way
people resolve them (one side kept, a part of both, an event edited)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from harness.corpus import CORPUS, V1, V2, copy_tree, git, init_repo

STORE = ".yoi/tickets"
TICKET = "00001KSKBPDVG"  # v2, planning, one migration event
OTHER = "00001KSKBPHRG"  # v2, closed, three events
V1_TICKET = "open/20260609-032533-session-analytics-tooling"  # v1, three events
V1_AS_V2 = "00001KT0Y8W9G"  # the folder the v1 ticket gets in a flat v2 store


def thread_path(ticket: str = TICKET) -> str:
    return f"{STORE}/{ticket}/thread.md"


def item_path(ticket: str = TICKET) -> str:
    return f"{STORE}/{ticket}/item.md"


def event(at: str, body: str, kind: str = "comment", author: str = "alice", **attrs: str) -> str:
    """An event block as yoi appends it: a blank line, the header, the body, ``---``."""
    extra = "".join(f" {key}: {value}" for key, value in attrs.items())
    return f"\n<!-- event: {kind} author: {author} at: {at}{extra} -->\n\n{body}\n\n---\n"


def header(block: str) -> str:
    """The header line of an :func:`event` block."""
    return block.strip().split("\n", 1)[0]


def store_repo(parent: Path, *, v1: bool = False, name: str = "ws") -> Path:
    """A repository holding the corpus config and two tickets (v2: TICKET and OTHER; with
    ``v1``: the v1 ticket V1_TICKET), everything committed on ``main``."""
    layout = V1 if v1 else V2
    source = CORPUS / layout / ".yoi"
    workspace = parent / name
    (workspace / STORE).mkdir(parents=True)
    shutil.copyfile(source / "ticket.config.toml", workspace / ".yoi" / "ticket.config.toml")
    for ticket in (V1_TICKET,) if v1 else (TICKET, OTHER):
        copy_tree(source / "tickets" / ticket, workspace / STORE / ticket)
    return init_repo(workspace)


def read(repo: Path, path: str) -> str:
    return (repo / path).read_text(encoding="utf-8")


def write(repo: Path, path: str, text: str) -> None:
    (repo / path).write_text(text, encoding="utf-8")


def add_event(repo: Path, block: str, ticket: str = TICKET) -> None:
    """Append ``block`` to the ticket's thread and set ``updated_at`` to its time, keeping
    the field's quotes."""
    write(repo, thread_path(ticket), read(repo, thread_path(ticket)) + block)
    at = re.search(r" at: (\S+)", block)
    assert at is not None
    item = read(repo, item_path(ticket))
    bumped = re.sub(r"^(updated_at: (['\"]?)).*?\2$", rf"\g<1>{at.group(1)}\2", item, flags=re.M)
    assert bumped != item
    write(repo, item_path(ticket), bumped)


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return rev(repo, "HEAD")


def rev(repo: Path, name: str) -> str:
    return git(repo, "rev-parse", name).stdout.strip()


def show(repo: Path, revision: str, path: str) -> str:
    return git(repo, "show", f"{revision}:./{path}").stdout  # (relative to the workspace)


def on_branch(repo: Path, branch: str, change: Callable[[Path], None], start: str = "main") -> str:
    """Commit ``change(repo)`` on a new branch from ``start``; back on ``main`` after."""
    git(repo, "checkout", "-q", "-b", branch, start)
    change(repo)
    commit = commit_all(repo, f"work on {branch}")
    git(repo, "checkout", "-q", "main")
    return commit


def merge_by_hand(repo: Path, *branches: str, resolve: Callable[[Path], None]) -> str:
    """Merge ``branches`` into the checked-out branch without committing (it may stop on
    conflicts), let ``resolve(repo)`` write the resolution, commit it; the merge's id."""
    git(repo, "merge", "--no-ff", "--no-commit", *branches, check=False)
    resolve(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-edit")
    assert len(git(repo, "rev-list", "--parents", "-n", "1", "HEAD").stdout.split()) > 2
    return rev(repo, "HEAD")


def keep(revision: str, *paths: str) -> Callable[[Path], None]:
    """A resolution that takes ``paths`` as ``revision`` has them (one side wins)."""

    def resolve(repo: Path) -> None:
        for path in paths:
            write(repo, path, show(repo, revision, path))

    return resolve


def migrate_to_v2(repo: Path) -> None:
    """Move the v1 ticket to its flat v2 folder (as a migration does: git mv)."""
    git(repo, "mv", f"{STORE}/{V1_TICKET}", f"{STORE}/{V1_AS_V2}")


# The events both sides of the test histories write: alice's A1, bob's review B1, carol's A2.
THREAD, ITEM = thread_path(), item_path()
A1 = event("2026-06-08T09:00:00Z", "Started on it.")
B1 = event("2026-06-08T10:00:00Z", "Looks good.", kind="review", author="bob", status="approve")
A2 = event("2026-06-08T11:00:00Z", "Decided.", kind="decision", author="carol")
