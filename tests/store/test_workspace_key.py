"""Canonical workspace path and key (SPEC 4), with real git repositories and worktrees."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from conftest import V2, copy_corpus, git, init_repo
from yoi_ticket.store.workspace import companion_name, identify, orchestrator_name, workspace_key

KEY_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*-[0-9a-f]{16}")


def small_workspace(path: Path) -> Path:
    (path / ".yoi" / "tickets").mkdir(parents=True)
    (path / ".yoi" / "tickets" / ".gitkeep").write_text("")
    return path


def test_one_key_for_symlink_trailing_slash_relative_path_and_linked_worktree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = init_repo(copy_corpus(V2, tmp_path / "repo"))
    link = tmp_path / "link"
    link.symlink_to(repo, target_is_directory=True)
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    monkeypatch.chdir(tmp_path)

    spellings = [repo, link, f"{repo}/", f"{link}/", "repo", "./link/", tmp_path / "wt"]
    identities = [identify(spelling) for spelling in spellings]

    assert {i.canonical_path for i in identities} == {os.path.realpath(repo)}
    assert len({i.key for i in identities}) == 1
    assert identities[-1].path == tmp_path / "wt"  # the path as found is kept
    assert identities[-1].worktree_root == Path(os.path.realpath(tmp_path / "wt"))


def test_key_is_sanitised_leaf_and_sha256_prefix_of_the_canonical_path(tmp_path: Path) -> None:
    workspace = small_workspace(tmp_path / "my repo!")
    identity = identify(workspace)
    digest = hashlib.sha256(identity.canonical_path.encode("utf-8")).hexdigest()[:16]
    assert identity.key == f"my_repo_-{digest}"
    assert KEY_RE.fullmatch(identity.key)
    assert identity.companion == "my-repo"  # named as yoi names it (UPSTREAM.md section 4)
    assert identity.orchestrator == "my-repo-orchestrator"


@pytest.mark.parametrize(
    ("canonical", "companion", "orchestrator"),
    [  # upstream's vectors (crates/tui/src/workspace_panel.rs), then edges of the same rules
        ("/home/hare/Projects/yoi", "yoi", "yoi-orchestrator"),
        ("/tmp/Yoi Workspace", "yoi-workspace", "yoi-workspace-orchestrator"),
        ("/tmp/.strange_日本語!!", "strange", "strange-orchestrator"),
        ("/tmp/___", "workspace", "workspace-orchestrator"),
        ("/tmp/" + "a" * 120, "a" * 80, "a" * 67 + "-orchestrator"),
        ("/tmp/Yoi Work", "yoi-work", "yoi-work-orchestrator"),
        ("/tmp/  a -- b  ", "a-b", "a-b-orchestrator"),
        ("/tmp/v1.2_RC", "v1.2_rc", "v1.2_rc-orchestrator"),
        ("/", "workspace", "workspace-orchestrator"),
    ],
)
def test_companion_and_orchestrator_are_named_as_yoi_names_them(
    canonical: str, companion: str, orchestrator: str
) -> None:
    assert companion_name(canonical) == companion
    assert orchestrator_name(canonical) == orchestrator
    assert len(orchestrator_name(canonical)) <= 80


def test_leaf_never_starts_with_a_dot_and_is_never_empty() -> None:
    assert workspace_key("/home/u/.dotfiles").startswith("dotfiles-")
    assert workspace_key("/").startswith("workspace-")


def test_different_repositories_never_share_a_key(tmp_path: Path) -> None:
    first = init_repo(small_workspace(tmp_path / "a" / "ws"))
    second = init_repo(small_workspace(tmp_path / "b" / "ws"))
    keys = {identify(first).key, identify(second).key}
    assert len(keys) == 2
    assert all(key.startswith("ws-") for key in keys)


def test_subdirectory_workspace_keeps_its_path_inside_every_worktree(tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    small_workspace(repo / "services" / "api")
    init_repo(repo)
    git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "feature"))

    main = identify(repo / "services" / "api")
    linked = identify(tmp_path / "feature" / "services" / "api")

    assert main.canonical_path == f"{os.path.realpath(repo)}/services/api"
    assert linked.key == main.key
    assert identify(repo / "services").key != main.key


def test_outside_git_the_resolved_path_is_canonical(tmp_path: Path) -> None:
    plain = small_workspace(tmp_path / "plain")
    link = tmp_path / "plain-link"
    link.symlink_to(plain, target_is_directory=True)
    assert identify(plain).worktree_root is None
    assert identify(link).canonical_path == os.path.realpath(plain)
    assert identify(link).key == identify(plain).key


def test_worktrees_of_a_bare_repository_use_the_bare_dir(tmp_path: Path) -> None:
    source = init_repo(small_workspace(tmp_path / "source"))
    bare = tmp_path / "store.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(bare))
    git(bare, "worktree", "add", "-q", "-b", "one", str(tmp_path / "one"))
    git(bare, "worktree", "add", "-q", "-b", "two", str(tmp_path / "two"))

    one, two = identify(tmp_path / "one"), identify(tmp_path / "two")

    assert one.canonical_path == os.path.realpath(bare)
    assert one.key == two.key
    assert one.key != identify(source).key


def test_submodules_of_one_superproject_get_their_own_keys(tmp_path: Path) -> None:
    library = init_repo(small_workspace(tmp_path / "library"))
    superproject = init_repo(tmp_path / "super")
    for name in ("left", "right"):
        git(
            superproject,
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            str(library),
            name,
        )
    left, right = identify(superproject / "left"), identify(superproject / "right")
    assert left.canonical_path == os.path.realpath(superproject / "left")
    assert left.key != right.key


def test_git_location_variables_do_not_change_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = init_repo(small_workspace(tmp_path / "repo"))
    other = init_repo(small_workspace(tmp_path / "other"))
    expected = identify(repo).key
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert identify(repo).key == expected
