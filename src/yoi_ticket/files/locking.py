"""OS file locks for the overlay (``flock`` on Unix, ``LockFileEx`` on Windows).

The operating system releases a lock when its holder exits, however it exits,
so no lock ever needs manual clean-up. Lock files are empty, are never
removed (removing one while a waiter holds it open would split the lock), and
live in the overlay's ``locks/`` folder, never next to the data they guard.

A launch's lock must outlive the launcher while the command it started runs
(:func:`try_hold_shared`): a ``flock`` belongs to the open file description, so
a child that inherits the descriptor holds the lock too, across ``exec``, and
the lock is free only once every process holding the descriptor has exited or
it is explicitly unlocked. filelock keeps its descriptor to itself (and closes
it in forked children), so this one lock is taken with ``fcntl.flock`` on a
descriptor of our own: the same ``flock`` that filelock takes and probes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass
class SharedLock:
    """A lock whose descriptor ``fd`` child processes may inherit (``pass_fds``) to hold the
    lock with this process; ``fd`` is ``None`` where locks cannot be shared (Windows)."""

    path: Path
    fd: int | None
    _fallback: FileLock | None = None

    def release(self) -> None:
        """Unlock for every holder (children that inherited ``fd`` included) and close."""
        if self.fd is not None:
            import fcntl

            fd, self.fd = self.fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        elif self._fallback is not None:
            self._fallback.release()
            self._fallback = None


def try_hold_shared(path: Path) -> SharedLock | None:
    """Take the lock at ``path`` without waiting on a descriptor children can inherit;
    ``None`` if it is busy. The caller releases it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: a plain lock, not shareable
        lock = try_hold(path)
        return None if lock is None else SharedLock(path, None, lock)
    hint = f"a lock file must be a plain empty file; remove {path} and try again"
    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, LOCK_MODE)
    except OSError as exc:
        reason = "it is a symbolic link" if path.is_symlink() else exc.strerror or str(exc)
        raise LockFileError(f"cannot lock {path}: {reason}", hint=hint) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LockFileError(f"cannot lock {path}: not a regular file", hint=hint)
        if stat.S_IMODE(info.st_mode) != LOCK_MODE and info.st_uid == os.geteuid():
            os.fchmod(fd, LOCK_MODE)  # created through the umask
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError as exc:
        os.close(fd)
        raise LockFileError(f"cannot lock {path}: {exc.strerror or exc}", hint=hint) from None
    except BaseException:
        os.close(fd)
        raise
    return SharedLock(path, fd)


def is_held(path: Path) -> bool:
    """Whether some process holds the lock at ``path`` (a missing lock file is free)."""
    if not path.exists():
        return False
    lock = try_hold(path)
    if lock is None:
        return True
    lock.release()
    return False
