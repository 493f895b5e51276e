"""``restore-events``: put back the thread events that merges dropped (YT505).

The work is :mod:`yoi_ticket.merge.restore`'s; this module takes the merges, prints
what was restored (or, with ``--dry-run``, the unified diff of what would be) and the
commands to run next. Nothing is committed.

Exit status: 0 when every dropped event is back in the work tree (or was already),
1 when some were skipped (each said on stderr, with why), 2 on a usage error.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yoi_ticket.cli import display
from yoi_ticket.cli.options import WorkspaceOption, workspace_path

if TYPE_CHECKING:
    from yoi_ticket.merge.restore import RestorePlan

RevisionsArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="RANGE|REV",
        help="Revision ranges (main~300..main) whose merges to restore from, or merge commits.",
        show_default=False,
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print what would be restored, as a unified diff.")
]
COMMIT_MESSAGE = "Restore thread events dropped by merges"


def restore_events_command(
    revisions: RevisionsArgument,
    dry_run: DryRunOption = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Put back thread events that merges dropped (YT505); never commits."""
    from yoi_ticket.git import require_repo
    from yoi_ticket.merge.history import merges_given
    from yoi_ticket.merge.restore import apply_plan, plan_diff, plan_restore

    root = workspace_path(workspace)
    repo = require_repo(root, "restore-events")
    try:
        merges = merges_given(repo, revisions)
        wanted = display.progress_wanted("text", None)
        with display.ProgressBar(enabled=wanted, label="Checking merges") as bar:
            plan = plan_restore(root, repo, merges, progress=bar.update)
        if dry_run:
            display.echo(display.printable(plan_diff(plan, repo.top)), nl=False)
            written: list[str] = []
        else:
            written = apply_plan(root, plan)
    finally:
        repo.close()
    _report(root, plan, written, dry_run=dry_run)
    return 1 if plan.skipped else 0


def _report(root: Path, plan: RestorePlan, written: list[str], *, dry_run: bool) -> None:
    """What was done (stdout), what was skipped (stderr); with ``--dry-run`` all of it on
    stderr, so that stdout holds the diff alone (``git apply`` takes it)."""
    out = display.echo if not dry_run else _to_stderr
    for restored in plan.restored:
        verb = "would restore" if dry_run else "restored"
        out(display.printable(f"{verb} {restored.path}: {restored.header} ({restored.source})"))
    for path, old, new in plan.updated:
        verb = "would set" if dry_run else "set"
        out(display.printable(f"{verb} {path}: updated_at {old} -> {new}"))
    for skipped in plan.skipped:
        _to_stderr(display.printable(f"skipped {skipped.path}: {skipped.what}: {skipped.reason}"))
    already = f"; {plan.present} already in the work tree" if plan.present else ""
    if not plan.restored:
        out(f"Nothing to restore ({_merges(plan.merges)} checked{already}).")
        return
    if dry_run:
        out(f"{len(plan.restored)} event(s) to restore ({_merges(plan.merges)} checked{already}).")
        out("Run without --dry-run to restore them (or pipe the diff to 'git apply').")
        return
    paths = [_shown(root, path) for path in written]
    out(f"Restored {len(plan.restored)} event(s) ({_merges(plan.merges)} checked{already}).")
    out(f"Changed {len(paths)} file(s), not committed:")
    for path in paths:
        out(f"  {path}")
    quoted = " ".join(shlex.quote(path) for path in paths)
    out("Next:")
    out(f"  git diff -- {quoted}")
    out(f"  git commit -m {shlex.quote(COMMIT_MESSAGE)} -- {quoted}")


def _to_stderr(text: str) -> None:
    display.echo(text, err=True)


def _merges(count: int) -> str:
    return f"{count} merge" + ("" if count == 1 else "s")


def _shown(root: Path, path: str) -> str:
    """A workspace-relative path as the user's shell sees it (relative to the current
    directory), printable."""
    return display.printable(os.path.relpath(root / path))


COMMANDS = (("restore-events", restore_events_command),)
