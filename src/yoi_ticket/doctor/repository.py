"""The git repository of a doctor run: opened once, on first use, and checked up front.

The git rules skip silently when the workspace is not in a git repository (or git cannot
be run at all: the workspace then counts as outside git); the options
that need git (``--against``, ``--merge-commit``, ``--merges``) are checked up front by
:meth:`RunRepository.check_options` and fail with exit 2 instead.
"""

from __future__ import annotations

from pathlib import Path

from yoi_ticket.git import (
    MERGE_TREE_VERSION,
    GitError,
    GitRepo,
    IndexEntry,
    no_repo_error,
    open_repo,
)
from yoi_ticket.merge.history import merges_in


class RunRepository:
    """The workspace's git repository, opened once per run (``None`` outside git)."""

    def __init__(
        self,
        workspace: Path,
        *,
        against: str | None = None,
        merge_commit: str | None = None,
        merges: str | None = None,
        repo: GitRepo | None = None,
        unmerged: list[IndexEntry] | None = None,
    ) -> None:
        """``repo``: already open (``--staged``); ``unmerged``: the unmerged entries under
        the store, already listed (under ``--staged`` they are among the staged paths)."""
        self.workspace = workspace
        self.against = against
        self.merge_commit = merge_commit
        self.merges = merges
        self._repo = repo
        self._opened = repo is not None
        self._unmerged = unmerged

    @property
    def is_open(self) -> bool:
        """Whether a git process may be running for this run (a fork must not share it)."""
        return self._repo is not None

    def repo(self) -> GitRepo | None:
        if not self._opened:
            self._opened = True
            self._repo = open_repo(self.workspace)
        return self._repo

    def unmerged(self, pathspec: str) -> list[IndexEntry]:
        """Unmerged index entries under ``pathspec`` (the store), listed once."""
        if self._unmerged is None:
            repo = self.repo()
            self._unmerged = repo.unmerged(pathspec) if repo is not None else []
        return self._unmerged

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()

    def check_options(self) -> None:
        """Fail early (exit 2) when ``--against``, ``--merge-commit`` or ``--merges`` cannot
        be honoured."""
        options = (
            ("--against", self.against),
            ("--merge-commit", self.merge_commit),
            ("--merges", self.merges),
        )
        for option, value in options:
            if value is None:
                continue
            repo = self.repo()
            if repo is None:
                raise no_repo_error(self.workspace, option, f"run doctor without {option}")
            if option == "--merges":
                merges_in(repo, value, option)  # a range git cannot list is a usage error
                continue
            if repo.rev(value) is None:
                raise GitError(f"{option} {value}: not a commit in this repository")
            if option == "--against":
                _check_merge_tree(repo)
                if repo.rev("HEAD") is None:
                    raise GitError(
                        "--against needs a HEAD commit to merge into (nothing committed)"
                    )
            elif len(repo.parents(value)) < 2:
                raise GitError(f"--merge-commit {value}: not a merge commit (it has one parent)")


def _check_merge_tree(repo: GitRepo) -> None:
    version = repo.version()
    if version[:2] < MERGE_TREE_VERSION:
        found = ".".join(str(part) for part in version)
        needed = ".".join(str(part) for part in MERGE_TREE_VERSION)
        raise GitError(
            f"--against needs git {needed} or newer (for 'git merge-tree --write-tree'); "
            f"this git is {found}",
            hint="upgrade git, or merge in a scratch worktree: git worktree add --detach",
        )
