"""``doctor``: options in, one call to :func:`yoi_ticket.doctor.api.run_doctor`, the report out.

The ``[doctor]`` config defaults and the exit decision are the doctor's
(:mod:`yoi_ticket.doctor.api`); this module only maps the decision to the exit code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from yoi_ticket.cli import display
from yoi_ticket.cli.options import WorkspaceOption, choice, split_codes, workspace_path

PathsArgument = Annotated[
    list[str] | None, typer.Argument(metavar="[PATH]...", help="Only check these paths.")
]
FormatOption = Annotated[str, typer.Option("--format", help="text, json, github or sarif.")]
FailOnOption = Annotated[
    str | None,
    typer.Option("--fail-on", help="error, warning or never (default: error).", show_default=False),
]
SelectOption = Annotated[
    list[str] | None, typer.Option("--select", help="Only these codes or prefixes (YT3, YT301).")
]
IgnoreOption = Annotated[
    list[str] | None, typer.Option("--ignore", help="Skip these codes or prefixes.")
]
NoLocalOption = Annotated[
    bool, typer.Option("--no-local", help="Skip overlay and runtime checks (as CI sees it).")
]
StagedOption = Annotated[
    bool, typer.Option("--staged", help="Check what is staged in the git index.")
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
    Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
]
ExplainOption = Annotated[
    str | None, typer.Option("--explain", metavar="CODE", help="Print a rule's documentation.")
]
ListRulesOption = Annotated[bool, typer.Option("--list-rules", help="List all rules.")]


def doctor_command(
    paths: PathsArgument = None,
    fmt: FormatOption = "text",
    fail_on: FailOnOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    no_local: NoLocalOption = False,
    staged: StagedOption = False,
    against: AgainstOption = None,
    merge_commit: MergeCommitOption = None,
    merges: MergesOption = None,
    fix: FixOption = False,
    dry_run: DryRunOption = False,
    output: OutputOption = None,
    explain: ExplainOption = None,
    list_rules: ListRulesOption = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Check tickets, local claims and merge state; exit 1 on findings."""
    from yoi_ticket.doctor.render import FORMATS

    choice(fmt, FORMATS, "--format")
    if explain is not None or list_rules:
        return _rules(explain)
    _check(fail_on, fix=fix, dry_run=dry_run)
    from yoi_ticket.doctor.api import run_doctor
    from yoi_ticket.doctor.context import DoctorOptions

    root = workspace_path(workspace)
    options = DoctorOptions(
        select=split_codes(select),
        ignore=split_codes(ignore),
        fail_on=fail_on,
        no_local=no_local,
        staged=staged,
        against=against,
        merge_commit=merge_commit,
        merges=merges,
        paths=_relative_paths(root, paths or []),
        fix=fix,
        dry_run=dry_run,
    )
    wanted = display.progress_wanted(fmt, output)
    with (
        display.ProgressBar(enabled=wanted) as bar,
        display.ProgressBar(enabled=wanted, label="Checking merges") as merge_bar,
    ):
        report = run_doctor(root, options, progress=bar.update, merge_progress=merge_bar.update)
    display.print_report(report, fmt, output)
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


def _check(fail_on: str | None, *, fix: bool, dry_run: bool) -> None:
    from yoi_ticket.errors import UsageError
    from yoi_ticket.store.config import FAIL_ON_VALUES

    if dry_run and not fix:
        raise UsageError("--dry-run only makes sense with --fix")
    if fail_on is not None:
        choice(fail_on, FAIL_ON_VALUES, "--fail-on")


def _relative_paths(root: Path, paths: list[str]) -> tuple[str, ...]:
    """Paths as given (relative to the current directory) as workspace-relative paths."""
    relative = []
    for path in paths:
        absolute = Path(os.path.abspath(path))
        try:
            relative.append(absolute.relative_to(root).as_posix())
        except ValueError:
            from yoi_ticket.errors import UsageError

            raise UsageError(f"{path}: not inside the workspace {root}") from None
    return tuple(relative)


COMMANDS = (("doctor", doctor_command),)
