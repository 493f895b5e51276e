"""With no git on PATH the workspace counts as outside git: a plain ``doctor`` reports
what it reports for a copy of the workspace that is no repository, and every option
that needs git is a one-line usage error (exit 2) saying git cannot be run.

Real processes with a PATH that holds no git (the interpreter is run by its full path).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git
from harness.overlay import small_workspace

ATTRIBUTES = ".yoi/tickets/**/thread.md merge=yoi-ticket\n"


def yoi(workspace: Path, *args: str, path: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "-C", str(workspace), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.fixture
def no_git(tmp_path: Path) -> str:
    """A PATH with a folder of its own (holding a shell, but no git)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    shell = shutil.which("sh")
    assert shell is not None
    (folder / "sh").symlink_to(shell)
    assert shutil.which("git", path=str(folder)) is None
    return str(folder)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed workspace whose .gitattributes names the merge driver (not configured)."""
    workspace = small_workspace(tmp_path)
    (workspace / ".gitattributes").write_text(ATTRIBUTES)
    git(workspace, "add", ".gitattributes")
    git(workspace, "commit", "-q", "-m", "attributes")
    return workspace


def diagnostics(done: subprocess.CompletedProcess[str]) -> list[tuple[str, str, int | None]]:
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr == ""
    return [(d["code"], d["path"], d["line"]) for d in json.loads(done.stdout)["diagnostics"]]


def test_a_plain_doctor_without_git_reports_what_it_reports_outside_git(
    tmp_path: Path, repo: Path, no_git: str
) -> None:
    with_git = diagnostics(yoi(repo, "doctor", "--format", "json", path=os.environ["PATH"]))
    assert ("YT601", ".gitattributes", 1) in with_git  # git sees the unconfigured driver
    without = diagnostics(yoi(repo, "doctor", "--format", "json", path=no_git))
    outside = shutil.copytree(
        repo, tmp_path / "outside" / "ws", ignore=shutil.ignore_patterns(".git")
    )
    env_outside = yoi(outside, "doctor", "--format", "json", path=os.environ["PATH"])
    assert without == diagnostics(env_outside)
    assert "YT601" not in {code for code, _, _ in without}


def test_doctor_outside_any_repository_without_git_runs(tmp_path: Path, no_git: str) -> None:
    workspace = tmp_path / "plain"
    shutil.copytree(small_workspace(tmp_path), workspace, ignore=shutil.ignore_patterns(".git"))
    for extra in ([], ["--no-local"], ["--fix", "--dry-run"]):
        done = yoi(workspace, "doctor", *extra, path=no_git)
        assert done.returncode in (0, 1), done.stderr
        assert "git" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [("--staged",), ("--against", "HEAD"), ("--merge-commit", "HEAD"), ("--merges", "HEAD")],
    ids=["staged", "against", "merge-commit", "merges"],
)
def test_options_that_need_git_are_a_one_line_error_without_it(
    repo: Path, no_git: str, args: tuple[str, ...]
) -> None:
    done = yoi(repo, "doctor", *args, path=no_git)
    assert done.returncode == 2
    assert done.stdout == ""
    error, hint = done.stderr.splitlines()
    assert error == f"error: {args[0]} needs git, which cannot be run: No such file or directory"
    assert hint == f"hint: install git (or put it on PATH), or run without {args[0]}"


def test_merge_driver_install_without_git_is_a_one_line_error(repo: Path, no_git: str) -> None:
    done = yoi(repo, "merge-driver", "install", path=no_git)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[0] == "error: cannot run git: No such file or directory"
    assert (repo / ".gitattributes").read_text() == ATTRIBUTES  # nothing written


def test_claims_and_list_work_without_git(repo: Path, no_git: str) -> None:
    claimed = yoi(
        repo, "claim", "00001KSKBPDVG", "--pod", "coder-1", "--role", "coder", path=no_git
    )
    assert claimed.returncode == 0, claimed.stderr
    listed = yoi(repo, "list", "--format", "json", path=no_git)
    assert listed.returncode == 0, listed.stderr
    claims = [t["claim"] for t in json.loads(listed.stdout)["tickets"] if t["claim"]]
    assert [(c["pod_name"], c["role"]) for c in claims] == [("coder-1", "coder")]
