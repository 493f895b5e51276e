"""Finding the workspace (the first directory upwards that holds ``.yoi/``) and its
canonical path and key (SPEC 4), which name its local overlay."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from yoi_ticket.errors import NotAWorkspaceError
from yoi_ticket.git import run_git

MARKER = ".yoi"
WORKSPACE_ENV = "YOI_WORKSPACE"


def find_workspace(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the absolute workspace path (symlinks kept as spelled).

    ``explicit`` (``--workspace``) wins over ``YOI_WORKSPACE``, which wins over
    walking up from the current directory. An explicit path must itself be a
    workspace or lie inside one.
    """
    given = explicit if explicit is not None else os.environ.get(WORKSPACE_ENV) or None
    start = Path(os.path.abspath(given if given is not None else os.getcwd()))
    if given is not None and not start.is_dir():
        raise NotAWorkspaceError(
            f"{given}: no such directory",
            hint="pass the path of a directory that contains .yoi/",
        )
    for candidate in (start, *start.parents):
        if (candidate / MARKER).is_dir():
            return candidate
    raise NotAWorkspaceError(
        f"{start}: not a yoi workspace (no {MARKER}/ here or in any parent directory)",
        hint="run inside a repository with .yoi/tickets, or pass --workspace PATH",
    )


# --- canonical path and key (SPEC 4) -------------------------------------------------

KEY_HASH_LENGTH = 16
MAX_LEAF_LENGTH = 48
CASE_INSENSITIVE_PLATFORMS = ("darwin", "win32")
# Variables that would make git look at another repository than the one at the path.
_GIT_LOCATION_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
_UNSAFE_LEAF_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class WorkspaceIdentity:
    """One workspace as the overlay sees it: where it was found and what it is."""

    path: Path  # absolute, as found (symlinks kept)
    canonical_path: str  # SPEC 4, "/" separators
    worktree_root: Path | None  # resolved root of the git worktree holding it, if any

    @property
    def key(self) -> str:
        return workspace_key(self.canonical_path)

    @property
    def companion(self) -> str:
        return companion_name(self.canonical_path)

    @property
    def orchestrator(self) -> str:
        return orchestrator_name(self.canonical_path)


def identify(workspace: str | os.PathLike[str]) -> WorkspaceIdentity:
    """The canonical identity of ``workspace`` (one git call when it lies in a repository)."""
    path = Path(os.path.abspath(workspace))
    resolved = Path(os.path.realpath(path))
    layout = _git_layout(resolved)
    if layout is None:
        base, root = resolved, None
    else:
        toplevel, main = layout
        root = toplevel
        try:
            relative = resolved.relative_to(toplevel)
        except ValueError:  # the workspace lies inside the git dir itself
            relative = Path()
        base = main / relative if relative.parts else main
    return WorkspaceIdentity(path=path, canonical_path=_normalise(base), worktree_root=root)


def canonical_path(workspace: str | os.PathLike[str]) -> str:
    return identify(workspace).canonical_path


def workspace_key(canonical: str) -> str:
    """``<sanitised leaf>-<first 16 hex digits of sha256(canonical path)>``."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:KEY_HASH_LENGTH]
    return f"{_sanitised_leaf(canonical)}-{digest}"


POD_NAME_LIMIT = 80
ORCHESTRATOR_SUFFIX = "-orchestrator"


def companion_name(canonical: str) -> str:
    """The Companion Pod's name, as yoi derives it from the workspace's basename
    (UPSTREAM.md section 4: ``/tmp/Yoi Workspace`` gives ``yoi-workspace``)."""
    return sanitise_pod_name(PurePosixPath(canonical).name, POD_NAME_LIMIT)


def orchestrator_name(canonical: str) -> str:
    """The Orchestrator Pod's name: the basename sanitised to fit the suffix, plus it."""
    limit = POD_NAME_LIMIT - len(ORCHESTRATOR_SUFFIX)
    return sanitise_pod_name(PurePosixPath(canonical).name, limit) + ORCHESTRATOR_SUFFIX


def sanitise_pod_name(name: str, limit: int) -> str:
    """yoi's ``sanitise``: ASCII letters and digits, ``_`` and ``.`` kept (lowercased),
    anything else one ``-`` (never two in a row, never first), ``-_.`` trimmed from both
    ends, the first ``limit`` characters, ``workspace`` when nothing is left."""
    out: list[str] = []
    for char in name.strip():
        keep = (char.isascii() and char.isalnum()) or char in "_."
        mapped = char.lower() if keep else "-"
        if mapped == "-" and (not out or out[-1] == "-"):
            continue
        out.append(mapped)
    return "".join(out).strip("-_.")[:limit] or "workspace"


def _sanitised_leaf(canonical: str) -> str:
    leaf = _UNSAFE_LEAF_CHARS.sub("_", PurePosixPath(canonical).name).lstrip(".")
    return leaf[:MAX_LEAF_LENGTH] or "workspace"


def _normalise(path: Path) -> str:
    text = path.as_posix()
    if sys.platform in CASE_INSENSITIVE_PLATFORMS:  # pragma: no cover - not Linux
        text = text.lower()
    return text


def _git_layout(resolved: Path) -> tuple[Path, Path] | None:
    """``(worktree root, main worktree or bare common dir)``, or ``None`` outside git.

    Runs plain git (not GitPython's wrapper, which always passes them on) without
    ``GIT_DIR`` and friends, which git exports inside hooks: they must not point it at
    another repository.
    """
    lines = _git(
        resolved,
        "rev-parse",
        "--path-format=absolute",
        "--show-toplevel",
        "--git-common-dir",
    )
    if lines is None or len(lines) != 2:
        return None
    toplevel = Path(os.path.realpath(lines[0]))
    common = Path(os.path.realpath(lines[1]))
    return toplevel, _main_worktree(common, toplevel)


def _main_worktree(common: Path, toplevel: Path) -> Path:
    """The parent of the common git dir; a bare or detached common dir is used as-is."""
    if common.name == ".git":
        return common.parent
    # A submodule keeps its git dir in the superproject (core.worktree says where the
    # checkout is); a bare repository or a separate git dir has no main worktree.
    config = _git(common, "config", "--file", str(common / "config"), "--get", "core.worktree")
    if config:
        return Path(os.path.realpath(common / config[0]))
    return common


def _git(cwd: Path, *args: str) -> list[str] | None:
    """The output lines of git run in ``cwd`` without the location variables (see
    :func:`_git_layout`) and in the C locale; ``None`` when it fails or cannot run."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_ENV}
    env["LC_ALL"] = "C"
    done = run_git(cwd, *args, env=env, timeout=30)
    if done is None or done.returncode != 0:
        return None
    return [line for line in done.stdout_text.splitlines() if line]
