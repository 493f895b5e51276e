"""The real-ticket corpus and real git repositories: copies of corpus workspaces with
writable modes, and git run with a fixed identity and no user or system config.

Shared by the tests (``conftest`` re-exports these names) and by ``bench/``, which loads
this package by location (``tests/`` is never put on ``sys.path``).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SRC_DIR = REPO_ROOT / "src"
# An unchanged copy of the real-ticket corpus (MIT, see its README and LICENSE.upstream).
CORPUS = REPO_ROOT / "tests" / "data" / "corpus"
V2 = "v2-flat"
V1 = "v1-nested"


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy ``src`` to ``dst`` with writable modes (the corpus is read-only)."""
    shutil.copytree(src, dst, copy_function=shutil.copyfile, symlinks=True)
    for root, dirs, files in os.walk(dst):
        for name in dirs:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o755)
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    return dst


def copy_corpus(layout: str, dst: Path) -> Path:
    """A writable copy of ``corpus/<layout>`` (a whole workspace) at ``dst``."""
    return copy_tree(CORPUS / layout, dst)


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: the environment) with a fixed git identity and no user/system config."""
    return {
        **(os.environ if base is None else base),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run real git in ``cwd`` with a fixed identity and no user/system config."""
    return subprocess.run(
        ["git", *args], cwd=cwd, env=git_env(), check=check, capture_output=True, text=True
    )


def init_repo(path: Path, *, commit: bool = True) -> Path:
    """Make ``path`` a git repository (branch main) and commit everything in it."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    if commit:
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "initial", "--allow-empty")
    return path
