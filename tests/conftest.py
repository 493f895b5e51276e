"""Shared fixtures: corpus copies, git repositories, an isolated YOI_HOME, a small
workspace with its overlay, and a live process.

No test may touch the real home directory: HOME, YOI_HOME and the XDG
directories all point into tmp_path for every test (autouse).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from yoi_ticket.overlay.folder import Overlay

REPO_ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point HOME, YOI_HOME and XDG dirs into a temporary directory for every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("YOI_HOME", str(home / "yoi"))
    for var in ("XDG_DATA_HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in ("YOI_DATA_DIR", "YOI_RUNTIME_DIR", "YOI_WORKSPACE", "YOI_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture
def yoi_home(isolated_home: Path) -> Path:
    """The temporary YOI_HOME (data dir; runtime dir is YOI_HOME/run)."""
    return isolated_home / "yoi"


@pytest.fixture
def v2_workspace(tmp_path: Path) -> Path:
    """A git repository holding a writable copy of corpus/v2-flat."""
    return init_repo(copy_corpus(V2, tmp_path / "ws"))


@pytest.fixture
def v1_workspace(tmp_path: Path) -> Path:
    """A git repository holding a writable copy of corpus/v1-nested."""
    return init_repo(copy_corpus(V1, tmp_path / "ws1"))


@pytest.fixture
def chdir_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Four corpus tickets in a git repository (smaller and faster than the whole corpus)."""
    from harness.overlay import small_workspace  # it imports this module

    return small_workspace(tmp_path)


@pytest.fixture
def overlay(workspace: Path) -> Overlay:
    """The overlay of ``workspace`` (under the temporary YOI_HOME)."""
    from yoi_ticket.overlay.folder import Overlay

    return Overlay.for_workspace(workspace)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process for a minute (a Pod's pid, a live writer), killed afterwards."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()
