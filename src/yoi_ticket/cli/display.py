"""The one display layer: lines, JSON documents, tables, the doctor report and its
progress bar, and the terminal decisions behind them (TTY, ``NO_COLOR``, ``TERM``).

Table rows are frozen values built from the plain-data documents of the core
(:mod:`yoi_ticket.overlay.views`); their cells are ticket data and are printed
as data: control characters become spaces and brackets are never rich markup.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import typer

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from yoi_ticket.doctor.report import Report

_CONTROL_TO_SPACE = {code: " " for code in (*range(32), *range(127, 160))}


def is_tty() -> bool:
    return sys.stdout.isatty()


def color() -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set or ``TERM=dumb``."""
    return is_tty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    typer.echo(text, err=err, nl=nl)


def warn(message: str) -> None:
    echo(f"warning: {message}", err=True)


def print_json(data: Any) -> None:
    """``data`` as ``json.dumps(data, indent=2, ensure_ascii=False, default=str)`` writes
    it (:mod:`yoi_ticket.files.jsontext` does the same several times faster)."""
    from yoi_ticket.files.jsontext import encode

    echo(encode(data))


def print_json_stream(head: dict[str, Any], key: str, entries: Iterable[Any]) -> None:
    """What :func:`print_json` prints for ``{**head, key: list(entries)}``, written as the
    entries come (a long listing is never held whole as text)."""
    from yoi_ticket.files.jsontext import write_document

    write_document(lambda text: echo(text, nl=False), head, key, entries)
    echo("")


def printable(text: str) -> str:
    """``text`` with undecodable file-name bytes (lone surrogates) as ``\\udcff`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def one_line(text: str) -> str:
    """``text`` with control characters (tabs, newlines, escapes) as spaces."""
    return text.translate(_CONTROL_TO_SPACE)


# ---------------------------------------------------------------- tables


def print_table(columns: tuple[str, ...], rows: Sequence[DataclassInstance]) -> None:
    """A rich table on a terminal; tab-separated lines otherwise (one cell per field)."""
    cells = [[one_line(str(cell)) for cell in dataclasses.astuple(row)] for row in rows]
    if not is_tty():
        for line in cells:
            echo("\t".join(line))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(*columns, box=None, header_style="bold")
    for line in cells:
        table.add_row(*(Text(cell) for cell in line))
    Console(no_color="NO_COLOR" in os.environ).print(table)


def claim_text(claim: dict[str, Any] | None) -> str:
    """A ``claim`` cell of ``list``/``show``: ``pod (role, status)``, ``pod (role, status,
    panel)`` for a claim of yoi's panel, further holders after ``; ``, or ``""``."""
    if not claim:
        return ""
    holders = [claim, *claim.get("other_claims", ())]
    return "; ".join(_holder_text(holder) for holder in holders)


def _holder_text(claim: dict[str, Any]) -> str:
    where = ", panel" if claim.get("source") == "panel" else ""
    return f"{claim['pod_name']} ({claim['role']}, {claim['status']}{where})"


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One line of ``list``."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("id", "state", "title", "claim")
    id: str
    state: str
    title: str
    claim: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> TicketRow:
        return cls(row["id"], row["state"] or "", row["title"] or "", claim_text(row["claim"]))


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """One line of ``claims``."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "ticket",
        "title",
        "state",
        "pod",
        "role",
        "status",
        "claimed at",
        "source",
        "panel file",
    )
    ticket: str
    title: str
    state: str
    pod: str
    role: str
    status: str
    claimed_at: str
    source: str
    panel_file: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> ClaimRow:
        return cls(
            row["ticket_id"],
            row["ticket_title"] or ("(missing)" if row["ticket_state"] is None else ""),
            row["ticket_state"] or "",
            row["pod_name"],
            row["role"],
            _status_text(row),
            row["claimed_at"] or "",
            row["source"],
            row["panel_file"] or "",
        )


def _status_text(row: dict[str, Any]) -> str:
    """A ``claims`` status cell: ``live (unreachable)``, ``starting (until <time>)``, ..."""
    if row["reachable"] is False:
        return f"{row['status']} (unreachable)"
    if row.get("starting_until"):
        return f"{row['status']} (until {row['starting_until']})"
    return str(row["status"])


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One line of ``sessions``."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("pod", "role", "origin", "tickets", "updated at")
    pod: str
    role: str
    origin: str
    tickets: str
    updated_at: str

    @classmethod
    def of(cls, session: dict[str, Any]) -> SessionRow:
        return cls(
            session["pod_name"],
            session["role"],
            session["origin"],
            ", ".join(ref["id"] for ref in session["related_tickets"]),
            session["updated_at"],
        )


TableRow = TicketRow | ClaimRow | SessionRow


def print_document(document: dict[str, Any], key: str, row_type: type[TableRow]) -> None:
    """A listing document as a table: its ``errors`` as warnings, ``document[key]`` as rows."""
    for error in document.get("errors", ()):
        warn(error["message"])
    print_table(row_type.COLUMNS, [row_type.of(row) for row in document[key]])


# ---------------------------------------------------------------- show


def ticket_text(details: dict[str, Any]) -> str:
    """``show`` as text: one line per item, then the body as written."""
    import json

    lines = [f"{details['id']}  {details['title'] or '(no title)'}"]
    lines.append(f"  state: {details['state'] or '-'}   layout: {details['layout']}")
    lines.append(f"  path: {details['path']}")
    lines.append(f"  claim: {claim_text(details['claim']) or 'none'}")
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
    lines = [one_line(line) for line in lines]
    if details["body"].strip():
        lines.append("")
        lines.append(details["body"].strip())
    return "\n".join(lines)


# ---------------------------------------------------------------- doctor


_HUMAN_FORMATS = ("text", "concise")


def progress_wanted(fmt: str, output: Path | None) -> bool:
    """A progress bar only for text on a terminal (stdout and stderr both)."""
    return fmt in _HUMAN_FORMATS and output is None and is_tty() and sys.stderr.isatty()


def config_warnings(workspace: Path) -> None:
    """What the workspace's config files hold that nothing reads (unknown ``[doctor]`` keys),
    as warnings on stderr."""
    from yoi_ticket.store.config import load_config

    for message in load_config(workspace).warnings:
        warn(message)


def check_output(output: Path) -> None:
    """Refuse ``-o FILE`` before a run when FILE cannot be written: its folder is missing or
    is no folder, or FILE itself is a folder."""
    from yoi_ticket.errors import UsageError

    folder = output.parent
    if not folder.is_dir():
        why = "no such directory" if not folder.exists() else "not a directory"
        raise UsageError(f"-o {output}: {why}: {folder}")
    if output.is_dir():
        raise UsageError(f"-o {output}: is a directory")


def print_report(
    report: Report, fmt: str, output: Path | None, *, statistics: bool = False
) -> None:
    """The doctor report in ``fmt``, to ``output`` or stdout; on stderr what ``--fix`` did
    and its summary, the baseline written, and what the format left out."""
    from yoi_ticket.doctor.render import render_warnings, write

    paint = color() and fmt in _HUMAN_FORMATS and output is None
    if output is not None:
        from yoi_ticket.errors import UsageError
        from yoi_ticket.files.fsutil import text_replacing

        try:
            with text_replacing(output) as out:
                batched = Batched(out)
                write(fmt, report, batched, color=paint, statistics=statistics)
                batched.flush()
        except OSError as exc:  # one line naming the report (never the temporary file)
            reason = exc.strerror or type(exc).__name__
            raise UsageError(f"cannot write {output}: {reason}") from None
    else:
        batched = Batched(lambda text: echo(text, nl=False))
        write(fmt, report, batched, color=paint, statistics=statistics)
        batched.flush()
    for line in report.fixes:
        echo(line, err=True)
    if report.fix_summary is not None:
        echo(report.fix_summary, err=True)
    if report.baseline is not None and report.baseline.written:
        count = report.baseline.matched
        echo(
            f"Wrote {count} finding{'' if count == 1 else 's'} to {report.baseline.file}.", err=True
        )
    for message in render_warnings(fmt, report):
        warn(message)


class Batched:
    """Collects pieces of text and hands them on about 64 KiB at a time (a long report
    is written as it is made, in a few large writes); call :meth:`flush` at the end."""

    SIZE = 1 << 16

    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.parts: list[str] = []
        self.size = 0

    def __call__(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.out("".join(self.parts))
            self.parts, self.size = [], 0


class ProgressBar:
    """A transient rich progress bar that appears only when a run takes a moment."""

    DELAY = 0.4

    def __init__(self, *, enabled: bool, label: str = "Checking tickets") -> None:
        self.enabled = enabled
        self.label = label
        self.started = 0.0
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> ProgressBar:
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
            self.task = self.progress.add_task(self.label, total=total)
        if done % 50 == 0 or done == total:
            self.progress.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
