"""Whether a path can be trusted: nobody but this user (and root) can change what it holds.

The checks of ssh's ``StrictModes``, applied from the root of the file system down:

* every folder on the way (as the path is spelled, and as it resolves) is owned by this
  user or root, and no other user may write to it, unless it is sticky (``/tmp``: others
  may add entries but not rename or remove ours) or only group-writable by this user's
  own private group (the group named as the user, holding nobody else, as
  ``USERGROUPS_ENAB`` systems make for every user);
* a symbolic link on the way is owned by this user or root (whoever owns it can point it
  elsewhere); what it points to is checked as the resolved path.

A path that does not exist yet is trusted as far as it exists: what is missing is
created by this user. Windows has no POSIX owners and modes: nothing is checked there.
"""

from __future__ import annotations

import functools
import os
import stat
import sys
from pathlib import Path

Problem = tuple[Path, str]  # the path, and what is wrong with it ("is owned by uid 12345...")


def me() -> int:
    return os.geteuid()


def owner_problem(info: os.stat_result, *, root_ok: bool = True) -> str | None:
    """Why an entry with this ``lstat``/``stat`` may be changed by someone else, as to its
    owner: neither this user nor (when ``root_ok``) root."""
    uid = me()
    if info.st_uid == uid or (root_ok and info.st_uid == 0):
        return None
    return f"is owned by uid {info.st_uid}, not by this user (uid {uid})" + (
        " or root" if root_ok and uid != 0 else ""
    )


def writers_problem(info: os.stat_result, *, shared_ok: bool = True) -> str | None:
    """Why others may write to an entry with this ``stat``: writable by group or others
    (when ``shared_ok``: not if it is a sticky folder, or group-writable by this user's
    own private group only)."""
    mode = info.st_mode
    if not mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    if shared_ok and stat.S_ISDIR(mode) and mode & stat.S_ISVTX:
        return None
    if shared_ok and not mode & stat.S_IWOTH and _private_group(info.st_gid):
        return None
    return f"is writable by other users (mode {stat.S_IMODE(mode):o})"


@functools.lru_cache(maxsize=64)
def _private_group(gid: int) -> bool:
    """Whether ``gid`` is this user's own group: its primary group, named as the user, with
    no other members."""
    if gid != os.getegid():
        return False
    try:
        import grp
        import pwd

        user = pwd.getpwuid(me()).pw_name
        group = grp.getgrgid(gid)
    except (ImportError, KeyError):
        return False
    return group.gr_name == user and set(group.gr_mem) <= {user}


def ancestry_problems(path: Path) -> list[Problem]:
    """What is wrong with the folders from ``/`` down to ``path`` (``path`` included), as
    spelled and as resolved; empty when nobody but this user and root can change them."""
    if sys.platform == "win32":  # pragma: no cover - no POSIX owners and modes there
        return []
    spelled = Path(os.path.abspath(path))
    problems: dict[Path, str] = {}
    for chain in (spelled, Path(os.path.realpath(spelled))):
        for component in (*reversed(chain.parents), chain):
            if component in problems:
                continue
            reason, exists = _component_problem(component)
            if reason is not None:
                problems[component] = reason
            if not exists:
                break
    return list(problems.items())


def _component_problem(path: Path) -> tuple[str | None, bool]:
    """What is wrong with one folder on the way (or a link to one), and whether it exists."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None, False
    except OSError as exc:
        return f"cannot be checked: {exc.strerror or exc}", False
    if stat.S_ISLNK(info.st_mode):
        problem = owner_problem(info)
        return (f"is a symbolic link that {problem}" if problem else None), True
    if not stat.S_ISDIR(info.st_mode):  # nothing can be made under it: writers say so
        return None, False
    return owner_problem(info) or writers_problem(info), True


def file_problem(path: Path) -> str | None:
    """What is wrong with a file that others must not have written (a registry): owned by
    another user than this one and root, or writable by others; a symbolic link to it must
    be owned by this user or root too. ``None`` also when it does not exist."""
    if sys.platform == "win32":  # pragma: no cover
        return None
    try:
        link = os.lstat(path)
        info = os.stat(path) if stat.S_ISLNK(link.st_mode) else link
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"cannot be checked: {exc.strerror or exc}"
    if link is not info:
        problem = owner_problem(link)
        if problem is not None:
            return f"is a symbolic link that {problem}"
    return owner_problem(info) or writers_problem(info)
