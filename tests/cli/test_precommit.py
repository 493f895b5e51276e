"""The ``yoi-ticket-doctor`` hook of ``.pre-commit-hooks.yaml``, run by the real pre-commit
against real git repositories: a commit blocked, a commit passed, a merge blocked, and
``pre-commit run --all-files`` finding the errors of a real store.

pre-commit clones this repository at its current commit, builds a virtualenv and
pip-installs the package into it, so these tests need a reachable package registry
(``-m "not network"`` deselects them) and take a while (they are ``slow``). The hook
environment is built once per module, in a shared ``PRE_COMMIT_HOME``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT, V2, copy_corpus, git, git_env, init_repo
from harness.corpus import CORPUS
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions

STORE = ".yoi/tickets"
TICKET = "00001KSKBPDVG"
OTHER = "00001KSRZA8GR"
HOOK_ID = "yoi-ticket-doctor"
HOOK_NAME = "yoi ticket doctor"
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
NO_AUTHOR = "<!-- event: comment at: 2026-06-08T09:00:00Z -->"
WITH_AUTHOR = "<!-- event: comment author: alice at: 2026-06-08T09:00:00Z -->"


def test_hook_manifest() -> None:
    from pre_commit.clientlib import load_manifest

    [hook] = load_manifest(str(REPO_ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == HOOK_ID
    assert hook["name"] == HOOK_NAME
    assert hook["entry"] == "yoi ticket doctor --hook"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert hook["files"] == r"^\.yoi/"
    assert hook["stages"] == ["pre-commit", "pre-merge-commit", "manual"]
    assert hook["require_serial"] is True


def committed_revision() -> str:
    """The commit of this checkout that pre-commit will clone."""
    done = git(REPO_ROOT, "rev-parse", "HEAD", check=False)
    if done.returncode != 0:
        pytest.skip("this checkout is not a git repository")
    listed = git(REPO_ROOT, "ls-tree", "--name-only", "HEAD", ".pre-commit-hooks.yaml")
    assert listed.stdout.strip() == ".pre-commit-hooks.yaml", "commit the hook manifest first"
    return done.stdout.strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook environment for the module (building it takes the registry and a minute)."""
    return tmp_path_factory.mktemp("pre-commit-home")


def use_hook(workspace: Path, home: Path, **hook: Any) -> Path:
    """Commit a .pre-commit-config.yaml using this repository's hook (with ``hook``'s extra
    keys) and install it as git's pre-commit and pre-merge-commit hooks."""
    config = {
        "repos": [
            {
                "repo": str(REPO_ROOT),
                "rev": committed_revision(),
                "hooks": [{"id": HOOK_ID, **hook}],
            }
        ]
    }
    (workspace / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(workspace, "add", ".pre-commit-config.yaml")
    git(workspace, "commit", "-q", "-m", "use the hook")
    pre_commit(workspace, home, "install", "-t", "pre-commit", "-t", "pre-merge-commit")
    return workspace


@pytest.fixture
def repo(tmp_path: Path, pre_commit_home: Path) -> Iterator[Path]:
    """The clean v2 corpus in a repository that uses the hook."""
    yield use_hook(init_repo(copy_corpus(V2, tmp_path / "ws")), pre_commit_home)


def hook_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("GIT_INDEX_FILE", None)
    return git_env(env)


def pre_commit(
    workspace: Path, home: Path, *args: str, expect: int | None = 0
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(PRE_COMMIT), *args],
        cwd=workspace,
        env=hook_env(home),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if expect is not None:
        assert done.returncode == expect, done.stdout + done.stderr
    return done


def run_git(workspace: Path, home: Path, *args: str) -> tuple[int, str]:
    """git (running the installed hooks): its exit code and its whole output."""
    done = subprocess.run(
        ["git", *args],
        cwd=workspace,
        env=hook_env(home),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def append(workspace: Path, header: str, ticket: str = TICKET) -> None:
    """Append an event and bump the item's updated_at to its time, as tools do."""
    thread = workspace / STORE / ticket / "thread.md"
    with open(thread, "a", encoding="utf-8") as handle:
        handle.write(f"\n{header}\n\nA note.\n\n---\n")
    item = workspace / STORE / ticket / "item.md"
    lines = item.read_text(encoding="utf-8").split("\n")
    [at] = [n for n, line in enumerate(lines) if line.startswith("updated_at: ")]
    lines[at] = 'updated_at: "2026-06-08T09:00:00Z"'
    item.write_text("\n".join(lines), encoding="utf-8")


def commits(workspace: Path) -> int:
    return int(git(workspace, "rev-list", "--count", "HEAD").stdout)


@pytest.mark.network
@pytest.mark.slow
def test_a_broken_ticket_blocks_the_commit_and_a_fixed_one_passes(
    repo: Path, pre_commit_home: Path
) -> None:
    append(repo, NO_AUTHOR)  # no author: YT217
    git(repo, "add", "-A")
    code, output = run_git(repo, pre_commit_home, "commit", "-m", "broken ticket")
    assert code == 1, output
    assert f"{HOOK_NAME}..." in output and "Failed" in output
    assert f"{STORE}/{TICKET}/thread.md" in output
    assert "YT217" in output
    assert commits(repo) == 2

    thread = repo / STORE / TICKET / "thread.md"
    thread.write_text(thread.read_text("utf-8").replace(NO_AUTHOR, WITH_AUTHOR), "utf-8")
    git(repo, "add", "-A")
    code, output = run_git(repo, pre_commit_home, "commit", "-m", "clean ticket")
    assert code == 0, output
    assert "Passed" in output
    assert commits(repo) == 3


@pytest.mark.network
@pytest.mark.slow
def test_the_commit_counts_what_is_staged_and_all_files_the_work_tree(
    repo: Path, pre_commit_home: Path
) -> None:
    """An unstaged defect does not block a commit of a clean change; ``run --all-files``
    (what CI runs) reads the work tree and finds it."""
    append(repo, WITH_AUTHOR)
    git(repo, "add", "-A")
    append(repo, NO_AUTHOR, ticket=OTHER)  # in the work tree only
    code, output = run_git(repo, pre_commit_home, "commit", "-m", "clean change")
    assert code == 0, output
    assert commits(repo) == 3
    assert f"{STORE}/{OTHER}/thread.md" in git(repo, "status", "--porcelain").stdout

    done = pre_commit(repo, pre_commit_home, "run", "--all-files", expect=1)
    assert f"{STORE}/{OTHER}/thread.md" in done.stdout
    assert "YT217" in done.stdout
    assert f"{STORE}/{TICKET}/" not in done.stdout


@pytest.mark.network
@pytest.mark.slow
def test_a_merge_that_brings_a_broken_ticket_is_blocked(repo: Path, pre_commit_home: Path) -> None:
    git(repo, "checkout", "-q", "-b", "topic")
    append(repo, NO_AUTHOR)
    git(repo, "commit", "-q", "-a", "--no-verify", "-m", "broken on a branch")
    git(repo, "checkout", "-q", "main")
    append(repo, WITH_AUTHOR, ticket=OTHER)
    git(repo, "commit", "-q", "-a", "--no-verify", "-m", "meanwhile on main")
    head = git(repo, "rev-parse", "HEAD").stdout
    code, output = run_git(repo, pre_commit_home, "merge", "--no-ff", "--no-edit", "topic")
    assert code != 0, output
    assert "YT217" in output and f"{STORE}/{TICKET}/thread.md" in output
    assert git(repo, "rev-parse", "HEAD").stdout == head


@pytest.mark.network
@pytest.mark.slow
def test_no_ticket_file_staged_skips_the_hook(repo: Path, pre_commit_home: Path) -> None:
    (repo / "README.txt").write_text("not a ticket\n")
    git(repo, "add", "README.txt")
    code, output = run_git(repo, pre_commit_home, "commit", "-m", "docs")
    assert code == 0, output
    assert "(no files to check)Skipped" in output.replace(".", "")


@pytest.mark.network
@pytest.mark.slow
def test_all_files_finds_the_errors_of_a_real_store(tmp_path: Path, pre_commit_home: Path) -> None:
    """The v2-sample corpus carries what real stores carry; ``run --all-files`` reports what
    ``doctor --no-local`` reports on it, and fails on its errors."""
    workspace = init_repo(copy_corpus("v2-sample", tmp_path / "sample"))
    expected = run_doctor(workspace, DoctorOptions(no_local=True))
    errors = {(d.code, d.path) for d in expected.diagnostics if d.severity.value == "error"}
    assert errors, "the sample is expected to hold errors"
    assert (CORPUS / "v2-sample").is_dir()
    use_hook(workspace, pre_commit_home, args=["--format", "json"])

    done = pre_commit(workspace, pre_commit_home, "run", "--all-files", expect=1)
    start = done.stdout.index("{")
    document, _ = json.JSONDecoder().raw_decode(done.stdout[start:])
    found = [(d["code"], d["path"], d["line"]) for d in document["diagnostics"]]
    assert found == [(d.code, d.path, d.line) for d in expected.diagnostics]
    assert {(c, p) for c, p, _ in found} >= errors
