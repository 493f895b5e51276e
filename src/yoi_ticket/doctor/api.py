"""One call that runs doctor the way the CLI does: options in, report out.

The policy lives here, not in the CLI: the ``[doctor]`` defaults of
``.yoi/ticket.config.toml`` (``select``, ``ignore``, ``fail_on``; values given in
:class:`DoctorOptions` win), and the exit decision (:attr:`Report.failed`,
:attr:`Report.exit_code`), which the CLI only turns into the process's exit code.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.registry import check_patterns
from yoi_ticket.doctor.report import Report
from yoi_ticket.doctor.runner import Progress, make_context, run, selected_rules
from yoi_ticket.errors import ConfigError, UsageError
from yoi_ticket.store.config import CONFIG_PATH, FAIL_ON_VALUES, load_config

DEFAULT_FAIL_ON = "error"


def run_doctor(
    workspace: Path, options: DoctorOptions | None = None, *, progress: Progress | None = None
) -> Report:
    """Check ``workspace`` with ``options`` (completed by :func:`resolve_options`) and
    return the sorted diagnostics and the exit decision (``report.exit_code``)."""
    resolved = resolve_options(workspace, options or DoctorOptions())
    report = _run(workspace, resolved, progress)
    return dataclasses.replace(
        report, repo_prefix=repo_prefix(workspace), fail_on=resolved.fail_on or DEFAULT_FAIL_ON
    )


def resolve_options(workspace: Path, options: DoctorOptions) -> DoctorOptions:
    """``options`` with the workspace's ``[doctor]`` defaults filled in.

    Values given win: an empty ``select`` or ``ignore`` takes the config's codes, a
    ``fail_on`` of ``None`` the config's ``fail_on``, else ``"error"``.
    """
    defaults = load_config(workspace).doctor
    for key, codes, given in (
        ("select", defaults.select, options.select),
        ("ignore", defaults.ignore, options.ignore),
    ):
        if codes and not given:
            _check_config_codes(key, codes)
    fail_on = options.fail_on or defaults.fail_on or DEFAULT_FAIL_ON
    if fail_on not in FAIL_ON_VALUES:
        raise UsageError(f"fail_on must be one of {', '.join(FAIL_ON_VALUES)}, not {fail_on!r}")
    return dataclasses.replace(
        options,
        select=options.select or defaults.select,
        ignore=options.ignore or defaults.ignore,
        fail_on=fail_on,
    )


def _check_config_codes(key: str, codes: tuple[str, ...]) -> None:
    """A code of the config that matches no rule: an error naming the file and the key."""
    try:
        check_patterns(codes)
    except UsageError as exc:
        raise ConfigError(f"{CONFIG_PATH}: [doctor] {key}: {exc.message}", hint=exc.hint) from None


def repo_prefix(workspace: Path) -> str:
    """The workspace relative to the nearest enclosing git worktree ("" when none or the root)."""
    for candidate in (workspace, *workspace.parents):
        if (candidate / ".git").exists():
            relative = os.path.relpath(workspace, candidate)
            return "" if relative == "." else Path(relative).as_posix() + "/"
    return ""


def _run(workspace: Path, options: DoctorOptions, progress: Progress | None) -> Report:
    if options.hook:
        from yoi_ticket.doctor.hook import hook_options
        from yoi_ticket.store.reader import Store

        options = hook_options(Store(workspace), options)
    if options.staged:
        from yoi_ticket.doctor.staged import run_staged

        return run_staged(workspace, options, progress=progress)
    rules = selected_rules(options)
    ctx = make_context(workspace, options, rules)
    try:
        ctx.git.check_options()
        diagnostics = run(ctx, rules, progress=progress)
        fixes: list[str] = []
        if options.fix:
            from yoi_ticket.doctor.fixes import apply_fixes

            outcome = apply_fixes(ctx, diagnostics, dry_run=options.dry_run)
            diagnostics, fixes = outcome.diagnostics, outcome.lines
    finally:
        ctx.git.close()
    return Report(
        workspace=os.fspath(workspace),
        diagnostics=diagnostics,
        tickets_checked=len(ctx.index.summaries),
        fixes=fixes,
    )
