"""Driving the CLI in-process with typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from yoi_ticket.cli.app import ticket_app


def run(workspace: Path, *args: str) -> Result:
    """``yoi-ticket -C WORKSPACE ARGS...``."""
    return CliRunner().invoke(ticket_app, ["-C", str(workspace), *args])


def run_json(workspace: Path, *args: str) -> Any:
    """The JSON document of a successful ``ARGS... --format json``."""
    result = run(workspace, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
