"""The one git access layer: every git command this package runs starts here.

* :func:`run_git`: one plain command through :mod:`subprocess` (callers that need a
  special environment pass it, for example the workspace identity strips ``GIT_DIR``).
* :class:`GitRepo`: the read-only repository model doctor uses (the index, unmerged
  entries, blobs, merges, merge-tree). It runs git through a :class:`GitRunner`:
  plain :func:`run_git` calls plus one long-lived ``git cat-file --batch`` for objects
  (``light``, the default of a plain doctor run and of ``--staged``), or GitPython's
  command wrapper, imported lazily, where it earns its keep (``--against`` and
  ``--merge-commit``, which merge and read many objects).

Every :class:`GitRepo` command runs in the workspace directory with NUL-separated
output; paths given and returned are workspace-relative unless a name says ``top``
(relative to the repository's top level). Nothing here writes to the work tree or the
index. The git environment (``GIT_DIR``, ``GIT_INDEX_FILE``) is honoured, so that
inside a pre-commit hook the index being committed is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, overload

from yoi_ticket.errors import UsageError

MERGE_TREE_VERSION = (2, 38)  # first git with `git merge-tree --write-tree`
# `git diff` options that list changed paths, workspace-relative, renames as delete + add
_CHANGED_NAMES = ("--name-only", "--no-renames", "--relative", "-z")


class GitError(UsageError):
    """A git command failed in a way the user has to deal with (exit 2)."""


class GitUnavailableError(GitError):
    """git could not be started at all (not installed, not executable, timed out)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot run git: {reason}")
        self.reason = reason  # e.g. "No such file or directory"


@dataclass(frozen=True, slots=True)
class GitResult:
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def stdout_text(self) -> str:
        """``stdout`` as text; bytes that are not UTF-8 (paths) survive as surrogates."""
        return _decode(self.stdout)

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")


@overload
def run_git(
    cwd: Path | None,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    required: Literal[False] = False,
) -> GitResult | None: ...


@overload
def run_git(
    cwd: Path | None,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    required: Literal[True],
) -> GitResult: ...


def run_git(
    cwd: Path | None,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    required: bool = False,
) -> GitResult | None:
    """Run one plain git command through :mod:`subprocess`: the one way this package starts
    git for a single command (:class:`GitRepo` adds the repository model on top).

    ``cwd`` ``None`` is the current directory; ``stdin`` is the command's input (none:
    an empty stdin, so git never waits on the terminal); ``env`` replaces the environment
    (none: inherited, so ``GIT_DIR`` and ``GIT_INDEX_FILE`` of a hook are honoured). A
    non-zero exit is a result, not an error. When git cannot run at all (not installed,
    not executable, timed out) the answer is ``None``, or with ``required`` a
    :class:`GitUnavailableError` that says why.
    """
    import subprocess

    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        if required:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise GitUnavailableError(str(reason)) from None
        return None
    return GitResult(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One entry of ``git ls-files --stage``."""

    mode: str
    sha: str
    stage: int  # 0 merged, 1 base, 2 ours, 3 theirs
    path: str  # workspace-relative

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"

    @property
    def is_gitlink(self) -> bool:
        return self.mode == "160000"


class IndexListing:
    """The output of ``git ls-files --stage -z``, searched rather than parsed.

    Entries are only parsed when asked for; the listing of a large store is one
    long string in which unmerged entries and folders are found with ``str.find``.
    """

    def __init__(self, text: str) -> None:
        self.text = text  # "<mode> <sha> <stage>\t<path>\0" per entry, sorted by path

    @property
    def unmerged(self) -> list[IndexEntry]:
        """Entries at stage 1, 2 or 3 (found by their " <stage>\t" separator)."""
        text = self.text
        found: list[IndexEntry] = []
        for needle in (" 1\t", " 2\t", " 3\t"):
            hit = text.find(needle)
            while hit >= 0:
                start = text.rfind("\0", 0, hit) + 1
                end = text.find("\0", hit)
                end = len(text) if end < 0 else end
                if text.find("\t", start) == hit + 2:  # not a tab inside a path
                    found.append(_entry(text[start:end]))
                hit = text.find(needle, end)
        return sorted(found, key=lambda entry: (entry.path, entry.stage))

    def under(self, folders: Iterable[str]) -> list[IndexEntry]:
        """The entries inside each of ``folders`` (workspace-relative)."""
        text = self.text
        found: list[IndexEntry] = []
        for folder in folders:
            prefix = folder.rstrip("/") + "/"
            hit = text.find(f"\t{prefix}")
            if hit < 0:
                continue
            start = text.rfind("\0", 0, hit) + 1
            while start < len(text):
                end = text.find("\0", start)
                end = len(text) if end < 0 else end
                field = text[start:end]
                if not field.partition("\t")[2].startswith(prefix):
                    break
                found.append(_entry(field))
                start = end + 1
        return found


class GitRunner(Protocol):
    """How :class:`GitRepo` runs git: one command, or one object from a long-lived
    ``git cat-file --batch``."""

    def run(self, args: list[str]) -> tuple[int, bytes, bytes]: ...

    def read_object(self, name: str) -> tuple[str, bytes] | None:
        """``(type, content)`` of an object name (``<sha>``, ``<rev>:<path>``), or ``None``."""
        ...

    def version(self) -> tuple[int, ...]: ...

    def close(self) -> None: ...


class _GitPythonRunner:
    def __init__(self, workspace: Path) -> None:
        from git.cmd import Git

        self._git = Git(str(workspace))

    def run(self, args: list[str]) -> tuple[int, bytes, bytes]:
        status, out, err = self._git.execute(
            ["git", *args],
            with_extended_output=True,
            with_exceptions=False,
            stdout_as_string=False,
            strip_newline_in_stdout=False,
        )
        error = err if isinstance(err, bytes) else str(err or "").encode()
        return int(status), bytes(out or b""), error

    def read_object(self, name: str) -> tuple[str, bytes] | None:
        try:
            _, kind, _, data = self._git.get_object_data(name)
        except ValueError:  # git answered "missing"
            return None
        return (kind.decode() if isinstance(kind, bytes) else str(kind)), bytes(data)

    def version(self) -> tuple[int, ...]:
        return tuple(self._git.version_info)

    def close(self) -> None:
        self._git.clear_cache()


class _ProcessRunner:
    def __init__(self, workspace: Path) -> None:
        self._cwd = workspace
        self._batch: Any = None  # the cat-file process, started on first use

    def run(self, args: list[str]) -> tuple[int, bytes, bytes]:
        done = run_git(self._cwd, *args, required=True)
        return done.returncode, done.stdout, done.stderr

    def read_object(self, name: str) -> tuple[str, bytes] | None:
        import subprocess

        if self._batch is None:
            self._batch = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self._cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        self._batch.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) != 3:  # "<name> missing" (or ambiguous)
            return None
        data = self._batch.stdout.read(int(header[2]) + 1)[:-1]
        return header[1].decode(), data

    def version(self) -> tuple[int, ...]:
        _, out, _ = self.run(["version"])
        numbers = re.findall(r"\d+", out.decode("ascii", "replace").split(" ")[-1])
        return tuple(int(number) for number in numbers[:4])

    def close(self) -> None:
        if self._batch is not None:
            self._batch.stdin.close()
            self._batch.stdout.close()
            self._batch.wait()
            self._batch = None


class GitRepo:
    """The git repository holding a workspace, seen from the workspace directory."""

    def __init__(self, runner: GitRunner, workspace: Path, prefix: str, git_dir: Path) -> None:
        self._git = runner  # runs in the workspace directory
        self.workspace = workspace
        self.prefix = prefix  # the workspace's path inside the repository, "" or "sub/dir/"
        self.git_dir = git_dir  # this work tree's git directory (absolute)

    # -- plumbing

    def _execute(self, *args: str) -> tuple[int, bytes, str]:
        status, out, err = self._git.run(list(args))
        return status, out, err.decode("utf-8", "replace")

    def run(self, *args: str, ok: Iterable[int] = (0,)) -> tuple[int, bytes]:
        """Run git; a status outside ``ok`` raises :class:`GitError` with git's message."""
        status, out, err = self._execute(*args)
        if status not in tuple(ok):
            message = err.strip().splitlines()[-1] if err.strip() else f"exit status {status}"
            raise GitError(f"git {args[0]} failed: {message}")
        return status, out

    def _fields(self, *args: str) -> list[str]:
        """NUL-separated output of a git command as text fields."""
        _, out = self.run(*args)
        return [field for field in _decode(out).split("\0") if field]

    def top(self, path: str) -> str:
        """Repository-relative form of a workspace-relative path."""
        return self.prefix + path

    def from_top(self, path: str) -> str | None:
        """Workspace-relative form of a repository-relative path (``None`` when outside)."""
        if not path.startswith(self.prefix):
            return None
        return path[len(self.prefix) :]

    # -- index

    def index_listing(self, paths: Iterable[str]) -> IndexListing:
        """Every index entry at or under the workspace-relative ``paths`` (none: empty)."""
        specs = [f":(literal){path}" for path in paths]
        if not specs:
            return IndexListing("")
        _, out = self.run("ls-files", "--stage", "-z", "--", *specs)
        return IndexListing(_decode(out))

    def index_entries(self, pathspecs: Iterable[str]) -> list[IndexEntry]:
        """``git ls-files --stage`` entries under ``pathspecs`` (none: an empty list)."""
        specs = list(pathspecs)
        if not specs:
            return []
        return [_entry(field) for field in self._fields("ls-files", "--stage", "-z", "--", *specs)]

    def unmerged(self, pathspec: str) -> list[IndexEntry]:
        """Unmerged (conflicted) index entries under ``pathspec``."""
        return [_entry(field) for field in self._fields("ls-files", "-u", "-z", "--", pathspec)]

    def staged_paths(self, pathspec: str) -> list[str]:
        """Paths the next commit changes under ``pathspec`` (renames as delete plus add)."""
        # Before the first commit git compares the index with the empty tree.
        return self._fields("diff", "--cached", *_CHANGED_NAMES, "--", pathspec)

    def grep_index(self, words: Iterable[str], pathspecs: Iterable[str]) -> list[str]:
        """Index paths under ``pathspecs`` whose staged content contains one of ``words``."""
        patterns = [arg for word in words for arg in ("-e", word)]
        specs = list(pathspecs)
        if not patterns or not specs:
            return []
        _, out = self.run("grep", "--cached", "-l", "-z", "-F", *patterns, "--", *specs, ok=(0, 1))
        return [field for field in _decode(out).split("\0") if field]

    # -- objects

    def blob(self, sha: str) -> bytes:
        """The content of the object ``sha`` (through one long-lived ``cat-file --batch``)."""
        found = self._git.read_object(sha)
        if found is None:
            raise GitError(f"git object {sha} is missing from the repository")
        return found[1]

    def blob_at(self, rev: str, path: str) -> bytes | None:
        """The content of workspace-relative ``path`` in commit ``rev``, ``None`` if absent."""
        found = self._git.read_object(f"{rev}:{self.top(path)}")
        return found[1] if found is not None and found[0] == "blob" else None

    # -- history

    def rev(self, name: str) -> str | None:
        """The commit ``name`` resolves to, or ``None``."""
        status, out, _ = self._execute(
            "rev-parse", "-q", "--verify", "--end-of-options", f"{name}^{{commit}}"
        )
        if status != 0:
            return None
        return _decode(out).strip() or None

    def parents(self, commit: str) -> list[str]:
        _, out = self.run("rev-list", "--parents", "-n", "1", commit)
        return _decode(out).split()[1:]

    def head_and_parents(self) -> tuple[str, list[str]] | None:
        """``HEAD`` and its parents in one git call, or ``None`` before the first commit."""
        status, out, _ = self._execute(
            "rev-list", "--parents", "-n", "1", "--end-of-options", "HEAD^{commit}", "--"
        )
        commits = _decode(out).split() if status == 0 else []
        return (commits[0], commits[1:]) if commits else None

    def merge_heads(self) -> list[str]:
        """The commits being merged when a merge is in progress (``MERGE_HEAD``), else none."""
        try:
            text = (self.git_dir / "MERGE_HEAD").read_text(encoding="utf-8")
        except OSError:
            return []
        return [line.strip() for line in text.splitlines() if line.strip()]

    def merge_base(self, commits: list[str]) -> str | None:
        args = (
            ["merge-base", "--octopus", *commits] if len(commits) > 2 else ["merge-base", *commits]
        )
        status, out = self.run(*args, ok=(0, 1))
        if status != 0:
            return None
        return _decode(out).strip() or None

    def changed_between(self, old: str, new: str, pathspec: str) -> list[str]:
        """Workspace-relative paths under ``pathspec`` that differ between two commits."""
        return self._fields("diff", *_CHANGED_NAMES, old, new, "--", pathspec)

    def changed_in_index(self, commit: str, pathspec: str) -> list[str]:
        """Workspace-relative paths under ``pathspec`` where the index differs from ``commit``."""
        return self._fields("diff", "--cached", *_CHANGED_NAMES, commit, "--", pathspec)

    # -- merge prediction

    def version(self) -> tuple[int, ...]:
        return self._git.version()

    def merge_tree_conflicts(self, ours: str, theirs: str) -> list[str]:
        """Repository-relative paths that would conflict when merging ``theirs`` into ``ours``.

        Runs ``git merge-tree --write-tree``, which merges in memory (it may add
        objects to the object store) and never touches the work tree or the index.
        """
        args = ("--write-tree", "--name-only", "--no-messages", "-z", ours, theirs)
        status, out = self.run("merge-tree", *args, ok=(0, 1))
        fields = [field for field in _decode(out).split("\0") if field]
        return sorted(set(fields[1:])) if status == 1 else []

    def close(self) -> None:
        """Stop the long-lived ``cat-file`` process."""
        self._git.close()


def open_repo(workspace: Path, *, light: bool = False) -> GitRepo | None:
    """The repository holding ``workspace``, or ``None`` (no git, or not in a work tree).

    ``light``: run git through :mod:`subprocess` instead of GitPython (see above).
    """
    runner: GitRunner
    if light:
        runner = _ProcessRunner(workspace)
    else:
        try:
            runner = _GitPythonRunner(workspace)
        except ImportError:  # GitPython refuses to load when no git executable works
            return None
    try:
        status, out, _ = runner.run(
            ["rev-parse", "--is-inside-work-tree", "--absolute-git-dir", "--show-prefix"]
        )
    except (OSError, GitUnavailableError):  # no git executable
        return None
    except Exception as exc:  # GitPython's GitCommandNotFound
        if type(exc).__name__ != "GitCommandNotFound":
            raise
        return None
    lines = _decode(out).split("\n")
    if status != 0 or len(lines) < 2 or lines[0] != "true":
        return None
    prefix = lines[2] if len(lines) > 2 else ""
    return GitRepo(runner, workspace, prefix, Path(lines[1]))


def require_repo(workspace: Path, option: str, *, light: bool = False) -> GitRepo:
    """The workspace's repository, or a usage error naming the option that needs it."""
    repo = open_repo(workspace, light=light)
    if repo is None:
        raise no_repo_error(workspace, option, f"run without {option}, or inside a git work tree")
    return repo


def no_repo_error(workspace: Path, option: str, hint: str) -> GitError:
    """Why ``option`` cannot be honoured when :func:`open_repo` found no repository: git
    cannot be run at all (then a workspace counts as outside git), or it is not in one."""
    try:
        run_git(None, "--version", required=True)
    except GitUnavailableError as exc:
        return GitError(
            f"{option} needs git, which cannot be run: {exc.reason}",
            hint=f"install git (or put it on PATH), or run without {option}",
        )
    message = f"{option} needs a git repository, and {workspace} is not inside one"
    return GitError(message, hint=hint)


def _entry(field: str) -> IndexEntry:
    info, _, path = field.partition("\t")
    mode, sha, stage = info.split()
    return IndexEntry(mode, sha, int(stage), path)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")
