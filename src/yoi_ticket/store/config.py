"""``.yoi/ticket.config.toml``: the store root and ``[doctor]`` defaults.

Unknown sections and keys are ignored (other tools share this file); a file
that is not valid TOML, or a known key of the wrong type, is a one-line error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yoi_ticket.errors import ConfigError

MARKER = ".yoi"
CONFIG_PATH = ".yoi/ticket.config.toml"
DEFAULT_STORE_ROOT = ".yoi/tickets"
FAIL_ON_VALUES = ("error", "warning", "never")
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class DoctorDefaults:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None


@dataclass(frozen=True)
class TicketConfig:
    store_root: str = DEFAULT_STORE_ROOT
    doctor: DoctorDefaults = field(default_factory=DoctorDefaults)
    roles: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    outside: str | None = None  # why .yoi/ (or the config file) was not read: it escapes


def outside_reason(workspace: Path, relative: str) -> str | None:
    """Why ``relative`` (a path in the workspace, such as ``.yoi/tickets``) must not be
    read: through a symlink (or several) it resolves outside the workspace. ``None`` when
    it stays inside (or does not exist, as far as it does not)."""
    import os

    real = os.path.realpath(workspace)
    target = os.path.realpath(os.path.join(workspace, relative))
    if target == real or target.startswith(real.rstrip(os.sep) + os.sep):
        return None
    return f"{relative} resolves outside the workspace, to {target}"


def load_config(workspace: Path) -> TicketConfig:
    """Read the workspace's config; a missing file gives the defaults, and so does one
    that resolves outside the workspace (``.yoi`` or the file a symlink out of it), which
    is not read: ``outside`` says why, and the store is not read either."""
    from yoi_ticket.files.fsutil import read_regular

    for relative in (MARKER, CONFIG_PATH):
        outside = outside_reason(workspace, relative)
        if outside is not None:
            return TicketConfig(outside=outside)
    path = workspace / CONFIG_PATH
    try:
        data = read_regular(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return TicketConfig()
    except OSError as exc:
        raise ConfigError(f"cannot read {CONFIG_PATH}: {exc.strerror or exc}") from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{CONFIG_PATH} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{CONFIG_PATH} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{CONFIG_PATH} is not valid TOML: nested too deeply") from None
    return TicketConfig(
        store_root=_store_root(raw),
        doctor=_doctor_defaults(raw),
        roles=tuple(str(name) for name in _table(raw, "roles")),
        raw=raw,
    )


def _table(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{CONFIG_PATH}: [{name}] must be a table")
    return value


def _store_root(raw: dict[str, Any]) -> str:
    root = _table(raw, "backend").get("root", DEFAULT_STORE_ROOT)
    if not isinstance(root, str) or not root.strip():
        raise ConfigError(f"{CONFIG_PATH}: [backend] root must be a non-empty string")
    candidate = Path(root)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise ConfigError(
            f"{CONFIG_PATH}: [backend] root {root!r} must be a path inside the workspace"
        )
    return candidate.as_posix()


def _doctor_defaults(raw: dict[str, Any]) -> DoctorDefaults:
    doctor = _table(raw, "doctor")
    fail_on = doctor.get("fail_on")
    if fail_on is not None and fail_on not in FAIL_ON_VALUES:
        raise ConfigError(
            f"{CONFIG_PATH}: [doctor] fail_on must be one of {', '.join(FAIL_ON_VALUES)}"
        )
    return DoctorDefaults(
        select=_codes(doctor, "select"), ignore=_codes(doctor, "ignore"), fail_on=fail_on
    )


def _codes(doctor: dict[str, Any], key: str) -> tuple[str, ...]:
    value = doctor.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{CONFIG_PATH}: [doctor] {key} must be a list of rule codes")
    return tuple(v.strip().upper() for v in value if v.strip())
