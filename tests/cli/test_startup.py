"""Start-up cost: the CLI module and ``--help`` load only typer and what help needs.

Timing is measured by the benchmark (bench/); these tests guard the cause of a slow
start, heavy imports, in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import V2, copy_corpus, init_repo

HEAVY = ("pydantic", "pydantic_core", "yaml", "git", "gitdb", "rich", "platformdirs", "filelock")
# Modules of this package that --help must not need (they pull in the heavy ones).
CORE = (
    "yoi_ticket.store.reader",
    "yoi_ticket.store.models",
    "yoi_ticket.store.item",
    "yoi_ticket.store.thread",
    "yoi_ticket.store.listing",
    "yoi_ticket.overlay.folder",
    "yoi_ticket.doctor.registry",
    "yoi_ticket.doctor.render",
)


def loaded_after(code: str, watched: tuple[str, ...] = HEAVY + CORE) -> list[str]:
    """Which of ``watched`` (HEAVY and CORE) are in ``sys.modules`` after running ``code``."""
    script = textwrap.dedent(
        """
        import json, sys
        try:
        {code}
        except SystemExit:
            pass
        watched = {watched!r}
        sys.stderr.write("\\nLOADED=" + json.dumps([m for m in watched if m in sys.modules]))
        """
    ).format(code=textwrap.indent(textwrap.dedent(code), "    "), watched=watched)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    marker = done.stderr.rsplit("LOADED=", 1)
    assert len(marker) == 2, done.stderr
    loaded: list[str] = json.loads(marker[1])
    return loaded


def test_importing_the_cli_imports_nothing_heavy() -> None:
    assert loaded_after("import yoi_ticket.cli.app") == []


def test_the_package_and_main_module_import_nothing_heavy() -> None:
    assert loaded_after("import yoi_ticket, yoi_ticket.errors") == []


@pytest.mark.parametrize(
    "argv",
    [
        ["yoi", "ticket", "--help"],
        ["yoi", "ticket"],
        ["yoi", "--help"],
        ["yoi", "--version"],
        ["yoi", "ticket", "--version"],
    ],
)
def test_yoi_help_loads_nothing_heavy(argv: list[str]) -> None:
    code = f"""
    sys.argv = {argv!r}
    from yoi_ticket.cli.app import main
    main()
    """
    assert loaded_after(code) == []


@pytest.mark.parametrize("command", ["doctor", "show", "list", "claim", "session"])
def test_a_commands_help_loads_none_of_the_core(command: str) -> None:
    """Completion functions (rule codes, ticket ids, roles) import what they need only when
    the shell asks for candidates. (typer itself may load pydantic for a command's help.)"""
    code = f"""
    sys.argv = ["yoi", "ticket", {command!r}, "--help"]
    from yoi_ticket.cli.app import main
    main()
    """
    assert loaded_after(code, (*CORE, "yaml", "rich", "yoi_ticket.overlay.sessions")) == []


def test_yoi_ticket_help_loads_nothing_heavy() -> None:
    code = """
    sys.argv = ["yoi-ticket", "--help"]
    from yoi_ticket.cli.app import ticket_main
    ticket_main()
    """
    assert loaded_after(code) == []


def test_python_m_help_loads_nothing_heavy() -> None:
    code = """
    import runpy
    sys.argv = ["yoi_ticket", "--help"]
    runpy.run_module("yoi_ticket", run_name="__main__")
    """
    assert loaded_after(code) == []


def help_of(entry: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"from yoi_ticket.cli.app import app, main; {entry}", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "100"},
    )


@pytest.mark.parametrize(
    "args", [("ticket", "--help"), ("ticket",), ("ticket", "list", "--help"), ("ticket", "nope")]
)
def test_yoi_ticket_reads_as_through_the_outer_group(args: tuple[str, ...]) -> None:
    """``yoi ticket`` goes straight to the ticket group; usage, help and errors read the same."""
    direct = help_of("main()", *args)
    via_group = help_of("app(prog_name='yoi')", *args)
    assert (direct.returncode, direct.stdout, direct.stderr) == (
        via_group.returncode,
        via_group.stdout,
        via_group.stderr,
    )
    assert "yoi ticket" in direct.stdout + direct.stderr


def test_a_plain_doctor_run_needs_neither_gitpython_nor_the_overlay_rules(
    tmp_path: Path,
) -> None:
    """A plain run asks git through subprocess; --no-local leaves out the local rules."""
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    code = f"""
    sys.argv = ["yoi", "ticket", "doctor", "--no-local", "-C", {str(workspace)!r}]
    from yoi_ticket.cli.app import main
    main()
    """
    watched = ("git", "gitdb", "yoi_ticket.doctor.rules.local", "yoi_ticket.doctor.runner")
    assert loaded_after(code, watched) == ["yoi_ticket.doctor.runner"]
