"""``overlay import``: move the claims and role sessions of yoi's panel registry into our
overlay."""

from __future__ import annotations

from typing import Annotated

import typer

from yoi_ticket.cli import display
from yoi_ticket.cli.options import WorkspaceOption, overlay_for

HELP = "Our local overlay and yoi's panel registry beside it."

DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print what would be imported; change nothing.")
]


def import_command(dry_run: DryRunOption = False, workspace: WorkspaceOption = None) -> int:
    """Move yoi's panel claims and role sessions into our overlay (exit 1 if any is refused)."""
    from yoi_ticket.overlay.importer import import_panel

    report = import_panel(overlay_for(workspace), dry_run=dry_run)
    for step in report.steps:
        display.echo(step.text, err=step.refused)
    display.echo(report.summary())
    return 1 if report.refused else 0


COMMANDS = (("import", import_command),)
