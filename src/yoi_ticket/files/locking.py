"""OS file locks for the overlay (``flock`` on Unix, ``LockFileEx`` on Windows).

The operating system releases a lock when its holder exits, however it exits,
so no lock ever needs manual clean-up. Lock files are empty, are never
removed (removing one while a waiter holds it open would split the lock), and
live in the overlay's ``locks/`` folder, never next to the data they guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from yoi_ticket.errors import YoiError

LOCK_MODE = 0o600
DEFAULT_TIMEOUT = 30.0


class LockTimeoutError(YoiError):
    """An overlay lock stayed busy for longer than the caller wanted to wait."""


class LockFileError(YoiError):
    """A lock file cannot be opened (a symlink, not a file, no permission)."""


def _acquire(lock: FileLock, path: Path) -> None:
    hint = f"a lock file must be a plain empty file; remove {path} and try again"
    if path.is_symlink():  # older filelock versions would follow it (and truncate the target)
        raise LockFileError(f"cannot lock {path}: it is a symbolic link", hint=hint)
    try:
        lock.acquire()
    except Timeout:  # a TimeoutError, hence an OSError too: the callers handle it
        raise
    except OSError as exc:
        raise LockFileError(f"cannot lock {path}: {exc.strerror or exc}", hint=hint) from None


@contextmanager
def hold(path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the lock at ``path`` for the ``with`` block, waiting up to ``timeout`` seconds."""
    lock = FileLock(str(path), timeout=timeout, mode=LOCK_MODE)
    try:
        _acquire(lock, path)
    except Timeout:
        raise LockTimeoutError(
            f"{path} stayed locked for {timeout:g} s",
            hint="another yoi-ticket process is busy with this workspace; try again",
        ) from None
    try:
        yield
    finally:
        lock.release()


def try_hold(path: Path, *, timeout: float = 0.0) -> FileLock | None:
    """Acquire the lock at ``path`` and return it (caller releases), or ``None`` if busy."""
    lock = FileLock(str(path), timeout=timeout, mode=LOCK_MODE)
    try:
        _acquire(lock, path)
    except Timeout:
        return None
    return lock


def is_held(path: Path) -> bool:
    """Whether some process holds the lock at ``path`` (a missing lock file is free)."""
    if not path.exists():
        return False
    lock = try_hold(path)
    if lock is None:
        return True
    lock.release()
    return False
