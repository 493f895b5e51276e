"""Assembling a :class:`~yoi_ticket.store.models.Ticket` from readers of its files, the
same way whether they read the work tree or the git index."""

from __future__ import annotations

from collections.abc import Callable

from yoi_ticket.files import textfile
from yoi_ticket.store import artifacts
from yoi_ticket.store.folders import ARTIFACTS, ITEM, THREAD, TicketLocation
from yoi_ticket.store.item import read_item
from yoi_ticket.store.models import PlanRecord, Problem, Relation, Ticket
from yoi_ticket.store.thread import parse_thread


def build_ticket(
    location: TicketLocation,
    files: frozenset[str],
    read: Callable[[str], textfile.Decoded | None],
    artifact_names: list[str],
    read_artifact: Callable[[str], textfile.Decoded | None],
    *,
    escapes: list[str] | None = None,
) -> Ticket:
    """Assemble a :class:`Ticket` from file readers (working tree or git index)."""
    problems: list[Problem] = []
    item = None
    item_text = ""
    decoded = read(ITEM)
    if decoded is not None:
        if decoded.problem:
            problems.append(
                Problem(kind="unreadable", file=ITEM, message=decoded.problem, line=decoded.line)
            )
        item_text = decoded.text
        # A v1-era item is read as upstream read it then when its YAML fails (line by line).
        item, notes = read_item(decoded.text, legacy=location.layout == "v1", bom=decoded.bom)
        problems.extend(
            Problem(kind=note.kind, file=ITEM, line=note.line, message=note.message)
            for note in notes
        )
    thread_text = ""
    events = []
    decoded = read(THREAD)
    if decoded is not None:
        if decoded.problem:
            problems.append(
                Problem(kind="unreadable", file=THREAD, message=decoded.problem, line=decoded.line)
            )
        thread_text = decoded.text
        events = parse_thread(decoded.text)
    relations: list[Relation] = []
    relations_present = False
    records_text = ""
    decoded = read_artifact(artifacts.RELATIONS_FILE)
    if decoded is not None:
        relations_present = True
        name = f"{ARTIFACTS}/{artifacts.RELATIONS_FILE}"
        if decoded.problem:
            problems.append(
                Problem(kind="unreadable", file=name, message=decoded.problem, line=decoded.line)
            )
        relations, found = artifacts.parse_relations(decoded.text)
        records_text = decoded.text
        problems.extend(Problem(kind="relations", file=name, line=ln, message=m) for ln, m in found)
    plan: list[PlanRecord] = []
    decoded = read_artifact(artifacts.PLAN_FILE)
    if decoded is not None:
        name = f"{ARTIFACTS}/{artifacts.PLAN_FILE}"
        if decoded.problem:
            problems.append(
                Problem(kind="unreadable", file=name, message=decoded.problem, line=decoded.line)
            )
        plan, found = artifacts.parse_plan(decoded.text)
        records_text = f"{records_text}\n{decoded.text}" if records_text else decoded.text
        problems.extend(Problem(kind="plan", file=name, line=ln, message=m) for ln, m in found)
    return Ticket(
        id=location.id,
        path=location.path,
        layout=location.layout,
        bucket=location.bucket,
        files=files,
        item=item,
        item_text=item_text,
        thread_text=thread_text,
        events=events,
        relations=relations,
        relations_present=relations_present,
        records_text=records_text,
        plan=plan,
        artifacts=artifact_names,
        escapes=escapes or [],
        problems=problems,
        folder_symlink=location.is_symlink,
    )
