"""Reading the configuration: ``.yoi/workspace.toml`` (yoi's) first for the store root,
``.yoi/ticket.config.toml`` as the fallback and for ``[doctor]``; errors name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from yoi_ticket.errors import ConfigError
from yoi_ticket.store.config import load_config

LEGACY = '[backend]\nprovider = "builtin:yoi_local"\nroot = "legacy-tickets"\n'


def workspace_with(tmp_path: Path, *, settings: str | None, legacy: str | None) -> Path:
    (tmp_path / ".yoi").mkdir()
    if settings is not None:
        (tmp_path / ".yoi" / "workspace.toml").write_text(settings, encoding="utf-8")
    if legacy is not None:
        (tmp_path / ".yoi" / "ticket.config.toml").write_text(legacy, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("settings", "legacy", "root"),
    [
        (None, None, ".yoi/tickets"),
        (None, LEGACY, "legacy-tickets"),
        ('[ticket.backend]\nroot = "workspace-tickets"\n', LEGACY, "workspace-tickets"),
        # A [ticket] table makes the settings the authority: its default root wins.
        ('[ticket]\nlanguage = "Japanese"\n', LEGACY, ".yoi/tickets"),
        # Settings without [ticket] leave the root to ticket.config.toml.
        ('workspace_id = "00000000-0000-7000-8000-000000000000"\n', LEGACY, "legacy-tickets"),
        ('[ticket.backend]\nroot = "./nested//tickets/"\n', None, "nested/tickets"),
    ],
)
def test_store_root_precedence(
    tmp_path: Path, settings: str | None, legacy: str | None, root: str
) -> None:
    assert load_config(workspace_with(tmp_path, settings=settings, legacy=legacy)).store_root == (
        root
    )


def test_doctor_defaults_stay_in_ticket_config(tmp_path: Path) -> None:
    workspace = workspace_with(
        tmp_path,
        settings='[ticket.backend]\nroot = "t"\n\n[doctor]\nfail_on = "never"\n',
        legacy='[doctor]\nfail_on = "warning"\nselect = ["yt2"]\n',
    )
    config = load_config(workspace)
    assert (config.doctor.fail_on, config.doctor.select) == ("warning", ("YT2",))
    assert config.warnings == ()


def test_roles_of_both_files(tmp_path: Path) -> None:
    workspace = workspace_with(
        tmp_path,
        settings='[ticket.roles.coder]\nprofile = "builtin:coder"\n',
        legacy='[roles.tester]\nprofile = "x"\n',
    )
    assert load_config(workspace).roles == ("coder", "tester")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("[ticket\n", ".yoi/workspace.toml is not valid TOML: "),
        ("ticket = 3\n", ".yoi/workspace.toml: [ticket] must be a table"),
        ("[ticket]\nbackend = 3\n", ".yoi/workspace.toml: [ticket.backend] must be a table"),
        (
            '[ticket.backend]\nroot = "/abs"\n',
            ".yoi/workspace.toml: [ticket.backend] root '/abs' must be a path inside the workspace",
        ),
        (
            "[ticket.backend]\nroot = 7\n",
            ".yoi/workspace.toml: [ticket.backend] root must be a non-empty string",
        ),
    ],
)
def test_a_bad_settings_file_is_named(tmp_path: Path, settings: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(workspace_with(tmp_path, settings=settings, legacy=None))
    assert raised.value.message.startswith(message)


def test_unknown_doctor_keys_are_warnings_naming_file_and_key(tmp_path: Path) -> None:
    workspace = workspace_with(
        tmp_path,
        settings=None,
        legacy=(
            '[doctor]\nselct = ["YT1"]\nfail_on = "never"\nbaseline-file = "x"\n\n[other]\nk = 1\n'
        ),
    )
    config = load_config(workspace)
    assert config.doctor.fail_on == "never"
    assert config.warnings == (
        ".yoi/ticket.config.toml: unknown key 'selct' in [doctor]"
        " (known: baseline, fail_on, ignore, select)",
        ".yoi/ticket.config.toml: unknown key 'baseline-file' in [doctor]"
        " (known: baseline, fail_on, ignore, select)",
    )
