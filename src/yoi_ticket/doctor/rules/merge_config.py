"""YT6xx: the ticket merge driver's setup in this clone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.rule import rule
from yoi_ticket.git import GitUnavailableError
from yoi_ticket.merge.install import (
    DRIVER_KEY,
    attribute_files,
    configured_driver,
    interpreter_missing,
    names_driver,
    repository,
)

_HINT = "run 'yoi ticket merge-driver install' in this clone"


def _display(workspace: Path, path: Path) -> str:
    """Workspace-relative when inside the workspace, else absolute."""
    relative = Path(os.path.relpath(os.path.realpath(path), os.path.realpath(workspace)))
    return path.as_posix() if relative.parts[:1] == ("..",) else relative.as_posix()


def _first_driver_line(path: Path) -> int | None:
    from yoi_ticket.files.fsutil import read_regular
    from yoi_ticket.files.textfile import MAX_FILE_BYTES

    try:  # never blocks on a FIFO
        text = read_regular(path, MAX_FILE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if names_driver(line):
            return number
    return None


@rule(
    "YT601",
    Severity.WARNING,
    "git",
    "Merge driver named in .gitattributes is not configured in this clone",
    why="`.gitattributes` is tracked, but `merge.yoi-ticket.driver` lives in each clone's "
    "own git config. Without it git silently falls back to a plain line merge: concurrent "
    "thread appends conflict again and lose events when resolved by hand. When it names an "
    "interpreter that no longer exists, git marks each ticket file conflicted but leaves only "
    "our side's version in it, without markers, so adding it as resolved drops their events.",
    example=".gitattributes:  .yoi/tickets/**/thread.md merge=yoi-ticket\n"
    "git config --get merge.yoi-ticket.driver   (prints nothing)",
    fix="Run `yoi ticket merge-driver install` in the clone (again after moving or "
    "recreating the virtual environment it was installed from). Skipped with "
    "--no-local: CI clones never run the driver.",
)
def merge_driver_not_configured(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports attribute files that set ``merge=yoi-ticket`` while the repository config
    lacks ``merge.yoi-ticket.driver`` or names a program that does not exist. Without git
    (none on PATH) the workspace counts as outside git: nothing to report."""
    if ctx.options.no_local:
        return
    try:
        found = repository(ctx.workspace)
    except GitUnavailableError:  # no git: the workspace counts as outside git
        return
    if found is None:
        return
    top, git_dir = found
    files = attribute_files(top, git_dir, ctx.workspace / ctx.config.store_root)
    hits = [(path, line) for path in files if (line := _first_driver_line(path)) is not None]
    if not hits:
        return
    command = configured_driver(ctx.workspace)
    missing = interpreter_missing(command) if command is not None else None
    if command is not None and missing is None:
        return
    for path, line in hits:
        if command is None:
            message = (
                f"{path.name} names the yoi-ticket merge driver but git config lacks {DRIVER_KEY}"
            )
        else:
            message = f"{DRIVER_KEY} runs {missing}, which does not exist"
        yield Finding(_display(ctx.workspace, path), line, message, _HINT)


RULES = (merge_driver_not_configured,)
