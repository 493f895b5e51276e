"""The one git access layer: every git command this package runs starts here.

* :func:`run_git`: one plain command through :mod:`subprocess` (callers that need a
  special environment pass it, for example the workspace identity strips ``GIT_DIR``).
* :class:`GitRepo`: the read-only repository model doctor uses (the index, unmerged
  entries, blobs, merge bases, merge-tree): plain :func:`run_git`
  calls plus one long-lived ``git cat-file --batch`` for objects, whose answers are
  checked: an object is "missing" only when git says so, any other failure is an error.

SHA-1 and SHA-256 object ids (``git init --object-format=sha256``) are never assumed
to have a length (GitPython's object reader, used before, took a 64-hex answer for a
missing object). Every :class:`GitRepo` command runs in the workspace directory with
NUL-separated output; paths given and returned are workspace-relative unless a name says
``top`` (relative to the repository's top level). Nothing here writes to the work tree or
the index. The git environment (``GIT_DIR``, ``GIT_INDEX_FILE``) is honoured, so that
inside a pre-commit hook the index being committed is read.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

from yoi_ticket.errors import UsageError

MERGE_TREE_VERSION = (2, 38)  # first git with `git merge-tree --write-tree`
_REGULAR = ("100644", "100755")  # the modes of regular files in a tree


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


class _CatFile:
    """One long-lived ``git cat-file --batch``, started on first use, reading objects by
    name. ``<name> missing`` is the one answer that means absent; anything else that is
    not ``<oid> <type> <size>`` and that many bytes (an ambiguous name, a process that
    died, a short read) raises :class:`GitError`: a failed read is never "missing"."""

    def __init__(self, cwd: Path) -> None:
        self._cwd = cwd
        self._process: Any = None

    def read(self, names: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """``(type, content)`` or ``None`` for each name. Names are written a pipe's worth
        at a time (at most 4 KiB, which a pipe takes without waiting for git), then their
        answers read: git never waits for the next name, and nothing can deadlock."""
        encoded = [name.encode("utf-8", "surrogateescape") for name in names]
        for name, raw in zip(names, encoded, strict=True):
            if not raw or b"\n" in raw:
                raise GitError(f"cannot read the git object {name!r}: not a name cat-file takes")
        found: list[tuple[str, bytes] | None] = []
        while len(found) < len(names):
            end, size = len(found), 0
            while end < len(names) and (end == len(found) or size + len(encoded[end]) < 4096):
                size, end = size + len(encoded[end]) + 1, end + 1
            process = self._process or self._start()
            with contextlib.suppress(OSError):  # a process that died: said by the answer
                process.stdin.write(b"".join(raw + b"\n" for raw in encoded[len(found) : end]))
                process.stdin.flush()
            for index in range(len(found), end):
                found.append(self._answer(process, names[index], encoded[index]))
        return found

    def _answer(self, process: Any, name: str, raw: bytes) -> tuple[str, bytes] | None:
        header = b""
        try:
            header = process.stdout.readline()
            if header == raw + b" missing\n":
                return None
            fields = header.split()
            if len(fields) == 3 and fields[2].isdigit():
                data = process.stdout.read(int(fields[2]) + 1)
                if len(data) == int(fields[2]) + 1 and data.endswith(b"\n"):
                    return fields[1].decode("ascii", "replace"), data[:-1]
        except (OSError, ValueError):
            pass  # the process is gone (a broken pipe): said below
        raise GitError(f"cannot read the git object {name!r}: {self._failed(header)}")

    def _start(self) -> Any:
        import subprocess

        self._process = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=self._cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        return self._process

    def _failed(self, header: bytes) -> str:
        """What git said about a read that failed; the process is stopped (its answers
        can no longer be told apart)."""
        process = self._stop()
        lines = process.stderr.read().decode("utf-8", "replace").splitlines() if process else []
        if process is not None:
            process.stderr.close()
        errors = [line for line in lines if line.startswith(("fatal:", "error:"))] + lines
        said = header.decode("utf-8", "replace").strip() if not errors else errors[0]
        return said or "git cat-file stopped without an answer"

    def _stop(self) -> Any:
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
            process.stdout.close()
            process.wait()
        return process

    def close(self) -> None:
        process = self._stop()
        if process is not None:
            process.stderr.close()


class GitRepo:
    """The git repository holding a workspace, seen from the workspace directory."""

    def __init__(self, workspace: Path, prefix: str, git_dir: Path) -> None:
        self._objects = _CatFile(workspace)  # the process is started on first use
        self.workspace = workspace  # where every command runs
        self.prefix = prefix  # the workspace's path inside the repository, "" or "sub/dir/"
        self.git_dir = git_dir  # this work tree's git directory (absolute)

    # -- plumbing

    def _execute(self, *args: str, stdin: bytes | None = None) -> tuple[int, bytes, str]:
        done = run_git(self.workspace, *args, stdin=stdin, required=True)
        return done.returncode, done.stdout, done.stderr_text

    def run(
        self, *args: str, ok: Iterable[int] = (0,), stdin: bytes | None = None
    ) -> tuple[int, bytes]:
        """Run git; a status outside ``ok`` raises :class:`GitError` with git's message."""
        status, out, err = self._execute(*args, stdin=stdin)
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

    def unmerged(self, pathspec: str) -> list[IndexEntry]:
        """Unmerged (conflicted) index entries under ``pathspec``."""
        return [_entry(field) for field in self._fields("ls-files", "-u", "-z", "--", pathspec)]

    def staged_paths(self, pathspec: str) -> list[str]:
        """Paths the next commit changes under ``pathspec`` (renames as delete plus add)."""
        # Before the first commit git compares the index with the empty tree.
        names = ("--name-only", "--no-renames", "--relative", "-z")  # workspace-relative
        return self._fields("diff", "--cached", *names, "--", pathspec)

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
        return self.blobs([sha])[sha]

    def blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """The contents of the objects ``shas``, asked for all at once."""
        names = list(dict.fromkeys(shas))
        found = dict(zip(names, self._objects.read(names), strict=True))
        missing = next((sha for sha, answer in found.items() if answer is None), None)
        if missing is not None:
            raise GitError(f"git object {missing} is missing from the repository")
        return {sha: answer[1] for sha, answer in found.items() if answer is not None}

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

    def blob_at(self, commit: str, path: str) -> bytes | None:
        """The content of workspace-relative ``path`` in ``commit``; ``None`` when it holds
        no such file. (git answers "missing" for an object gone from a damaged repository
        too: ``ls-tree`` then tells the two apart, and the damage is an error.)"""
        found = self._objects.read([f"{commit}:{self.top(path)}"])[0]
        if found is None and path in self.tree_blobs(commit, [path]):
            raise GitError(f"git object {commit[:12]}:{self.top(path)} is missing")
        return found[1] if found is not None and found[0] == "blob" else None

    def tree_blobs(self, commit: str, paths: Iterable[str]) -> dict[str, str]:
        """The blob ids of workspace-relative ``paths`` in ``commit`` (regular files only;
        a path that is not there is left out)."""
        specs = [f":(literal){path}" for path in paths]
        fields = self._fields("ls-tree", "-z", commit, "--", *specs) if specs else []
        entries = [
            (*field.partition("\t")[0].split(), field.partition("\t")[2]) for field in fields
        ]
        return {path: sha for mode, _, sha, path in entries if mode in _REGULAR}

    def merge_base(self, commits: list[str]) -> str | None:
        octopus = ["--octopus"] if len(commits) > 2 else []
        status, out = self.run("merge-base", *octopus, *commits, ok=(0, 1))
        return (_decode(out).strip() or None) if status == 0 else None

    # -- merge prediction

    def version(self) -> tuple[int, ...]:
        _, out = self.run("version")
        numbers = re.findall(r"\d+", out.decode("ascii", "replace").split(" ")[-1])
        return tuple(int(number) for number in numbers[:4])

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
        self._objects.close()


def open_repo(workspace: Path) -> GitRepo | None:
    """The repository holding ``workspace``, or ``None`` (no git, or not in a work tree)."""
    args = ("rev-parse", "--is-inside-work-tree", "--absolute-git-dir", "--show-prefix")
    done = run_git(workspace, *args)
    lines = _decode(done.stdout).split("\n") if done is not None else []
    if done is None or done.returncode != 0 or len(lines) < 2 or lines[0] != "true":
        return None  # no git executable, or not inside a work tree
    return GitRepo(workspace, lines[2] if len(lines) > 2 else "", Path(lines[1]))


def require_repo(workspace: Path, option: str) -> GitRepo:
    """The workspace's repository, or a usage error naming the option that needs it."""
    repo = open_repo(workspace)
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
