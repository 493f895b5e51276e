"""``doctor``: options in, one call to :func:`yoi_ticket.doctor.api.run_doctor`, the report out.

The ``[doctor]`` config defaults and the exit decision are the doctor's
(:mod:`yoi_ticket.doctor.api`); this module only maps the decision to the exit code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, get_args

import typer

from yoi_ticket.cli import completion, display
from yoi_ticket.cli.options import WorkspaceOption, choices_metavar, split_codes, workspace_path

Format = Literal["text", "concise", "json", "github", "sarif"]
"""The renderers' names (``doctor.render.FORMATS``; a test keeps the two equal)."""
FailOn = Literal["error", "warning", "never"]
"""``store.config.FAIL_ON_VALUES`` (a test keeps the two equal)."""

PathsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="PATH", help="Only check these paths (files or folders).", show_default=False
    ),
]
FormatOption = Annotated[
    Format,
    typer.Option("--format", metavar=choices_metavar(get_args(Format)), help="Output format."),
]
FailOnOption = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        metavar=choices_metavar(get_args(FailOn)),
        help="Exit 1 on findings of this severity or worse (default: error).",
        show_default=False,
    ),
]
SelectOption = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        metavar="CODE",
        help="Only these codes or prefixes (YT3, YT301).",
        show_default=False,
        autocompletion=completion.rule_codes,
    ),
]
IgnoreOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        metavar="CODE",
        help="Skip these codes or prefixes.",
        show_default=False,
        autocompletion=completion.rule_codes,
    ),
]
NoLocalOption = Annotated[
    bool, typer.Option("--no-local", help="Skip overlay and runtime checks (as CI sees it).")
]
StagedOption = Annotated[
    bool, typer.Option("--staged", help="Check what is staged in the git index.")
]
HookOption = Annotated[
    bool,
    typer.Option(
        "--hook",
        help="As a pre-commit hook: the tickets of the PATHs given, staged while git commits,"
        " else in the work tree.",
    ),
]
AgainstOption = Annotated[
    str | None, typer.Option("--against", metavar="REF", help="Predict conflicts with REF.")
]
MergeCommitOption = Annotated[
    str | None,
    typer.Option("--merge-commit", metavar="REV", help="Check a merge commit for lost events."),
]
MergesOption = Annotated[
    str | None,
    typer.Option(
        "--merges",
        metavar="RANGE",
        help="Check every merge of a revision range (main~300..main) for lost events.",
    ),
]
FixOption = Annotated[bool, typer.Option("--fix", help="Apply the safe fixes.")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="With --fix: list the fixes only.")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write the report to this file.", show_default=False
    ),
]
ExplainOption = Annotated[
    str | None,
    typer.Option(
        "--explain",
        metavar="CODE",
        help="Print a rule's documentation.",
        show_default=False,
        autocompletion=completion.rule_codes,
    ),
]
ListRulesOption = Annotated[bool, typer.Option("--list-rules", help="List all rules.")]
BaselineOption = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        metavar="FILE",
        help="Report and fail only on findings not in this baseline (default: [doctor] baseline).",
        show_default=False,
    ),
]
WriteBaselineOption = Annotated[
    Path | None,
    typer.Option(
        "--write-baseline",
        metavar="FILE",
        help="Record every finding of this run in FILE, then report against it.",
        show_default=False,
    ),
]
NoBaselineOption = Annotated[
    bool, typer.Option("--no-baseline", help="Ignore [doctor] baseline: report every finding.")
]
QuietOption = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Errors only; nothing at all when none and the run passes."),
]
StatisticsOption = Annotated[
    bool, typer.Option("--statistics", help="Count the findings per code instead of listing them.")
]


def doctor_command(
    paths: PathsArgument = None,
    fmt: FormatOption = "text",
    fail_on: FailOnOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    no_local: NoLocalOption = False,
    staged: StagedOption = False,
    hook: HookOption = False,
    against: AgainstOption = None,
    merge_commit: MergeCommitOption = None,
    merges: MergesOption = None,
    fix: FixOption = False,
    dry_run: DryRunOption = False,
    output: OutputOption = None,
    explain: ExplainOption = None,
    list_rules: ListRulesOption = False,
    workspace: WorkspaceOption = None,
    baseline: BaselineOption = None,
    write_baseline: WriteBaselineOption = None,
    no_baseline: NoBaselineOption = False,
    quiet: QuietOption = False,
    statistics: StatisticsOption = False,
) -> int:
    """Check tickets, local claims and merge state; exit 1 on findings."""
    if explain is not None or list_rules:
        return _rules(explain)
    _check(fix=fix, dry_run=dry_run, output=output, hook=hook, staged=staged)
    _check_statistics(fmt, statistics)
    from yoi_ticket.doctor.api import run_doctor
    from yoi_ticket.doctor.context import DoctorOptions

    root = workspace_path(workspace)
    display.config_warnings(root)
    options = DoctorOptions(
        select=split_codes(select),
        ignore=split_codes(ignore),
        fail_on=fail_on,
        no_local=no_local,
        staged=staged,
        hook=hook,
        against=against,
        merge_commit=merge_commit,
        merges=merges,
        paths=_relative_paths(root, paths or [], must_exist=not hook),
        fix=fix,
        dry_run=dry_run,
        baseline=_absolute(baseline),
        write_baseline=_absolute(write_baseline),
        no_baseline=no_baseline,
        quiet=quiet,
    )
    wanted = display.progress_wanted(fmt, output)
    with (
        display.ProgressBar(enabled=wanted) as bar,
        display.ProgressBar(enabled=wanted, label="Checking merges") as merge_bar,
    ):
        report = run_doctor(root, options, progress=bar.update, merge_progress=merge_bar.update)
    display.print_report(report, fmt, output, statistics=statistics)
    return report.exit_code


def _rules(explain: str | None) -> int:
    """``--explain CODE`` (a rule's documentation) or ``--list-rules``: no workspace needed."""
    from yoi_ticket.doctor.registry import RULES, get_rule

    if explain is not None:
        display.echo(get_rule(explain).explain(), nl=False)
        return 0
    for rule in RULES:
        display.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.scope:<6}  {rule.title}")
    return 0


def _check(*, fix: bool, dry_run: bool, output: Path | None, hook: bool, staged: bool) -> None:
    from yoi_ticket.errors import UsageError

    if dry_run and not fix:
        raise UsageError("--dry-run only makes sense with --fix")
    if hook and staged:
        raise UsageError("--hook reads the index while git commits and the work tree otherwise")
    if output is not None:
        display.check_output(output)


def _check_statistics(fmt: str, statistics: bool) -> None:
    from yoi_ticket.doctor.render import STATISTICS_FORMATS

    if statistics and fmt not in STATISTICS_FORMATS:
        from yoi_ticket.errors import UsageError

        raise UsageError(f"--statistics works with --format {', '.join(STATISTICS_FORMATS)}")


def _absolute(path: Path | None) -> Path | None:
    """A file given on the command line, relative to the current directory."""
    return None if path is None else Path(os.path.abspath(path))


def _relative_paths(root: Path, paths: list[str], *, must_exist: bool) -> tuple[str, ...]:
    """Paths as given (relative to the current directory) as workspace-relative paths; each
    must exist unless ``must_exist`` is false (``--hook``: pre-commit names staged files,
    which the work tree may lack)."""
    from yoi_ticket.errors import UsageError

    relative = []
    for path in paths:
        absolute = Path(os.path.abspath(path))
        try:
            relative.append(absolute.relative_to(root).as_posix())
        except ValueError:
            raise UsageError(f"{path}: not inside the workspace {root}") from None
        if must_exist and not os.path.lexists(absolute):
            raise UsageError(f"{path}: no such file or directory")
    return tuple(relative)


COMMANDS = (("doctor", doctor_command),)
