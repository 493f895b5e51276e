"""``doctor --hook``: what the pre-commit hook runs, with the files pre-commit names.

pre-commit passes the hook the files of the commit (``git commit``, plain ``pre-commit
run``) or every tracked file (``pre-commit run --all-files``, as CI and pre-commit.ci
run it). The hook checks the tickets those files belong to:

- **while git commits** (git runs its ``pre-commit`` and ``pre-merge-commit`` hooks with
  ``GIT_INDEX_FILE`` set, and nothing else does), from the index, as ``--staged`` does:
  what the commit will record, whatever the work tree holds;
- **otherwise** (``--all-files``, ``--files``, ``--hook-stage manual``), from the work
  tree, as a plain run restricted to those tickets; pre-commit itself stashes what is
  not staged before a plain ``pre-commit run``, so there the work tree is the index.

Overlay and runtime checks never run in a hook (``--no-local``).
"""

from __future__ import annotations

import dataclasses
import os

from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.store.reader import Store

COMMITTING_ENV = "GIT_INDEX_FILE"


def committing() -> bool:
    """Whether git is running a commit hook: it sets ``GIT_INDEX_FILE`` for them (the real
    index, or the temporary one of ``git commit -a`` and ``git commit PATH``)."""
    return bool(os.environ.get(COMMITTING_ENV))


def hook_options(store: Store, options: DoctorOptions) -> DoctorOptions:
    """``options`` of a ``--hook`` run as the run they stand for: ``--staged`` while git
    commits, else a work-tree run without local checks; each given file is replaced by the
    ticket folder holding it (files outside any ticket stay as given)."""
    paths = ticket_paths(store, options.paths)
    return dataclasses.replace(options, hook=False, staged=committing(), no_local=True, paths=paths)


def ticket_paths(store: Store, files: tuple[str, ...]) -> tuple[str, ...]:
    """The ticket folders holding ``files`` (workspace-relative ``/`` paths), each once and
    in the order first named; a file in no ticket folder is kept as it is."""
    return tuple(dict.fromkeys(store.folder_of(path) or path for path in files))
