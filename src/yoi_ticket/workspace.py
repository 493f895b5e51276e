"""Finding the workspace: the first directory upwards that holds ``.yoi/``."""

from __future__ import annotations

import os
from pathlib import Path

from yoi_ticket.errors import NotAWorkspaceError

MARKER = ".yoi"
WORKSPACE_ENV = "YOI_WORKSPACE"


def find_workspace(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the absolute workspace path (symlinks kept as spelled).

    ``explicit`` (``--workspace``) wins over ``YOI_WORKSPACE``, which wins over
    walking up from the current directory. An explicit path must itself be a
    workspace or lie inside one.
    """
    given = explicit if explicit is not None else os.environ.get(WORKSPACE_ENV) or None
    start = Path(os.path.abspath(given if given is not None else os.getcwd()))
    if given is not None and not start.is_dir():
        raise NotAWorkspaceError(
            f"{given}: no such directory",
            hint="pass the path of a directory that contains .yoi/",
        )
    for candidate in (start, *start.parents):
        if (candidate / MARKER).is_dir():
            return candidate
    raise NotAWorkspaceError(
        f"{start}: not a yoi workspace (no {MARKER}/ here or in any parent directory)",
        hint="run inside a repository with .yoi/tickets, or pass --workspace PATH",
    )
