"""The git merge driver for ticket files: what ``git merge`` runs for ``thread.md`` and ``item.md``.

git calls ``yoi ticket merge-driver run %O %A %B %P`` with temporary files
holding the base, ours and theirs versions and the path being merged; the
result must be written into the ours file and the exit status says whether
conflicts are left (0: clean, non-zero: conflicted).

* ``thread.md``: :func:`yoi_ticket.merge.thread.merge_thread`.
* ``item.md``: :func:`yoi_ticket.merge.item.merge_item`.
* Anything else, and any input these cannot read (invalid UTF-8, CRLF, NUL
  bytes, broken frontmatter, existing conflict markers, an unexpected
  error): git's plain line merge (``git merge-file``), markers and all. So is
  an input over the 8 MiB limit of ticket files, found by its size on disk
  before any input is read.

git merges every file in memory before it writes any of them, so while
``item.md`` is merged the ``thread.md`` next to it in the work tree is still
our side's. The thread merge therefore leaves a small note of where the
merged thread ends (its last ``state``) in ``.git/yoi-ticket/merge-memo/``,
tied to the running git operation (the identity of ``.git/index.lock``) and
to our side's thread; the item merge of the same operation reads it. git
merges ``thread.md`` before ``item.md`` (paths are merged in reverse order);
when no note applies the plain three-way rule decides ``state``.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from pathlib import Path, PurePosixPath

from yoi_ticket.files import textfile
from yoi_ticket.files.fsutil import write_text_atomic
from yoi_ticket.git import run_git
from yoi_ticket.merge.item import merge_item
from yoi_ticket.merge.lines import LineMergeError, MergeText, merge_in_place
from yoi_ticket.merge.thread import final_states, merge_thread

THREAD_NAME = "thread.md"
ITEM_NAME = "item.md"
MEMO_DIR = "yoi-ticket/merge-memo"
MEMO_VERSION = 1
MEMO_KEEP_SECONDS = 24 * 3600
EXIT_CLEAN, EXIT_CONFLICT, EXIT_FAILED = 0, 1, 2


def run_driver(
    base: Path,
    ours: Path,
    theirs: Path,
    path: str | None = None,
    *,
    marker_size: int = 7,
    worktree: Path | None = None,
) -> int:
    """Merge ``base``/``ours``/``theirs`` into ``ours`` as git expects; returns the exit status.

    Never raises on bad input: whatever the ticket merge cannot handle gets
    git's plain merge. ``worktree`` is where git runs the driver (the top of
    the work tree; default: the current directory).
    """
    root = worktree if worktree is not None else Path.cwd()
    try:
        merged = _ticket_merge(base, ours, theirs, path, marker_size, root)
    except Exception:  # any surprise falls back to git's own merge
        merged = None
    if merged is not None:
        write_text_atomic(ours, merged.text, mode=_mode(ours))
        return EXIT_CONFLICT if merged.conflicts else EXIT_CLEAN
    try:
        conflicts = merge_in_place(base, ours, theirs, marker_size)
    except LineMergeError as exc:
        print(f"yoi-ticket merge driver: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_CONFLICT if conflicts else EXIT_CLEAN


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def _mergeable_sizes(paths: tuple[Path, ...]) -> bool:
    """Whether every input is a regular file within the size limit, asked of the file
    system before any is read (a 117 MB thread must not cost three full reads first)."""
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            return False
        if not stat.S_ISREG(info.st_mode) or info.st_size > textfile.MAX_FILE_BYTES:
            return False
    return True


def _clean_text(path: Path) -> str | None:
    """The file as text when it is plain UTF-8 with LF line ends; ``None`` otherwise (also
    when it grew past the size limit since :func:`_mergeable_sizes`: never read past it)."""
    from yoi_ticket.files.fsutil import read_regular

    try:
        data = read_regular(path, textfile.MAX_FILE_BYTES)
    except OSError:
        return None
    if len(data) > textfile.MAX_FILE_BYTES or data.startswith(textfile.UTF8_BOM):
        return None
    if b"\r" in data or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _ticket_merge(
    base: Path, ours: Path, theirs: Path, path: str | None, marker_size: int, root: Path
) -> MergeText | None:
    name = PurePosixPath(path).name if path else None
    if name not in (THREAD_NAME, ITEM_NAME):
        return None
    if not _mergeable_sizes((base, ours, theirs)):
        return None
    texts = [_clean_text(p) for p in (base, ours, theirs)]
    if texts[0] is None or texts[1] is None or texts[2] is None:
        return None
    assert path is not None
    if name == THREAD_NAME:
        merged = merge_thread(texts[0], texts[1], texts[2], marker_size)
        clean = merged is not None and not merged.conflicts
        try:  # the memo only helps the item merge; failing to write it must not undo this one
            _remember(root, path, texts[1], merged.text if merged is not None and clean else None)
        except (OSError, ValueError):
            pass
        return merged
    try:
        states = _recall(root, path)
    except (OSError, ValueError):
        states = None
    return merge_item(texts[0], texts[1], texts[2], thread_states=states, marker_size=marker_size)


# ---------------------------------------------------------------- memo of the thread merge


def _git_dir(root: Path) -> Path | None:
    done = run_git(root, "rev-parse", "--absolute-git-dir")
    if done is None:
        return None
    value = done.stdout_text.strip()
    return Path(value) if done.returncode == 0 and value else None


def _operation(git_dir: Path) -> list[int] | None:
    """Identity of the running git operation: the index lock it holds while merging."""
    try:
        stat = (git_dir / "index.lock").stat()
    except OSError:
        return None
    return [stat.st_ino, stat.st_mtime_ns]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _memo_path(git_dir: Path, thread_path: str) -> Path:
    return git_dir / MEMO_DIR / f"{_digest(thread_path)[:32]}.json"


def _remember(root: Path, thread_path: str, ours_text: str, merged_text: str | None) -> None:
    """Note where the merged thread ends; ``None`` (a conflicted merge) drops any older note."""
    git_dir = _git_dir(root)
    operation = _operation(git_dir) if git_dir is not None else None
    if git_dir is None or operation is None:
        return
    memo = _memo_path(git_dir, thread_path)
    if merged_text is None:
        memo.unlink(missing_ok=True)
        return
    memo.parent.mkdir(parents=True, exist_ok=True)
    _prune(memo.parent)
    record = {
        "version": MEMO_VERSION,
        "path": thread_path,
        "operation": operation,
        "ours_sha256": _digest(ours_text),
        "states": final_states(merged_text),
    }
    write_text_atomic(memo, json.dumps(record, sort_keys=True) + "\n")


def _prune(folder: Path) -> None:
    cutoff = time.time() - MEMO_KEEP_SECONDS
    for entry in folder.glob("*.json"):
        try:
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
        except OSError:
            pass


def _recall(root: Path, item_path: str) -> dict[str, str] | None:
    """The merged thread's final states, if this git operation merged the sibling thread."""
    thread_path = str(PurePosixPath(item_path).with_name(THREAD_NAME))
    git_dir = _git_dir(root)
    if git_dir is None:
        return None
    try:
        record = json.loads(_memo_path(git_dir, thread_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(record, dict)
        or record.get("version") != MEMO_VERSION
        or record.get("path") != thread_path
        or record.get("operation") != _operation(git_dir)
        or not _ours_matches(root / thread_path, record.get("ours_sha256"))
    ):
        return None
    states = record.get("states")
    if not isinstance(states, dict):
        return None
    return {str(k): str(v) for k, v in states.items() if isinstance(v, str)}


def _ours_matches(sibling: Path, digest: object) -> bool:
    """Our side's thread (still in the work tree) is the one the memo was made from.

    A missing sibling is accepted: the ticket moved on their side (a v1 bucket
    change), so the work tree has no thread at the merged path yet.
    """
    if not sibling.exists():
        return True
    decoded = textfile.read(sibling)
    return decoded.problem is None and digest == _digest(decoded.text)
