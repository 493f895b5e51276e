"""The workspace's configuration: the store root, ``[doctor]`` defaults (``select``,
``ignore``, ``fail_on``, ``baseline``) and roles.

Two files are read, as yoi reads them (``crates/ticket/src/config.rs``):

- ``.yoi/workspace.toml`` (yoi's workspace settings): when it holds a ``[ticket]`` table,
  that table is the authority for the store root (``[ticket.backend] root``, default
  ``.yoi/tickets``) and ``.yoi/ticket.config.toml``'s ``[backend]`` is ignored;
- ``.yoi/ticket.config.toml``: the store root (``[backend] root``) when the settings
  have no ``[ticket]`` table, and always our ``[doctor]`` defaults and ``[roles]``.

Unknown sections and keys are ignored (other tools share these files), except an
unknown ``[doctor]`` key, which is ours and most likely a typo: it becomes a warning in
:attr:`TicketConfig.warnings`. A file that is not valid TOML, or a known key of the
wrong type, is a one-line error naming the file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yoi_ticket.errors import ConfigError

MARKER = ".yoi"
CONFIG_PATH = ".yoi/ticket.config.toml"
SETTINGS_PATH = ".yoi/workspace.toml"
DEFAULT_STORE_ROOT = ".yoi/tickets"
FAIL_ON_VALUES = ("error", "warning", "never")
DOCTOR_KEYS = ("baseline", "fail_on", "ignore", "select")
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class DoctorDefaults:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    baseline: str | None = None  # a path relative to the workspace


@dataclass(frozen=True)
class TicketConfig:
    store_root: str = DEFAULT_STORE_ROOT
    doctor: DoctorDefaults = field(default_factory=DoctorDefaults)
    roles: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    """What the files hold that nothing reads, one line each (the CLI prints them)."""
    outside: str | None = None  # why .yoi/ (or a config file) was not read: it escapes


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
    """Read the workspace's config files; missing files give the defaults, and so do files
    that resolve outside the workspace (``.yoi`` or a config file a symlink out of it),
    which are not read: ``outside`` says why, and the store is not read either."""
    for relative in (MARKER, CONFIG_PATH, SETTINGS_PATH):
        outside = outside_reason(workspace, relative)
        if outside is not None:
            return TicketConfig(outside=outside)
    raw = _read_toml(workspace, CONFIG_PATH)
    settings = _read_toml(workspace, SETTINGS_PATH)
    ticket = settings.get("ticket")
    if ticket is not None:
        if not isinstance(ticket, dict):
            raise ConfigError(f"{SETTINGS_PATH}: [ticket] must be a table")
        backend = _table(ticket, "backend", SETTINGS_PATH, "ticket.backend")
        root = _store_root(backend, SETTINGS_PATH, "[ticket.backend]")
        settings_roles = tuple(_table(ticket, "roles", SETTINGS_PATH, "ticket.roles"))
    else:
        backend = _table(raw, "backend", CONFIG_PATH, "backend")
        root = _store_root(backend, CONFIG_PATH, "[backend]")
        settings_roles = ()
    doctor = _table(raw, "doctor", CONFIG_PATH, "doctor")
    roles = (*settings_roles, *(str(name) for name in _table(raw, "roles", CONFIG_PATH, "roles")))
    return TicketConfig(
        store_root=root,
        doctor=_doctor_defaults(doctor),
        roles=tuple(dict.fromkeys(roles)),
        raw=raw,
        warnings=tuple(
            f"{CONFIG_PATH}: unknown key {key!r} in [doctor] (known: {', '.join(DOCTOR_KEYS)})"
            for key in doctor
            if key not in DOCTOR_KEYS
        ),
    )


def _read_toml(workspace: Path, relative: str) -> dict[str, Any]:
    """The TOML document at ``workspace/relative``; ``{}`` when there is no such file."""
    from yoi_ticket.files.fsutil import read_regular

    try:
        data = read_regular(workspace / relative, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {relative}: {exc.strerror or exc}") from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{relative} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        document: dict[str, Any] = tomllib.loads(data.decode("utf-8-sig"))
        return document
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{relative} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{relative} is not valid TOML: nested too deeply") from None


def _table(raw: dict[str, Any], name: str, path: str, shown: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{shown}] must be a table")
    return value


def _store_root(backend: dict[str, Any], path: str, section: str) -> str:
    root = backend.get("root", DEFAULT_STORE_ROOT)
    if not isinstance(root, str) or not root.strip():
        raise ConfigError(f"{path}: {section} root must be a non-empty string")
    candidate = Path(root)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise ConfigError(f"{path}: {section} root {root!r} must be a path inside the workspace")
    return candidate.as_posix()


def _doctor_defaults(doctor: dict[str, Any]) -> DoctorDefaults:
    fail_on = doctor.get("fail_on")
    if fail_on is not None and fail_on not in FAIL_ON_VALUES:
        raise ConfigError(
            f"{CONFIG_PATH}: [doctor] fail_on must be one of {', '.join(FAIL_ON_VALUES)}"
        )
    baseline = doctor.get("baseline")
    if baseline is not None and (not isinstance(baseline, str) or not baseline.strip()):
        raise ConfigError(f"{CONFIG_PATH}: [doctor] baseline must be a non-empty path")
    return DoctorDefaults(
        select=_codes(doctor, "select"),
        ignore=_codes(doctor, "ignore"),
        fail_on=fail_on,
        baseline=baseline,
    )


def _codes(doctor: dict[str, Any], key: str) -> tuple[str, ...]:
    value = doctor.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{CONFIG_PATH}: [doctor] {key} must be a list of rule codes")
    return tuple(v.strip().upper() for v in value if v.strip())
