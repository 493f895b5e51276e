"""Where the overlay lives and what this machine is: the per-user data and runtime
dirs, resolved exactly as yoi resolves them (UPSTREAM.md section 1,
``crates/manifest/src/paths.rs``), the host name, the clock as the overlay writes it,
and whether a process is alive.

| dir     | first that is set                                                    |
|---------|----------------------------------------------------------------------|
| data    | ``YOI_DATA_DIR``; ``$YOI_HOME``; ``$XDG_DATA_HOME/yoi``; ``$HOME/.local/share/yoi`` |
| runtime | ``YOI_RUNTIME_DIR``; ``$YOI_HOME/run``; ``$XDG_RUNTIME_DIR/yoi``; ``$HOME/.yoi/run`` |

A variable that is set but empty counts as unset. Before 2026-07-24 yoi's data dir had
no XDG step (``$HOME/.yoi``): machines that ran it still keep Pods and panel registries
there, so that legacy dir is read too (never written) when neither ``YOI_DATA_DIR`` nor
``YOI_HOME`` names the data dir. Nothing here ever warns about a missing or loose
``XDG_RUNTIME_DIR``: yoi does not either.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

DATA_DIR_ENV = "YOI_DATA_DIR"
RUNTIME_DIR_ENV = "YOI_RUNTIME_DIR"
HOME_ENV = "YOI_HOME"
WORKER_REGISTRY = "workers.json"  # from 2026-06-26: allocations named by worker_name
POD_REGISTRY = "pods.json"  # until 2026-06-26: allocations named by pod_name
SAVED_POD_FOLDERS = ("workers", "pods")  # <data>/workers/<name> from 2026-06-29


@dataclass(frozen=True)
class Locations:
    """The per-user data dir (overlays, Pod metadata, panel registries), runtime dir (the
    live Pod tables), and the legacy data dir of older yoi (read only)."""

    data_dir: Path
    runtime_dir: Path
    legacy_data_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Locations:
        env = os.environ if environ is None else environ

        def var(name: str) -> str | None:
            return env.get(name) or None

        home = var("HOME") or os.path.expanduser("~")
        yoi_home = var(HOME_ENV)
        named = var(DATA_DIR_ENV) or yoi_home
        xdg_data, xdg_runtime = var("XDG_DATA_HOME"), var("XDG_RUNTIME_DIR")
        data = named or os.path.join(xdg_data or os.path.join(home, ".local", "share"), "yoi")
        runtime = var(RUNTIME_DIR_ENV) or (
            os.path.join(yoi_home, "run")
            if yoi_home
            else os.path.join(xdg_runtime, "yoi")
            if xdg_runtime
            else os.path.join(home, ".yoi", "run")
        )
        data_dir = Path(os.path.abspath(data))
        legacy = None if named else Path(os.path.abspath(os.path.join(home, ".yoi")))
        return cls(data_dir, Path(os.path.abspath(runtime)), None if legacy == data_dir else legacy)

    @property
    def data_dirs(self) -> tuple[Path, ...]:
        """The data dir, then the legacy one when it differs: where Pods and panel
        registries are looked for."""
        return (
            (self.data_dir,)
            if self.legacy_data_dir is None
            else (
                self.data_dir,
                self.legacy_data_dir,
            )
        )

    @property
    def workspaces_dir(self) -> Path:
        return self.data_dir / "workspaces"

    @property
    def pods_dir(self) -> Path:
        return self.data_dir / "pods"

    @property
    def saved_pod_dirs(self) -> tuple[Path, ...]:
        """``<data>/workers`` and ``<data>/pods`` of every data dir, newest era first."""
        return tuple(data / folder for data in self.data_dirs for folder in SAVED_POD_FOLDERS)

    @property
    def pod_registry(self) -> Path:
        return self.runtime_dir / POD_REGISTRY

    @property
    def pod_registries(self) -> tuple[Path, ...]:
        """Both eras' live tables: ``workers.json`` and ``pods.json``."""
        return (self.runtime_dir / WORKER_REGISTRY, self.runtime_dir / POD_REGISTRY)


def this_host() -> str:
    return socket.gethostname()


TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now() -> str:
    """The current UTC time as the store writes it: ``2026-05-27T00:00:06Z``."""
    return datetime.now(timezone.utc).strftime(TIME_FORMAT)


def seconds_from_now(seconds: float) -> str:
    """The time ``seconds`` from now as :func:`now` writes it, rounded up to the second."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.strftime(TIME_FORMAT)


def parse_time(text: str | None) -> datetime | None:
    """A time :func:`now` wrote, as an aware UTC datetime (``None`` if it is not one)."""
    if not text:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


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
