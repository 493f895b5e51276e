"""One call that runs doctor the way the CLI does: options in, report out."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.report import Report
from yoi_ticket.doctor.runner import Progress, make_context, run, selected_rules


def run_doctor(
    workspace: Path, options: DoctorOptions, *, progress: Progress | None = None
) -> Report:
    """Check ``workspace`` with ``options`` and return the sorted diagnostics."""
    report = _run(workspace, options, progress)
    return dataclasses.replace(report, repo_prefix=repo_prefix(workspace))


def repo_prefix(workspace: Path) -> str:
    """The workspace relative to the nearest enclosing git worktree ("" when none or the root)."""
    for candidate in (workspace, *workspace.parents):
        if (candidate / ".git").exists():
            relative = os.path.relpath(workspace, candidate)
            return "" if relative == "." else Path(relative).as_posix() + "/"
    return ""


def _run(workspace: Path, options: DoctorOptions, progress: Progress | None) -> Report:
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
