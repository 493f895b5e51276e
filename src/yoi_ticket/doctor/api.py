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
from yoi_ticket.doctor.report import Report
from yoi_ticket.doctor.runner import Progress, make_context, run, selected_rules
from yoi_ticket.errors import UsageError
from yoi_ticket.store.config import FAIL_ON_VALUES, load_config

DEFAULT_FAIL_ON = "error"


def run_doctor(
    workspace: Path,
    options: DoctorOptions | None = None,
    *,
    progress: Progress | None = None,
    merge_progress: Progress | None = None,
) -> Report:
    """Check ``workspace`` with ``options`` (completed by :func:`resolve_options`) and
    return the sorted diagnostics and the exit decision (``report.exit_code``).
    ``progress`` is told ``(done, total)`` as tickets are checked, ``merge_progress`` as
    the merges of ``--merges`` are."""
    resolved = resolve_options(workspace, options or DoctorOptions())
    _check_git_options(resolved)
    report = _run(workspace, resolved, progress, merge_progress)
    return dataclasses.replace(
        report, repo_prefix=repo_prefix(workspace), fail_on=resolved.fail_on or DEFAULT_FAIL_ON
    )


def resolve_options(workspace: Path, options: DoctorOptions) -> DoctorOptions:
    """``options`` with the workspace's ``[doctor]`` defaults filled in.

    Values given win: an empty ``select`` or ``ignore`` takes the config's codes, a
    ``fail_on`` of ``None`` the config's ``fail_on``, else ``"error"``.
    """
    defaults = load_config(workspace).doctor
    fail_on = options.fail_on or defaults.fail_on or DEFAULT_FAIL_ON
    if fail_on not in FAIL_ON_VALUES:
        raise UsageError(f"fail_on must be one of {', '.join(FAIL_ON_VALUES)}, not {fail_on!r}")
    return dataclasses.replace(
        options,
        select=options.select or defaults.select,
        ignore=options.ignore or defaults.ignore,
        fail_on=fail_on,
    )


def repo_prefix(workspace: Path) -> str:
    """The workspace relative to the nearest enclosing git worktree ("" when none or the root)."""
    for candidate in (workspace, *workspace.parents):
        if (candidate / ".git").exists():
            relative = os.path.relpath(workspace, candidate)
            return "" if relative == "." else Path(relative).as_posix() + "/"
    return ""


def _check_git_options(options: DoctorOptions) -> None:
    """``--merges`` checks a range of merges, so it goes with no other merge to check."""
    if options.merges is None:
        return
    for given, name in ((options.merge_commit, "--merge-commit"), (options.staged, "--staged")):
        if given:
            raise UsageError(
                f"--merges and {name} do not go together",
                hint="--merges checks every merge of its range; give the merge to check there",
            )


def _run(
    workspace: Path,
    options: DoctorOptions,
    progress: Progress | None,
    merge_progress: Progress | None,
) -> Report:
    if options.staged:
        from yoi_ticket.doctor.staged import run_staged

        return run_staged(workspace, options, progress=progress)
    rules = selected_rules(options)
    ctx = make_context(workspace, options, rules)
    ctx.merge_progress = merge_progress
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
