"""The ``yoi-ticket-doctor`` hook of ``.pre-commit-hooks.yaml``, run by the real pre-commit.

pre-commit clones this repository at its current commit, builds a virtualenv and
pip-installs the package into it, so the integration test needs a reachable
package registry (``-m "not network"`` deselects it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, V2, copy_corpus, git, git_env, init_repo

STORE = ".yoi/tickets"
TICKET = "00001KSKBPDVG"
HOOK_ID = "yoi-ticket-doctor"
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


def test_hook_manifest() -> None:
    from pre_commit.clientlib import load_manifest

    [hook] = load_manifest(str(REPO_ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == HOOK_ID
    assert hook["entry"] == "yoi ticket doctor --staged"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["files"] == r"^(.*/)?\.yoi/"


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


@pytest.fixture
def repo(tmp_path: Path, pre_commit_home: Path) -> Iterator[Path]:
    """A ticket repository whose .pre-commit-config.yaml uses this repository's hook,
    with the hook installed as git's pre-commit hook."""
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    config = {
        "repos": [{"repo": str(REPO_ROOT), "rev": committed_revision(), "hooks": [{"id": HOOK_ID}]}]
    }
    (workspace / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(workspace, "add", ".pre-commit-config.yaml")
    git(workspace, "commit", "-q", "-m", "use the hook")
    run_pre_commit(workspace, pre_commit_home, "install")
    yield workspace


def hook_env(pre_commit_home: Path) -> dict[str, str]:
    return {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "PRE_COMMIT_COLOR": "never"}


def run_pre_commit(workspace: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(PRE_COMMIT), *args],
        cwd=workspace,
        env=hook_env(home),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def commit(workspace: Path, home: Path, message: str) -> tuple[int, str]:
    """``git commit`` (running the installed hook): its exit code and its whole output."""
    done = subprocess.run(
        ["git", "commit", "-m", message],
        cwd=workspace,
        env=git_env(hook_env(home)),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def append(workspace: Path, header: str) -> None:
    thread = workspace / STORE / TICKET / "thread.md"
    with open(thread, "a", encoding="utf-8") as handle:
        handle.write(f"\n{header}\n\nA note.\n\n---\n")
    item = workspace / STORE / TICKET / "item.md"
    text = item.read_text(encoding="utf-8")
    old = 'updated_at: "2026-05-27T00:00:06Z"'
    assert text.count(old) == 1
    item.write_text(text.replace(old, 'updated_at: "2026-06-08T09:00:00Z"'), encoding="utf-8")


@pytest.mark.network
def test_pre_commit_refuses_a_broken_ticket_and_accepts_a_clean_one(
    repo: Path, pre_commit_home: Path
) -> None:
    append(repo, "<!-- event: comment at: 2026-06-08T09:00:00Z -->")  # no author: YT217
    git(repo, "add", "-A")
    code, output = commit(repo, pre_commit_home, "broken ticket")
    assert code == 1, output
    assert "yoi ticket doctor (staged tickets)" in output
    assert "Failed" in output
    assert f"{STORE}/{TICKET}/thread.md" in output
    assert "YT217" in output
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "2"

    thread = repo / STORE / TICKET / "thread.md"
    text = thread.read_text(encoding="utf-8")
    broken = "<!-- event: comment at: 2026-06-08T09:00:00Z -->"
    fixed = "<!-- event: comment author: alice at: 2026-06-08T09:00:00Z -->"
    assert text.count(broken) == 1
    thread.write_text(text.replace(broken, fixed), encoding="utf-8")
    git(repo, "add", "-A")
    code, output = commit(repo, pre_commit_home, "clean ticket")
    assert code == 0, output
    assert "yoi ticket doctor (staged tickets)" in output
    assert "Passed" in output
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "3"


@pytest.mark.network
def test_pre_commit_skips_the_hook_when_no_ticket_is_staged(
    repo: Path, pre_commit_home: Path
) -> None:
    (repo / "README.txt").write_text("not a ticket\n")
    git(repo, "add", "README.txt")
    code, output = commit(repo, pre_commit_home, "docs")
    assert code == 0, output
    assert "(no files to check)Skipped" in output.replace(".", "")
