"""``workspace``: the canonical path, the workspace key, the overlay and the Pod names."""

from __future__ import annotations

from yoi_ticket.cli import display
from yoi_ticket.cli.options import TextFormatOption, WorkspaceOption, overlay_for


def workspace_command(fmt: TextFormatOption = "text", workspace: WorkspaceOption = None) -> int:
    """Show the canonical workspace path, its key, overlay and Pod names."""
    from yoi_ticket.overlay.views import workspace_document, workspace_text

    document = workspace_document(overlay_for(workspace))
    if fmt == "json":
        display.print_json(document)
    else:
        display.echo(workspace_text(document))
    return 0


COMMANDS = (("workspace", workspace_command),)
