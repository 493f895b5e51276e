"""yoi_ticket.git.run_git, the one way a plain git command starts: real git, real repos."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import git, init_repo
from yoi_ticket.errors import UsageError
from yoi_ticket.git import GitError, GitResult, GitUnavailableError, open_repo, run_git
from yoi_ticket.merge.install import install
from yoi_ticket.merge.lines import LineMergeError, merge_texts

EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git hash-object of no bytes


def no_git_path(tmp_path: Path) -> str:
    """A PATH under which no git can be found."""
    folder = tmp_path / "no-git"
    folder.mkdir()
    return str(folder)


def test_a_failing_git_command_is_a_result_with_its_exit_status(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    done = run_git(repo, "rev-parse", "--verify", "-q", "no-such-branch")
    assert done is not None
    assert done.returncode == 1
    assert done.stdout == b""


def test_stdin_is_passed_to_git_and_empty_when_not_given(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / "note").write_bytes(b"hello\n")
    expected = git(repo, "hash-object", "note").stdout.strip()
    given = run_git(repo, "hash-object", "--stdin", stdin=b"hello\n")
    assert given is not None and given.stdout_text.strip() == expected
    # Without input git reads an empty stdin (it never waits on the caller's terminal).
    empty = run_git(repo, "hash-object", "--stdin", timeout=30)
    assert empty is not None and empty.stdout_text.strip() == EMPTY_BLOB


def test_env_replaces_the_environment_of_the_command(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    env = {**os.environ, "GIT_CONFIG_COUNT": "1"}
    env.update({"GIT_CONFIG_KEY_0": "yoi.probe", "GIT_CONFIG_VALUE_0": "seen"})
    done = run_git(repo, "config", "--get", "yoi.probe", env=env)
    assert done is not None and done.stdout_text == "seen\n"
    plain = run_git(repo, "config", "--get", "yoi.probe")
    assert plain is not None and plain.returncode == 1


def test_output_that_is_not_utf8_survives_as_text() -> None:
    result = GitResult(0, b"caf\xe9\n", b"bad \xff")
    assert result.stdout_text == "caf\udce9\n"
    assert result.stdout_text.encode("utf-8", "surrogateescape") == result.stdout
    assert result.stderr_text == "bad \ufffd"


def test_git_that_cannot_run_is_none_or_a_usage_error_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", no_git_path(tmp_path))
    assert run_git(tmp_path, "version") is None
    with pytest.raises(GitUnavailableError) as raised:
        run_git(tmp_path, "version", required=True)
    assert isinstance(raised.value, UsageError)
    assert raised.value.message == "cannot run git: No such file or directory"
    assert raised.value.reason == "No such file or directory"


def test_callers_without_git_keep_their_own_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / ".yoi" / "tickets").mkdir(parents=True)
    monkeypatch.setenv("PATH", no_git_path(tmp_path))
    assert open_repo(repo) is None
    with pytest.raises(LineMergeError, match=r"^cannot run git merge-file: No such file"):
        merge_texts("base\n", "ours\n", "theirs\n")
    with pytest.raises(UsageError, match=r"^cannot run git: No such file or directory$"):
        install(repo)


# ---------------------------------------------------------------- GitRepo's objects


@pytest.mark.usefixtures("git_object_format")
def test_objects_are_read_in_either_object_format(tmp_path: Path, git_object_format: str) -> None:
    repo = init_repo(tmp_path / "repo", commit=False)
    (repo / "note").write_bytes(b"hello\n\x00 and bytes\n")
    git(repo, "add", "note")
    git(repo, "commit", "-q", "-m", "note")
    sha = git(repo, "rev-parse", "HEAD:note").stdout.strip()
    assert len(sha) == {"sha1": 40, "sha256": 64}[git_object_format]
    opened = open_repo(repo)
    assert opened is not None
    try:
        assert opened.blob(sha) == b"hello\n\x00 and bytes\n"
        assert opened.tree_blobs("HEAD", ["note", "absent"]) == {"note": sha}
        missing = "0" * len(sha)
        with pytest.raises(
            GitError, match=f"^git object {missing} is missing from the repository$"
        ):
            opened.blob(missing)
        assert opened.blob(sha) == b"hello\n\x00 and bytes\n"  # the reader goes on
        assert opened.blob_at("HEAD", "note") == b"hello\n\x00 and bytes\n"
        assert opened.blob_at("HEAD", "absent") is None
        (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()  # damage the repository
        with pytest.raises(GitError, match=r"^git object HEAD:note is missing$"):
            opened.blob_at("HEAD", "note")
    finally:
        opened.close()


@pytest.mark.usefixtures("git_object_format")
def test_an_answer_other_than_missing_is_an_error_and_the_reader_recovers(
    tmp_path: Path,
) -> None:
    """An ambiguous short name is not a missing object: git said something else."""
    repo = init_repo(tmp_path / "repo")
    blobs = tmp_path / "blobs"
    blobs.mkdir()
    names = []
    for number in range(2000):
        (blobs / str(number)).write_text(f"blob {number}\n")
        names.append(str(blobs / str(number)))
    done = run_git(repo, "hash-object", "-w", "--stdin-paths", stdin="\n".join(names).encode())
    assert done is not None and done.returncode == 0
    shas = done.stdout_text.split()
    seen: dict[str, str] = {}
    prefix = next(sha[:4] for sha in shas if seen.setdefault(sha[:4], sha) != sha)
    opened = open_repo(repo)
    assert opened is not None
    try:
        said = f"error: short object ID {prefix} is ambiguous"
        expected = rf"^cannot read the git object '{prefix}': {said}$"
        with pytest.raises(GitError, match=expected):
            opened.blob(prefix)
        with pytest.raises(
            GitError, match=r"^cannot read the git object .HEAD\\n:x.: not a name cat-file takes$"
        ):
            opened.blob("HEAD\n:x")
        assert opened.blob(shas[7]) == b"blob 7\n"
    finally:
        opened.close()
