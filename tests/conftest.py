"""Shared fixtures: corpus copies, git repositories, an isolated YOI_HOME, a small
workspace with its overlay, and a live process.

No test may touch the real home directory: HOME, YOI_HOME and the XDG
directories all point into tmp_path for every test (autouse).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The corpus and git helpers live in the harness package (bench/ uses them too); the
# tests import them from here.
from harness.corpus import (
    CORPUS,
    REPO_ROOT,
    V1,
    V2,
    copy_corpus,
    copy_tree,
    git,
    git_env,
    init_repo,
)

if TYPE_CHECKING:
    from yoi_ticket.overlay.folder import Overlay

__all__ = [
    "CORPUS",
    "REPO_ROOT",
    "V1",
    "V2",
    "copy_corpus",
    "copy_tree",
    "git",
    "git_env",
    "init_repo",
]


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


@pytest.fixture(params=["sha1", "sha256"])
def git_object_format(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every repository the test creates uses this object format (``GIT_DEFAULT_HASH``):
    test modules that read git objects run on both (``pytestmark = usefixtures(...)``)."""
    monkeypatch.setenv("GIT_DEFAULT_HASH", request.param)
    return str(request.param)


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
    from harness.overlay import small_workspace

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
