"""The command line: ``yoi ticket ...``, ``yoi-ticket ...`` and ``python -m yoi_ticket``.

This module only declares commands and options, prints results, and maps
exceptions to exit codes (in :func:`_handle`, the one place that does).
The work happens in typed core modules that never import typer.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from yoi_ticket.errors import EXIT_INTERNAL, EXIT_USAGE, YoiError

if TYPE_CHECKING:
    from yoi_ticket.overlay.folder import Overlay

F = TypeVar("F", bound=Callable[..., Any])


def _group(name: str, help_text: str) -> typer.Typer:
    """A command group: plain help (no rich), no completion options, no pretty tracebacks."""
    return typer.Typer(
        name=name,
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )


app = _group("yoi", "yoi: tools for agent-driven repositories.")
ticket_app = _group("ticket", "Read, check and locally assign the .yoi/tickets store.")
app.add_typer(ticket_app, name="ticket")

_state: dict[str, Any] = {"workspace": None, "debug": False}

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-C",
        help="Workspace directory (default: $YOI_WORKSPACE, else search upwards for .yoi/).",
        show_default=False,
    ),
]


def _debug() -> bool:
    return bool(_state["debug"]) or os.environ.get("YOI_DEBUG", "") not in ("", "0")


def _handle(func: F) -> F:
    """Run a command; turn expected failures into one line and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            code = func(*args, **kwargs)
        except typer.Exit:
            raise
        except YoiError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                typer.echo(f"hint: {exc.hint}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except Exception as exc:
            if _debug():
                raise
            typer.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            typer.echo("hint: rerun with --debug (or YOI_DEBUG=1) to see the traceback", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None
        if code:
            raise typer.Exit(int(code))
        return None

    return wrapper  # type: ignore[return-value]


def _workspace(explicit: Path | None) -> Path:
    from yoi_ticket.store.workspace import find_workspace

    return find_workspace(explicit if explicit is not None else _state["workspace"])


def _is_tty() -> bool:
    return sys.stdout.isatty()


def _color() -> bool:
    return _is_tty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _print_json(data: Any) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        from yoi_ticket.errors import UsageError

        raise UsageError(f"{option} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _split_codes(values: list[str] | None) -> tuple[str, ...]:
    return tuple(
        part.strip().upper() for value in values or [] for part in value.split(",") if part.strip()
    )


def _callback(
    workspace: WorkspaceOption = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    _state["workspace"] = workspace
    _state["debug"] = debug


ticket_app.callback()(_callback)


# ---------------------------------------------------------------- list / show


@ticket_app.command("list")
@_handle
def list_command(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="Only tickets in this state (repeatable).")
    ] = None,
    claimed: Annotated[
        bool | None,
        typer.Option(
            "--claimed/--unclaimed", help="Only claimed (or unclaimed) tickets.", show_default=False
        ),
    ] = None,
    pod: Annotated[
        str | None, typer.Option("--pod", help="Only tickets claimed by this Pod.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    workspace: WorkspaceOption = None,
) -> int:
    """List tickets with id, state, title and local claim."""
    from yoi_ticket.overlay.views import claim_cells, keep_row
    from yoi_ticket.store.listing import JSON_VERSION, list_tickets, ticket_row
    from yoi_ticket.store.reader import Store

    _choice(fmt, ("table", "json"), "--format")
    store = Store(_workspace(workspace))
    tickets = list_tickets(store, tuple(state or ()))
    cells_by_id = claim_cells(_overlay(store.workspace))
    rows = [ticket_row(ticket, cells_by_id.get(ticket.id)) for ticket in tickets]
    rows = [row for row in rows if keep_row(row["claim"], claimed, pod)]
    if fmt == "json":
        _print_json({"version": JSON_VERSION, "tickets": rows})
        return 0
    columns = ("id", "state", "title", "claim")
    cells = [
        [
            row["id"],
            row["state"] or "",
            row["title"] or "",
            _claim_cell(row["claim"]),
        ]
        for row in rows
    ]
    _print_table(columns, cells)
    return 0


def _claim_cell(claim: dict[str, Any] | None) -> str:
    if not claim:
        return ""
    return f"{claim['pod_name']} ({claim['role']}, {claim['status']})"


def _print_table(columns: tuple[str, ...], cells: list[list[str]]) -> None:
    """A rich table on a terminal; tab-separated lines otherwise.

    Cells are ticket data: control characters (tabs, newlines, escape sequences)
    become spaces, and on a terminal brackets are shown as written, not read as markup.
    """
    cells = [[cell.translate(_CONTROL_TO_SPACE) for cell in row] for row in cells]
    if not _is_tty():
        for row in cells:
            typer.echo("\t".join(row))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(*columns, box=None, header_style="bold")
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))
    Console(no_color="NO_COLOR" in os.environ).print(table)


_CONTROL_TO_SPACE = {code: " " for code in (*range(32), *range(127, 160))}


@ticket_app.command("show")
@_handle
def show_command(
    ticket_id: Annotated[str, typer.Argument(metavar="ID", help="Ticket id or unique prefix.")],
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    workspace: WorkspaceOption = None,
) -> int:
    """Show a ticket: frontmatter, thread events, artifacts and claim."""
    from yoi_ticket.overlay.views import claim_cell_for
    from yoi_ticket.store.listing import JSON_VERSION, ticket_details
    from yoi_ticket.store.reader import Store

    _choice(fmt, ("text", "json"), "--format")
    store = Store(_workspace(workspace))
    location = store.find(ticket_id)
    details = ticket_details(
        store, location, claim_cell_for(_overlay(store.workspace), location.id)
    )
    if fmt == "json":
        _print_json({"version": JSON_VERSION, "ticket": details})
        return 0
    typer.echo(_show_text(details))
    return 0


def _show_text(details: dict[str, Any]) -> str:
    import json

    lines = [f"{details['id']}  {details['title'] or '(no title)'}"]
    lines.append(f"  state: {details['state'] or '-'}   layout: {details['layout']}")
    lines.append(f"  path: {details['path']}")
    lines.append(f"  claim: {_claim_cell(details['claim']) or 'none'}")
    lines.append("")
    lines.append("Fields:")
    for key, value in details["fields"].items():
        lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False, default=str)}")
    lines.append("")
    lines.append(f"Thread ({len(details['events'])} events):")
    for event in details["events"]:
        lines.append(
            f"  {event['at'] or '?':<20}  {event['event'] or '?':<22} {event['author'] or '?'}"
        )
    if details["artifacts"]:
        lines.append("")
        lines.append("Artifacts:")
        lines.extend(f"  {name}" for name in details["artifacts"])
    lines = [line.translate(_CONTROL_TO_SPACE) for line in lines]  # one line per item
    if details["body"].strip():
        lines.append("")
        lines.append(details["body"].strip())
    return "\n".join(lines)


# ---------------------------------------------------------------- doctor


@ticket_app.command("doctor")
@_handle
def doctor_command(
    paths: Annotated[
        list[str] | None, typer.Argument(metavar="[PATH]...", help="Only check these paths.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, json, github or sarif.")] = "text",
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on", help="error, warning or never (default: error).", show_default=False
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Only these codes or prefixes (YT3, YT301)."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Skip these codes or prefixes.")
    ] = None,
    no_local: Annotated[
        bool, typer.Option("--no-local", help="Skip overlay and runtime checks (as CI sees it).")
    ] = False,
    staged: Annotated[
        bool, typer.Option("--staged", help="Check what is staged in the git index.")
    ] = False,
    against: Annotated[
        str | None, typer.Option("--against", metavar="REF", help="Predict conflicts with REF.")
    ] = None,
    merge_commit: Annotated[
        str | None,
        typer.Option("--merge-commit", metavar="REV", help="Check a merge commit for lost events."),
    ] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Apply the safe fixes.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --fix: list the fixes only.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    explain: Annotated[
        str | None, typer.Option("--explain", metavar="CODE", help="Print a rule's documentation.")
    ] = None,
    list_rules: Annotated[bool, typer.Option("--list-rules", help="List all rules.")] = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Check tickets, local claims and merge state; exit 1 on findings."""
    from yoi_ticket.doctor.render import FORMATS
    from yoi_ticket.store.config import FAIL_ON_VALUES

    _choice(fmt, FORMATS, "--format")
    if explain is not None:
        from yoi_ticket.doctor.registry import get_rule

        typer.echo(get_rule(explain).explain(), nl=False)
        return 0
    if list_rules:
        from yoi_ticket.doctor.registry import RULES

        for rule in RULES:
            typer.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.scope:<6}  {rule.title}")
        return 0
    if dry_run and not fix:
        from yoi_ticket.errors import UsageError

        raise UsageError("--dry-run only makes sense with --fix")
    from yoi_ticket.doctor.api import run_doctor
    from yoi_ticket.doctor.context import DoctorOptions
    from yoi_ticket.doctor.diagnostics import fails
    from yoi_ticket.doctor.render import render
    from yoi_ticket.store.config import load_config

    root = _workspace(workspace)
    defaults = load_config(root).doctor
    chosen_fail_on = fail_on or defaults.fail_on or "error"
    _choice(chosen_fail_on, FAIL_ON_VALUES, "--fail-on")
    options = DoctorOptions(
        select=_split_codes(select) or defaults.select,
        ignore=_split_codes(ignore) or defaults.ignore,
        fail_on=chosen_fail_on,
        no_local=no_local,
        staged=staged,
        against=against,
        merge_commit=merge_commit,
        paths=tuple(_relative_paths(root, paths or [])),
        fix=fix,
        dry_run=dry_run,
    )
    show_progress = fmt == "text" and output is None and _is_tty() and sys.stderr.isatty()
    with _ProgressBar(enabled=show_progress) as bar:
        report = run_doctor(root, options, progress=bar.update)
    text = render(fmt, report, color=_color() and fmt == "text" and output is None)
    if output is not None:
        from yoi_ticket.files.fsutil import write_text_atomic

        write_text_atomic(output, _printable(text))
    else:
        typer.echo(text, nl=False)
    for line in report.fixes:
        typer.echo(line, err=True)
    return 1 if fails(report.diagnostics, options.fail_on) else 0


def _relative_paths(root: Path, paths: list[str]) -> list[str]:
    relative = []
    for path in paths:
        absolute = Path(os.path.abspath(path))
        try:
            relative.append(absolute.relative_to(root).as_posix())
        except ValueError:
            from yoi_ticket.errors import UsageError

            raise UsageError(f"{path}: not inside the workspace {root}") from None
    return relative


class _ProgressBar:
    """A transient rich progress bar that appears only when a run takes a moment."""

    DELAY = 0.4

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.started = 0.0
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> _ProgressBar:
        import time

        self.started = time.monotonic()
        return self

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            import time

            if time.monotonic() - self.started < self.DELAY or done >= total:
                return
            from rich.console import Console
            from rich.progress import Progress

            self.progress = Progress(transient=True, console=Console(stderr=True))
            self.progress.start()
            self.task = self.progress.add_task("Checking tickets", total=total)
        if done % 50 == 0 or done == total:
            self.progress.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


# ---------------------------------------------------------------- local claims and sessions

PodOption = Annotated[str, typer.Option("--pod", help="Pod name.", show_default=False)]
RoleOption = Annotated[
    str | None,
    typer.Option("--role", help="Role (default: the Pod's session role).", show_default=False),
]
AllowMissingOption = Annotated[
    bool, typer.Option("--allow-missing", help="Allow a ticket that is not in the store.")
]
TicketArgument = Annotated[str, typer.Argument(metavar="ID", help="Ticket id.")]


def _overlay(root: Path) -> Overlay:
    from yoi_ticket.overlay.folder import Overlay

    return Overlay.for_workspace(root)


def _role(overlay: Overlay, pod: str, role: str | None) -> str:
    from yoi_ticket.overlay.sessions import default_role

    return role if role is not None else default_role(overlay, pod)


@ticket_app.command("claims")
@_handle
def claims_command(
    stale: Annotated[bool, typer.Option("--stale", help="Only claims whose Pod is stale.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    workspace: WorkspaceOption = None,
) -> int:
    """List local claims with ticket title/state and Pod status."""
    from yoi_ticket.overlay.views import claims_document

    _choice(fmt, ("table", "json"), "--format")
    document = claims_document(_overlay(_workspace(workspace)), stale_only=stale)
    if fmt == "json":
        _print_json(document)
        return 0
    for error in document["errors"]:
        typer.echo(f"warning: {error['message']}", err=True)
    columns = ("ticket", "title", "state", "pod", "role", "status", "claimed at")
    cells = [
        [
            row["ticket_id"],
            row["ticket_title"] or ("(missing)" if row["ticket_state"] is None else ""),
            row["ticket_state"] or "",
            row["pod_name"],
            row["role"],
            row["status"] + (" (unreachable)" if row["reachable"] is False else ""),
            row["claimed_at"],
        ]
        for row in document["claims"]
    ]
    _print_table(columns, cells)
    return 0


@ticket_app.command("claim")
@_handle
def claim_command(
    ticket_id: TicketArgument,
    pod: PodOption,
    role: RoleOption = None,
    allow_missing: AllowMissingOption = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Claim a ticket for a local Pod (exit 1 if another Pod holds it)."""
    from yoi_ticket.overlay.claims import claim

    overlay = _overlay(_workspace(workspace))
    outcome = claim(overlay, ticket_id, pod, _role(overlay, pod, role), allow_missing=allow_missing)
    held = outcome.claim
    if outcome.changed:
        typer.echo(f"claimed {held.ticket_id} for Pod {held.pod_name} (role {held.role})")
    else:
        typer.echo(f"Pod {held.pod_name} already holds {held.ticket_id} (role {held.role})")
    return 0


@ticket_app.command("release")
@_handle
def release_command(
    ticket_id: TicketArgument,
    pod: PodOption,
    force: Annotated[bool, typer.Option("--force", help="Release another Pod's claim.")] = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Release a ticket claimed by a Pod."""
    from yoi_ticket.overlay.claims import release

    old = release(_overlay(_workspace(workspace)), ticket_id, pod, force=force)
    typer.echo(f"released {old.ticket_id} (held by Pod {old.pod_name}, role {old.role})")
    return 0


@ticket_app.command("reclaim")
@_handle
def reclaim_command(
    ticket_id: TicketArgument,
    pod: PodOption,
    role: RoleOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Take over a holder that is not stale.")
    ] = False,
    allow_missing: AllowMissingOption = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Take over a ticket whose holder is stale (any holder with --force)."""
    from yoi_ticket.overlay.claims import reclaim

    overlay = _overlay(_workspace(workspace))
    outcome = reclaim(
        overlay,
        ticket_id,
        pod,
        _role(overlay, pod, role),
        force=force,
        allow_missing=allow_missing,
    )
    held, old = outcome.claim, outcome.replaced
    if not outcome.changed:
        typer.echo(f"Pod {held.pod_name} already holds {held.ticket_id} (role {held.role})")
    elif old is None:
        typer.echo(f"claimed {held.ticket_id} for Pod {held.pod_name} (role {held.role})")
    else:
        was = outcome.replaced_status.label if outcome.replaced_status else "unknown"
        typer.echo(
            f"reclaimed {held.ticket_id} for Pod {held.pod_name} (role {held.role})"
            f" from Pod {old.pod_name} ({was})"
        )
    return 0


@ticket_app.command("launch")
@_handle
def launch_command(
    ticket_id: TicketArgument,
    command: Annotated[
        list[str], typer.Argument(metavar="COMMAND", help="The Pod spawn command, after '--'.")
    ],
    pod: PodOption,
    role: Annotated[str, typer.Option("--role", help="Role.", show_default=False)],
    allow_missing: AllowMissingOption = False,
    workspace: WorkspaceOption = None,
) -> int:
    """Run COMMAND to start a Pod; claim the ticket only if it exits 0."""
    from yoi_ticket.overlay.launch import run_launch

    overlay = _overlay(_workspace(workspace))
    return run_launch(overlay, ticket_id, pod, role, command, allow_missing=allow_missing)


@ticket_app.command("sessions")
@_handle
def sessions_command(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    workspace: WorkspaceOption = None,
) -> int:
    """List role sessions: each Pod's role and related tickets."""
    from yoi_ticket.overlay.views import sessions_document

    _choice(fmt, ("table", "json"), "--format")
    document = sessions_document(_overlay(_workspace(workspace)))
    if fmt == "json":
        _print_json(document)
        return 0
    for error in document["errors"]:
        typer.echo(f"warning: {error['message']}", err=True)
    columns = ("pod", "role", "origin", "tickets", "updated at")
    cells = [
        [
            session["pod_name"],
            session["role"],
            session["origin"],
            ", ".join(ref["id"] for ref in session["related_tickets"]),
            session["updated_at"],
        ]
        for session in document["sessions"]
    ]
    _print_table(columns, cells)
    return 0


session_app = _group("session", "Record and link role sessions.")
ticket_app.add_typer(session_app, name="session")


@session_app.command("record")
@_handle
def session_record_command(
    pod: PodOption,
    role: Annotated[str, typer.Option("--role", help="Role.", show_default=False)],
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin", help="pre_ticket_intake, ticket_claim or role_launch.", show_default=False
        ),
    ] = None,
    tickets: Annotated[
        list[str] | None, typer.Option("--ticket", help="Related ticket (repeatable).")
    ] = None,
    session_id: Annotated[
        str | None, typer.Option("--session-id", help="The Pod's session id.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> int:
    """Record (or update) a Pod's role session, with or without tickets."""
    from yoi_ticket.overlay.sessions import record_session

    session = record_session(
        _overlay(_workspace(workspace)),
        pod,
        role,
        origin=origin,
        tickets=tickets or [],
        session_id=session_id,
    )
    related = ", ".join(ref.id for ref in session.related_tickets) or "none"
    typer.echo(
        f"recorded Pod {session.pod_name} (role {session.role}, origin {session.origin});"
        f" tickets: {related}"
    )
    return 0


@session_app.command("link")
@_handle
def session_link_command(
    tickets: Annotated[list[str], typer.Argument(metavar="TICKET...", help="Ticket ids.")],
    pod: PodOption,
    workspace: WorkspaceOption = None,
) -> int:
    """Relate more tickets to a Pod's role session."""
    from yoi_ticket.overlay.sessions import link_tickets

    session = link_tickets(_overlay(_workspace(workspace)), pod, tickets)
    related = ", ".join(ref.id for ref in session.related_tickets)
    typer.echo(f"Pod {session.pod_name} relates to: {related}")
    return 0


@ticket_app.command("workspace")
@_handle
def workspace_command(
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    workspace: WorkspaceOption = None,
) -> int:
    """Show the canonical workspace path, its key, overlay and Pod names."""
    from yoi_ticket.overlay.views import workspace_document, workspace_text

    _choice(fmt, ("text", "json"), "--format")
    document = workspace_document(_overlay(_workspace(workspace)))
    if fmt == "json":
        _print_json(document)
    else:
        typer.echo(workspace_text(document))
    return 0


# ---------------------------------------------------------------- merge driver

merge_driver_app = _group(
    "merge-driver", "The git merge driver for ticket files (run by git; install/uninstall it here)."
)
ticket_app.add_typer(merge_driver_app, name="merge-driver")


@merge_driver_app.command("run")
@_handle
def merge_driver_run_command(
    base: Annotated[Path, typer.Argument(help="Base version (git's %O).")],
    ours: Annotated[Path, typer.Argument(help="Ours; gets the result (%A).")],
    theirs: Annotated[Path, typer.Argument(help="Theirs (%B).")],
    path: Annotated[str | None, typer.Argument(help="Path being merged (%P).")] = None,
    marker_size: Annotated[
        int, typer.Option("--marker-size", min=1, help="Conflict marker length (%L).")
    ] = 7,
) -> int:
    """Merge a ticket file as git asks: exit 0 when clean, 1 when conflicts are left."""
    from yoi_ticket.merge.driver import run_driver

    return run_driver(base, ours, theirs, path, marker_size=marker_size)


@merge_driver_app.command("install")
@_handle
def merge_driver_install_command(workspace: WorkspaceOption = None) -> int:
    """Add the .gitattributes lines and this repository's merge.yoi-ticket git config."""
    from yoi_ticket.merge.install import install

    setup = install(_workspace(workspace))
    for change in setup.changes or ("merge driver already installed; nothing to do",):
        typer.echo(change)
    typer.echo(f"driver: {setup.driver_command}")
    typer.echo(f"commit {setup.attributes.name}; every clone runs 'install' once for its config")
    return 0


@merge_driver_app.command("uninstall")
@_handle
def merge_driver_uninstall_command(workspace: WorkspaceOption = None) -> int:
    """Remove what install added; git merges ticket files line by line again."""
    from yoi_ticket.merge.install import uninstall

    setup = uninstall(_workspace(workspace))
    for change in setup.changes or ("merge driver not installed; nothing to do",):
        typer.echo(change)
    return 0


# ---------------------------------------------------------------- entry points


def _printable(text: str) -> str:
    """``text`` with undecodable file-name bytes (lone surrogates) as ``\\udcff`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _safe_streams() -> None:
    """Print undecodable file names as ``\\udcff`` escapes instead of failing to encode them."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main() -> None:
    """Console script ``yoi``."""
    _safe_streams()
    if sys.argv[1:2] == ["ticket"]:
        # Straight to the ticket group, with the same usage lines: the outer group
        # would first build a pydantic validator for its own --help flag, which
        # costs more than the rest of `yoi ticket --help` together.
        ticket_app(prog_name="yoi ticket", args=sys.argv[2:])
        return
    app(prog_name="yoi")


def ticket_main() -> None:
    """Console script ``yoi-ticket`` and ``python -m yoi_ticket``."""
    _safe_streams()
    ticket_app(prog_name="yoi-ticket")


__all__ = ["EXIT_USAGE", "app", "main", "ticket_app", "ticket_main"]
