"""The conventions of the command line: ``--version``, help that lists choices and names no
Python type, one human format name (``text``), and shell completion (real processes)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
import typer
from typer.testing import CliRunner

from conftest import V2, copy_corpus
from yoi_ticket import __version__
from yoi_ticket.cli import doctor, sessions
from yoi_ticket.cli.app import app
from yoi_ticket.doctor.registry import RULES
from yoi_ticket.doctor.render import FORMATS
from yoi_ticket.overlay.sessions import ORIGINS
from yoi_ticket.store.config import FAIL_ON_VALUES
from yoi_ticket.store.listing import STATE_WORDS

BIN = Path(sys.executable).parent


def run_bin(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


# ---------------------------------------------------------------- --version


@pytest.mark.parametrize(
    "argv", [("yoi", "--version"), ("yoi", "ticket", "--version"), ("yoi-ticket", "--version")]
)
def test_version(argv: tuple[str, ...]) -> None:
    done = run_bin(*argv)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"yoi-ticket {__version__}\n", "")


# ---------------------------------------------------------------- help


def command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under ``command`` as its argv words."""
    paths = [prefix]
    for name, sub in getattr(command, "commands", {}).items():
        paths.extend(command_paths(sub, (*prefix, name)))
    return paths


COMMANDS = command_paths(typer.main.get_command(app))
PYTHON_TYPE = re.compile(r"<(str|int|path|float|bool|list\[[^>]*\]|[a-z]+ range)>|\[\[|\]\.\.\.\]")


@pytest.mark.parametrize("words", COMMANDS, ids=lambda words: " ".join(words) or "yoi")
def test_help_names_no_python_type(words: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert PYTHON_TYPE.search(result.stdout) is None, result.stdout


def test_the_commands_are_all_there() -> None:
    assert {" ".join(words) for words in COMMANDS} >= {
        "ticket list",
        "ticket show",
        "ticket doctor",
        "ticket claim",
        "ticket session record",
        "ticket merge-driver run",
    }


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        (("ticket", "doctor"), "--format [text|concise|json|github|sarif]"),
        (("ticket", "doctor"), "--fail-on [error|warning|never]"),
        (("ticket", "doctor"), "[OPTIONS] [PATH]"),
        (("ticket", "list"), "--format [text|json]"),
        (("ticket", "claims"), "--format [text|json]"),
        (("ticket", "sessions"), "--format [text|json]"),
        (("ticket", "show"), "--format [text|json]"),
        (("ticket", "workspace"), "--format [text|json]"),
        (("ticket", "session", "record"), "--origin [pre_ticket_intake|ticket_claim|role_launch]"),
        (("ticket", "list"), "--limit N"),
        (("ticket", "list"), "--state STATE"),
    ],
)
def test_help_lists_the_choices(words: tuple[str, ...], shown: str) -> None:
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
    assert shown in result.stdout


def test_the_declared_choices_are_the_cores() -> None:
    assert get_args(doctor.Format) == FORMATS
    assert get_args(doctor.FailOn) == FAIL_ON_VALUES
    assert get_args(sessions.Origin) == ORIGINS


# ---------------------------------------------------------------- one human format: text


@pytest.fixture(scope="module")
def v2_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_corpus(V2, tmp_path_factory.mktemp("conventions") / "ws")


@pytest.mark.parametrize("command", ["list", "claims", "sessions"])
def test_table_is_a_deprecated_name_of_text(v2_ws: Path, command: str) -> None:
    default = CliRunner().invoke(app, ["ticket", command, "-C", str(v2_ws)])
    text = CliRunner().invoke(app, ["ticket", command, "--format", "text", "-C", str(v2_ws)])
    table = CliRunner().invoke(app, ["ticket", command, "--format", "table", "-C", str(v2_ws)])
    assert default.exit_code == text.exit_code == table.exit_code == 0
    assert default.stdout == text.stdout == table.stdout
    assert text.stderr == default.stderr == ""
    assert table.stderr == "warning: --format table is deprecated; use --format text\n"


# ---------------------------------------------------------------- completion


def complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash completion offers for the last word of ``words`` (typer's protocol)."""
    done = run_bin(
        "yoi",
        env={
            "_YOI_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1),
            **(env or {}),
        },
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.split()


def test_completion_of_rule_codes() -> None:
    assert complete("yoi ticket doctor --select YT50") == [
        rule.code for rule in RULES if rule.code.startswith("YT50")
    ]
    assert complete("yoi ticket doctor --ignore YT1") == [
        "YT1",
        *(rule.code for rule in RULES if rule.code.startswith("YT1")),
    ]
    assert complete("yoi ticket doctor --explain YT21") == [
        rule.code for rule in RULES if rule.code.startswith("YT21")
    ]
    assert complete("yoi ticket doctor --select YT1,YT50") == [
        f"YT1,{rule.code}" for rule in RULES if rule.code.startswith("YT50")
    ]


def test_completion_of_ticket_ids(v2_ws: Path) -> None:
    ids = sorted(path.name for path in (v2_ws / ".yoi" / "tickets").iterdir())
    wanted = [ticket for ticket in ids if ticket.startswith("00001KV")]
    assert len(wanted) >= 2
    assert complete(f"yoi ticket -C {v2_ws} show 00001KV") == wanted
    assert complete(f"yoi ticket claim -C {v2_ws} 00001KV") == wanted
    assert complete("yoi ticket release 00001KV", env={"YOI_WORKSPACE": str(v2_ws)}) == wanted
    assert complete(f"yoi ticket -C {v2_ws / 'nowhere'} show 0") == []  # no traceback either


def test_completion_of_choices_and_states() -> None:
    assert complete("yoi ticket doctor --format ") == list(FORMATS)
    assert complete("yoi ticket list --format ") == ["text", "json"]
    assert complete("yoi ticket list --state ") == list(STATE_WORDS)
    assert complete("yoi ticket list --state active,clo") == ["active,closed"]
    assert complete("yoi ticket session record --origin ") == list(ORIGINS)
    assert complete("yoi ticket claim --role co") == ["coder"]


# typer guesses the shell from the processes above this one unless told not to; with
# detection off, --show-completion and --install-completion take the shell as their value,
# so the test does not depend on how the suite was started.
NO_SHELL_DETECTION = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


def test_show_and_install_completion(tmp_path: Path) -> None:
    shown = run_bin("yoi", "--show-completion", "bash", env=NO_SHELL_DETECTION)
    assert shown.returncode == 0, shown.stderr
    assert "_YOI_COMPLETE=complete_bash" in shown.stdout
    home = tmp_path / "home"
    home.mkdir()
    installed = run_bin(
        "yoi", "--install-completion", "bash", env={**NO_SHELL_DETECTION, "HOME": str(home)}
    )
    assert installed.returncode == 0, installed.stderr
    script = home / ".bash_completions" / "yoi.sh"
    assert f"source '{script}'" in (home / ".bashrc").read_text(encoding="utf-8")
    assert "_YOI_COMPLETE=complete_bash" in script.read_text(encoding="utf-8")
