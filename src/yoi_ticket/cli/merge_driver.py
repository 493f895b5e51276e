"""``merge-driver run|install|uninstall``: the git merge driver for ticket files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yoi_ticket.cli import display
from yoi_ticket.cli.options import WorkspaceOption, workspace_path

HELP = "The git merge driver for ticket files (run by git; install/uninstall it here)."

BaseArgument = Annotated[
    Path, typer.Argument(metavar="BASE", help="Base version (git's %O).", show_default=False)
]
OursArgument = Annotated[
    Path, typer.Argument(metavar="OURS", help="Ours; gets the result (%A).", show_default=False)
]
TheirsArgument = Annotated[
    Path, typer.Argument(metavar="THEIRS", help="Theirs (%B).", show_default=False)
]
PathArgument = Annotated[
    str | None,
    typer.Argument(metavar="PATH", help="Path being merged (%P).", show_default=False),
]
MarkerSizeOption = Annotated[
    int,
    typer.Option("--marker-size", metavar="N", min=1, help="Conflict marker length (%L)."),
]


def run_command(
    base: BaseArgument,
    ours: OursArgument,
    theirs: TheirsArgument,
    path: PathArgument = None,
    marker_size: MarkerSizeOption = 7,
) -> int:
    """Merge a ticket file as git asks: exit 0 when clean, 1 when conflicts are left."""
    from yoi_ticket.merge.driver import run_driver

    return run_driver(base, ours, theirs, path, marker_size=marker_size)


def install_command(workspace: WorkspaceOption = None) -> int:
    """Add the .gitattributes lines and this repository's merge.yoi-ticket git config."""
    from yoi_ticket.merge.install import install

    setup = install(workspace_path(workspace))
    for change in setup.changes or ("merge driver already installed; nothing to do",):
        display.echo(change)
    display.echo(f"driver: {setup.driver_command}")
    display.echo(f"commit {setup.attributes.name}; every clone runs 'install' once for its config")
    return 0


def uninstall_command(workspace: WorkspaceOption = None) -> int:
    """Remove what install added; git merges ticket files line by line again."""
    from yoi_ticket.merge.install import uninstall

    setup = uninstall(workspace_path(workspace))
    for change in setup.changes or ("merge driver not installed; nothing to do",):
        display.echo(change)
    return 0


COMMANDS = (("run", run_command), ("install", install_command), ("uninstall", uninstall_command))
