"""Installing and uninstalling the ticket merge driver (``.gitattributes`` and git
config), and doctor's YT601 check of that setup: real repositories, real git."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import V2, copy_corpus, git, init_repo
from harness.merge import (
    ATTRIBUTE_LINES,
    V1_TICKET,
    V2_TICKET,
    append,
    branches,
    commit_all,
    driver_repo,
    event,
    merge,
    unmerged,
)
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.merge.install import driver_command, install, uninstall


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return driver_repo(V2, tmp_path / "ws")


def test_uninstall_restores_a_plain_merge(repo: Path) -> None:
    uninstall(repo)
    assert not (repo / ".gitattributes").exists()
    assert git(repo, "config", "--get-regexp", "^merge\\.", check=False).stdout == ""
    commit_all(repo, "no merge driver")

    def ours(repo: Path) -> None:
        append(repo / V2_TICKET / "thread.md", event("2026-06-26T10:00:00Z", "ours"))

    def theirs(repo: Path) -> None:
        append(repo / V2_TICKET / "thread.md", event("2026-06-26T11:00:00Z", "theirs"))

    branches(repo, ours, theirs)
    done = merge(repo)
    assert done.returncode != 0
    assert unmerged(repo) == [f"{V2_TICKET}/thread.md"]
    text = (repo / V2_TICKET / "thread.md").read_text(encoding="utf-8")
    assert "<<<<<<< HEAD\n" in text  # git's own labels: the driver did not run


def test_install_is_idempotent_and_uninstall_restores_the_file(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    original = "*.png binary\n# keep me\n"
    (workspace / ".gitattributes").write_text(original, encoding="utf-8")
    first = install(workspace, python=sys.executable)
    text = (workspace / ".gitattributes").read_text(encoding="utf-8")
    assert text == original + "\n".join(ATTRIBUTE_LINES) + "\n"
    assert len(first.changes) == 3
    second = install(workspace, python=sys.executable)
    assert second.changes == ()
    assert (workspace / ".gitattributes").read_text(encoding="utf-8") == text
    config = git(workspace, "config", "--local", "--get-regexp", "^merge\\.").stdout
    assert config.splitlines() == [
        "merge.yoi-ticket.name yoi-ticket: union of thread events, field-by-field item merge",
        f"merge.yoi-ticket.driver {driver_command(sys.executable)}",
    ]
    assert driver_command(sys.executable) == (
        f"{sys.executable} -m yoi_ticket merge-driver run --marker-size %L %O %A %B %P"
    )
    uninstall(workspace)
    assert (workspace / ".gitattributes").read_text(encoding="utf-8") == original
    assert (
        git(workspace, "config", "--local", "--get-regexp", "^merge\\.", check=False).stdout == ""
    )
    assert "yoi-ticket" not in (workspace / ".git/config").read_text(encoding="utf-8")
    assert uninstall(workspace).changes == ()


def test_install_for_a_configured_store_root(tmp_path: Path) -> None:
    workspace = init_repo(tmp_path / "ws", commit=False)
    (workspace / ".yoi").mkdir()
    (workspace / ".yoi/ticket.config.toml").write_text(
        '[backend]\nroot = "work items"\n', encoding="utf-8"
    )
    install(workspace, python=sys.executable)
    lines = (workspace / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == [
        '"work items/**/thread.md" merge=yoi-ticket',
        '"work items/**/item.md" merge=yoi-ticket',
    ]
    checked = git(workspace, "check-attr", "merge", "--", "work items/A/thread.md").stdout
    assert checked.strip() == "work items/A/thread.md: merge: yoi-ticket"
    uninstall(workspace)
    assert not (workspace / ".gitattributes").exists()


def test_attributes_cover_both_layouts(repo: Path) -> None:
    paths = [f"{V2_TICKET}/thread.md", f"{V1_TICKET}/item.md", f"{V2_TICKET}/resolution.md"]
    lines = git(repo, "check-attr", "merge", "--", *paths).stdout.splitlines()
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "yoi-ticket",
        "yoi-ticket",
        "unspecified",
    ]


def test_cli_install_and_uninstall(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    command = [sys.executable, "-m", "yoi_ticket", "-C", str(workspace), "merge-driver"]
    done = subprocess.run([*command, "install"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"driver: {driver_command(sys.executable)}" in done.stdout
    again = subprocess.run([*command, "install"], capture_output=True, text=True, check=False)
    assert "already installed" in again.stdout
    done = subprocess.run([*command, "uninstall"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "git config --unset merge.yoi-ticket.driver" in done.stdout
    outside = subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "-C", str(tmp_path), "merge-driver", "install"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert outside.returncode == 2
    assert outside.stderr.startswith("error: ")


def test_install_refuses_a_gitattributes_fifo_without_hanging(tmp_path: Path) -> None:
    """A FIFO named .gitattributes is refused with a one-line error (exit 2), not read."""
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    os.mkfifo(workspace / ".gitattributes")
    done = subprocess.run(
        [sys.executable, "-m", "yoi_ticket", "-C", str(workspace), "merge-driver", "install"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot edit ")
    assert "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_driver_command_quotes_an_interpreter_path_with_spaces() -> None:
    assert driver_command("/opt/my tools/bin/python") == (
        "'/opt/my tools/bin/python' -m yoi_ticket merge-driver run --marker-size %L %O %A %B %P"
    )


# ---------------------------------------------------------------- doctor YT601


def yt601(workspace: Path, *, no_local: bool = False) -> list[tuple[str, int | None, str]]:
    report = run_doctor(workspace, DoctorOptions(select=("YT601",), no_local=no_local))
    return [(d.path, d.line, d.message) for d in report.diagnostics]


def test_yt601_attributes_without_config(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    assert yt601(workspace) == []
    (workspace / ".gitattributes").write_text(
        "*.png binary\n" + "\n".join(ATTRIBUTE_LINES[1:]) + "\n", encoding="utf-8"
    )
    assert yt601(workspace) == [
        (
            ".gitattributes",
            2,
            ".gitattributes names the yoi-ticket merge driver but git config lacks "
            "merge.yoi-ticket.driver",
        )
    ]
    assert yt601(workspace, no_local=True) == []
    install(workspace, python=sys.executable)
    assert yt601(workspace) == []


def test_yt601_driver_interpreter_gone(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    venv_python = tmp_path / "old-venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("#!/bin/sh\n", encoding="utf-8")
    venv_python.chmod(0o755)
    install(workspace, python=os.fspath(venv_python))
    assert yt601(workspace) == []
    shutil.rmtree(tmp_path / "old-venv")
    assert yt601(workspace) == [
        (".gitattributes", 2, f"merge.yoi-ticket.driver runs {venv_python}, which does not exist")
    ]


def test_yt601_nested_attributes_file(tmp_path: Path) -> None:
    workspace = init_repo(copy_corpus(V2, tmp_path / "ws"))
    (workspace / ".yoi/.gitattributes").write_text(
        "tickets/**/thread.md merge=yoi-ticket\n", encoding="utf-8"
    )
    assert [(path, line) for path, line, _ in yt601(workspace)] == [(".yoi/.gitattributes", 1)]
