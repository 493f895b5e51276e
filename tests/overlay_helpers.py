"""A small real workspace for the overlay tests: four corpus tickets in a git repository."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import CORPUS, V2, copy_tree, init_repo

TICKETS = ("00001KSKBPDVG", "00001KSKBPHRG", "00001KSKBPVH0", "00001KSQK9T6R")


def small_workspace(parent: Path, name: str = "ws") -> Path:
    """``<parent>/<name>``: the corpus config and four v2 tickets, committed to git."""
    source = CORPUS / V2 / ".yoi"
    workspace = parent / name
    store = workspace / ".yoi" / "tickets"
    store.mkdir(parents=True)
    shutil.copyfile(source / "ticket.config.toml", workspace / ".yoi" / "ticket.config.toml")
    for ticket in TICKETS:
        copy_tree(source / "tickets" / ticket, store / ticket)
    return init_repo(workspace)
