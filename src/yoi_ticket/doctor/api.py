"""One call that runs doctor the way the CLI does: options in, report out.

The policy lives here, not in the CLI: the ``[doctor]`` defaults of
``.yoi/ticket.config.toml`` (``select``, ``ignore``, ``fail_on``, ``baseline``; values
given in :class:`DoctorOptions` win), what a baseline and ``--quiet`` leave out, and the
exit decision (:attr:`Report.failed`, :attr:`Report.exit_code`), which the CLI only turns
into the process's exit code.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from yoi_ticket.doctor.baseline import (
    Baseline,
    BaselineSummary,
    BaselineWriter,
    Fingerprinted,
    check_writable,
)
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic, Severity
from yoi_ticket.doctor.registry import check_patterns
from yoi_ticket.doctor.report import Report
from yoi_ticket.doctor.runner import Progress, make_context, run, selected_rules
from yoi_ticket.errors import ConfigError, UsageError
from yoi_ticket.store.config import CONFIG_PATH, FAIL_ON_VALUES, load_config

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
    given = options or DoctorOptions()
    resolved = resolve_options(workspace, given)
    _check_git_options(resolved)
    baseline = None
    if resolved.write_baseline is not None:
        check_writable(resolved.write_baseline, _shown(workspace, resolved.write_baseline))
    elif resolved.baseline is not None:  # read before the run: a bad file fails at once
        origin = "" if given.baseline else f" ([doctor] baseline in {CONFIG_PATH})"
        shown = _shown(workspace, resolved.baseline)
        baseline = Baseline.load(resolved.baseline, shown=shown, origin=origin)
    report = _run(workspace, resolved, progress, merge_progress)
    if resolved.fix and report.fix_summary is None:
        reason = "--staged" if resolved.staged else "--hook" if resolved.hook else "--no-local"
        report = dataclasses.replace(
            report,
            fix_summary=f"Nothing to fix: the safe fixes are local, and {reason} skips them.",
        )
    report = dataclasses.replace(
        report, repo_prefix=repo_prefix(workspace), fail_on=resolved.fail_on or DEFAULT_FAIL_ON
    )
    return _leave_out(report, workspace, resolved, baseline)


def resolve_options(workspace: Path, options: DoctorOptions) -> DoctorOptions:
    """``options`` with the workspace's ``[doctor]`` defaults filled in.

    Values given win: an empty ``select`` or ``ignore`` takes the config's codes, a
    ``fail_on`` of ``None`` the config's ``fail_on``, else ``"error"``; a ``baseline`` of
    ``None`` the config's ``baseline`` (unless ``no_baseline``). Baseline paths are made
    absolute against the workspace.
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
    _check_baseline_options(options)
    baseline = options.baseline
    if baseline is None and not options.no_baseline and defaults.baseline:
        baseline = Path(defaults.baseline)
    return dataclasses.replace(
        options,
        select=options.select or defaults.select,
        ignore=options.ignore or defaults.ignore,
        fail_on=fail_on,
        baseline=None if baseline is None else workspace / baseline,
        write_baseline=None
        if options.write_baseline is None
        else workspace / options.write_baseline,
    )


def _check_config_codes(key: str, codes: tuple[str, ...]) -> None:
    """A code of the config that matches no rule: an error naming the file and the key."""
    try:
        check_patterns(codes)
    except UsageError as exc:
        raise ConfigError(f"{CONFIG_PATH}: [doctor] {key}: {exc.message}", hint=exc.hint) from None


def _check_baseline_options(options: DoctorOptions) -> None:
    if options.baseline is not None and options.no_baseline:
        raise UsageError("--baseline and --no-baseline exclude each other")
    if options.write_baseline is None:
        return
    if options.baseline is not None:
        raise UsageError(
            "--baseline and --write-baseline exclude each other",
            hint="--write-baseline FILE records every finding; the run then reports against FILE",
        )
    if options.staged or options.hook or options.paths:
        what = "--staged" if options.staged else "--hook" if options.hook else "PATH arguments"
        raise UsageError(
            f"--write-baseline records a whole run, not one restricted by {what}",
            hint="run 'yoi ticket doctor --write-baseline FILE' without them",
        )


def _shown(workspace: Path, path: Path) -> str:
    """``path`` as messages name it: relative to the workspace when inside it."""
    try:
        return path.relative_to(workspace).as_posix()
    except ValueError:
        return os.fspath(path)


def _leave_out(
    report: Report, workspace: Path, options: DoctorOptions, baseline: Baseline | None
) -> Report:
    """``report`` without what the baseline holds and, with ``--quiet``, without warnings
    and info: one pass over the sorted diagnostics, each kept with its fingerprint.

    Without a baseline or ``--quiet`` nothing is left out and no fingerprint is computed
    (a renderer that needs them, SARIF, computes them from the diagnostics)."""
    if options.write_baseline is None and baseline is None and not options.quiet:
        return report
    findings = report.fingerprinted()
    summary = None
    if options.write_baseline is not None:
        shown = _shown(workspace, options.write_baseline)
        writer = BaselineWriter()
        recorded = sum(1 for _ in writer.record(findings))
        writer.write(options.write_baseline, shown=shown)
        summary = BaselineSummary(shown, matched=recorded, gone=0, written=True)
        findings = iter(())  # every finding is in the baseline just written
    elif baseline is not None:
        findings = baseline.new_findings(findings)
    hidden = None
    if options.quiet:
        hidden = {Severity.WARNING.value: 0, Severity.INFO.value: 0}
        findings = _errors_only(findings, hidden)
    kept = list(findings)
    if baseline is not None:
        summary = baseline.summary()
    return dataclasses.replace(
        report,
        diagnostics=[diagnostic for diagnostic, _ in kept],
        fingerprints=tuple(fingerprint for _, fingerprint in kept),
        baseline=summary,
        hidden=hidden,
    )


def _errors_only(
    findings: Iterator[Fingerprinted], hidden: dict[str, int]
) -> Iterator[Fingerprinted]:
    for finding in findings:
        severity = finding[0].severity
        if severity is Severity.ERROR:
            yield finding
        else:
            hidden[severity.value] += 1


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
    others = (
        (options.merge_commit, "--merge-commit"),
        (options.staged, "--staged"),
        (options.hook, "--hook"),
    )
    for given, name in others:
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
    if options.hook:
        from yoi_ticket.doctor.hook import hook_options
        from yoi_ticket.store.reader import Store

        options = hook_options(Store(workspace), options)
    if options.staged:
        from yoi_ticket.doctor.staged import run_staged

        return run_staged(workspace, options, progress=progress)
    rules = selected_rules(options)
    ctx = make_context(workspace, options, rules)
    ctx.merge_progress = merge_progress
    try:
        ctx.git.check_options()
        diagnostics: Sequence[Diagnostic] = run(ctx, rules, progress=progress)
        fixes: list[str] = []
        fix_summary = None
        if options.fix and not options.no_local:
            from yoi_ticket.doctor.fixes import apply_fixes

            outcome = apply_fixes(ctx, diagnostics, dry_run=options.dry_run)
            diagnostics, fixes, fix_summary = outcome.diagnostics, outcome.lines, outcome.summary()
    finally:
        ctx.git.close()
    return Report(
        workspace=os.fspath(workspace),
        diagnostics=diagnostics,
        tickets_checked=len(ctx.index.summaries),
        fixes=fixes,
        fix_summary=fix_summary,
    )
