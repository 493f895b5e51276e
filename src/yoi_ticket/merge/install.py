"""Installing the ticket merge driver: ``.gitattributes`` lines and the repository's git config.

``install`` adds, once, to the ``.gitattributes`` at the top of the repository::

    # yoi-ticket merge driver for ticket files (yoi ticket merge-driver install)
    .yoi/tickets/**/thread.md merge=yoi-ticket
    .yoi/tickets/**/item.md merge=yoi-ticket

and sets ``merge.yoi-ticket.name`` and ``merge.yoi-ticket.driver`` in the
repository's own config (``.git/config``). The driver command names the
absolute path of the Python interpreter running the install, so git finds
the driver whatever virtual environment (if any) is active when it merges;
after moving or recreating that environment, run ``install`` again.

``uninstall`` removes exactly those lines and keys, which restores git's
plain line merge.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from yoi_ticket.errors import UsageError
from yoi_ticket.files.fsutil import read_regular, write_text_atomic
from yoi_ticket.git import GitResult, run_git
from yoi_ticket.store.config import load_config

if TYPE_CHECKING:
    from filelock import FileLock

DRIVER = "yoi-ticket"
ATTRIBUTE = f"merge={DRIVER}"
SECTION = f"merge.{DRIVER}"
NAME_KEY = f"{SECTION}.name"
DRIVER_KEY = f"{SECTION}.driver"
DRIVER_TITLE = "yoi-ticket: union of thread events, field-by-field item merge"
COMMENT = "# yoi-ticket merge driver for ticket files (yoi ticket merge-driver install)"
TICKET_FILES = ("thread.md", "item.md")
ATTRIBUTES = ".gitattributes"


@dataclass(frozen=True)
class DriverSetup:
    """What ``install`` or ``uninstall`` did (``changes`` is empty when nothing was needed)."""

    attributes: Path
    driver_command: str | None
    changes: tuple[str, ...]


def driver_command(python: str | None = None) -> str:
    """The command git runs: this interpreter, by absolute path, running the driver module."""
    interpreter = python or sys.executable
    if not interpreter:
        raise UsageError(
            "cannot tell which Python interpreter runs yoi-ticket",
            hint="run the install with a regular Python: python -m yoi_ticket merge-driver install",
        )
    interpreter = os.path.abspath(interpreter)
    return f"{shlex.quote(interpreter)} -m yoi_ticket merge-driver run --marker-size %L %O %A %B %P"


def git(cwd: Path, *args: str) -> GitResult:
    """Run git in ``cwd``; a missing git is a :class:`~yoi_ticket.git.GitUnavailableError`
    (a usage error)."""
    return run_git(cwd, *args, required=True)


def repository(workspace: Path) -> tuple[Path, Path] | None:
    """The work tree top and the git dir of the repository holding ``workspace``."""
    done = git(workspace, "rev-parse", "--show-toplevel", "--absolute-git-dir")
    lines = done.stdout_text.splitlines()
    if done.returncode != 0 or len(lines) != 2:
        return None
    return Path(lines[0]), Path(lines[1])


def configured_driver(workspace: Path) -> str | None:
    """``merge.yoi-ticket.driver`` as git sees it (any config scope), or ``None``."""
    done = git(workspace, "config", "--get", DRIVER_KEY)
    value = done.stdout_text.strip()
    return value if done.returncode == 0 and value else None


def store_pattern(workspace: Path, top: Path) -> str:
    """The store root as a ``.gitattributes`` path prefix, relative to the work tree top."""
    store = Path(os.path.realpath(workspace / load_config(workspace).store_root))
    try:
        relative = store.relative_to(os.path.realpath(top)).as_posix()
    except ValueError:
        raise UsageError(f"the ticket store {store} is outside the git work tree {top}") from None
    if any(char in relative for char in "*?[]"):
        raise UsageError(
            f"the store root {relative!r} contains glob characters",
            hint="add the .gitattributes lines by hand (see docs/merge-driver.md)",
        )
    return "" if relative == "." else relative


def attribute_lines(prefix: str) -> list[str]:
    """The ``.gitattributes`` lines for a store at ``prefix`` (quoted when it has spaces)."""
    lines = []
    for name in TICKET_FILES:
        pattern = f"{prefix}/**/{name}" if prefix else f"**/{name}"
        if any(char in pattern for char in ' \t"\\'):
            pattern = '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f"{pattern} {ATTRIBUTE}")
    return lines


def names_driver(line: str) -> bool:
    """True when a ``.gitattributes`` line sets ``merge=yoi-ticket``."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return False
    return ATTRIBUTE in stripped.split()[1:]


MAX_ATTRIBUTES_BYTES = 1024 * 1024


def _read_attributes(path: Path) -> str:
    """The text of ``.gitattributes`` ("" when absent); a FIFO, a device or a file too
    large to be one is refused, never read forever."""
    try:
        data = read_regular(path, MAX_ATTRIBUTES_BYTES)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise UsageError(f"cannot edit {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_ATTRIBUTES_BYTES:
        raise UsageError(f"cannot edit {path}: larger than {MAX_ATTRIBUTES_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot edit {path}: {exc}") from None


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _locked(git_dir: Path) -> FileLock:
    from filelock import FileLock

    folder = git_dir / "yoi-ticket"
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(os.fspath(folder / "install.lock"), timeout=30)


def _require_repository(workspace: Path) -> tuple[Path, Path]:
    found = repository(workspace)
    if found is None:
        raise UsageError(
            f"{workspace}: not inside a git repository",
            hint="the merge driver is git configuration; run 'git init' first",
        )
    return found


def install(workspace: Path, *, python: str | None = None) -> DriverSetup:
    """Add the ``.gitattributes`` lines and the git config (each only if missing)."""
    top, git_dir = _require_repository(workspace)
    wanted = attribute_lines(store_pattern(workspace, top))
    command = driver_command(python)
    path = top / ATTRIBUTES
    changes = []
    with _locked(git_dir):
        text = _read_attributes(path)
        present = {line.strip() for line in text.splitlines()}
        missing = [line for line in wanted if line not in present]
        if missing:
            newline = _newline(text)
            added = ([] if COMMENT in present else [COMMENT]) + missing
            separator = "" if not text or text.endswith("\n") else newline
            write_text_atomic(path, text + separator + newline.join(added) + newline)
            changes.append(f"{ATTRIBUTES}: added {', '.join(repr(line) for line in added)}")
        for key, value in ((NAME_KEY, DRIVER_TITLE), (DRIVER_KEY, command)):
            if _local_value(top, key) != value:
                _set_config(top, key, value)
                changes.append(f"git config {key} {shlex.quote(value)}")
    return DriverSetup(path, command, tuple(changes))


def uninstall(workspace: Path) -> DriverSetup:
    """Remove what :func:`install` added; git then merges ticket files line by line again."""
    top, git_dir = _require_repository(workspace)
    path = top / ATTRIBUTES
    changes = []
    with _locked(git_dir):
        text = _read_attributes(path)
        lines = text.splitlines(keepends=True)
        kept = [line for line in lines if not _installed_line(line)]
        if len(kept) != len(lines):
            remaining = "".join(kept)
            if remaining.strip():
                write_text_atomic(path, remaining)
                changes.append(f"{ATTRIBUTES}: removed {len(lines) - len(kept)} lines")
            else:
                path.unlink()
                changes.append(f"{ATTRIBUTES}: removed (it held only the merge driver lines)")
        for key in (DRIVER_KEY, NAME_KEY):
            if _local_value(top, key) is not None:
                _run_config(top, "--unset-all", key)
                changes.append(f"git config --unset {key}")
        if git(top, "config", "--local", "--get-regexp", rf"^{re.escape(SECTION)}\.").returncode:
            git(top, "config", "--local", "--remove-section", SECTION)
    return DriverSetup(path, None, tuple(changes))


def _installed_line(line: str) -> bool:
    """A line :func:`install` writes (for any store root)."""
    stripped = line.strip()
    if stripped == COMMENT:
        return True
    pattern, _, attribute = stripped.rpartition(" ")
    if attribute != ATTRIBUTE:
        return False
    pattern = pattern.strip().strip('"')
    return any(pattern == f"**/{n}" or pattern.endswith(f"/**/{n}") for n in TICKET_FILES)


def _local_value(top: Path, key: str) -> str | None:
    done = git(top, "config", "--local", "--get", key)
    return done.stdout_text.rstrip("\n") if done.returncode == 0 else None


def _set_config(top: Path, key: str, value: str) -> None:
    _run_config(top, "--replace-all", key, value)


def _run_config(top: Path, *args: str) -> None:
    done = git(top, "config", "--local", *args)
    if done.returncode != 0:
        message = done.stderr_text.strip().splitlines()
        raise UsageError(
            f"git config {args[-1]} failed: {message[0] if message else done.returncode}"
        )


def interpreter_missing(command: str) -> str | None:
    """The program a driver command runs, when it cannot be found; ``None`` when it can."""
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return None
    if os.path.isabs(program):
        return None if os.access(program, os.X_OK) else program
    return None if shutil.which(program) else program


def attribute_files(top: Path, git_dir: Path, store: Path) -> list[Path]:
    """Attribute files that can apply to ticket files: ``.gitattributes`` from the work tree
    top down to the store root, and ``.git/info/attributes``."""
    files = [top / ATTRIBUTES]
    try:
        parts = Path(os.path.realpath(store)).relative_to(os.path.realpath(top)).parts
    except ValueError:
        parts = ()
    folder = top
    for part in parts:
        folder = folder / part
        files.append(folder / ATTRIBUTES)
    files.append(git_dir / "info" / "attributes")
    return files
