"""Where the overlay lives and what this machine is: the per-user data and runtime
dirs (from ``YOI_HOME``, ``YOI_DATA_DIR``, ``YOI_RUNTIME_DIR`` or platformdirs), the
host name, the clock as the overlay writes it, and whether a process is alive.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

DATA_DIR_ENV = "YOI_DATA_DIR"
RUNTIME_DIR_ENV = "YOI_RUNTIME_DIR"
HOME_ENV = "YOI_HOME"


@dataclass(frozen=True)
class Locations:
    """The per-user data dir (overlays, Pod metadata) and runtime dir (Pod registry)."""

    data_dir: Path
    runtime_dir: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Locations:
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV) or None
        data = env.get(DATA_DIR_ENV) or home
        if data is None:
            import platformdirs

            data = platformdirs.user_data_dir("yoi")
        runtime = env.get(RUNTIME_DIR_ENV) or (str(Path(home) / "run") if home else None)
        if runtime is None:
            import platformdirs

            runtime = platformdirs.user_runtime_dir("yoi")
        return cls(Path(os.path.abspath(data)), Path(os.path.abspath(runtime)))

    @classmethod
    def quietly_from_env(cls) -> Locations:
        """:meth:`from_env` without platformdirs' warning about an unset XDG_RUNTIME_DIR
        (for doctor, which only compares paths with them: CI runs without one)."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls.from_env()

    @property
    def workspaces_dir(self) -> Path:
        return self.data_dir / "workspaces"

    @property
    def pods_dir(self) -> Path:
        return self.data_dir / "pods"

    @property
    def pod_registry(self) -> Path:
        return self.runtime_dir / "pods.json"


def this_host() -> str:
    return socket.gethostname()


def now() -> str:
    """The current UTC time as the store writes it: ``2026-05-27T00:00:06Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal still counts)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - not Linux
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover - not Linux
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return bool(kernel32.GetLastError() == 5)  # access denied: it exists
    code = ctypes.c_ulong()
    try:
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
    finally:
        kernel32.CloseHandle(handle)
    return code.value == 259  # STILL_ACTIVE
