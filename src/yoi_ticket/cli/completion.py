"""Shell completion of option values: rule codes, ticket ids, states, roles.

typer calls these only while the shell asks for completions (``yoi --install-completion``
sets that up), so each imports what it needs when it runs; ``--help`` and every command
start without them. A completion never fails: whatever goes wrong yields no candidates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

Candidates = list[tuple[str, str]]


def rule_codes(incomplete: str) -> Candidates:
    """Rule codes (with their titles) and families that start with ``incomplete``; after a
    comma, the part after the last one (``--select YT1,YT2<TAB>``)."""
    from yoi_ticket.doctor.registry import RULE_MODULES, RULES

    head, _, tail = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    wanted = tail.strip().upper()
    families = [(family, "rule family") for family in RULE_MODULES if family.startswith(wanted)]
    codes = [(rule.code, rule.title) for rule in RULES if rule.code.startswith(wanted)]
    return [(prefix + value, help_text) for value, help_text in (*families, *codes)]


def ticket_ids(ctx: typer.Context, incomplete: str) -> Candidates:
    """Ids of the store's tickets that start with ``incomplete`` (case-insensitively),
    with their titles; the workspace is ``-C`` when given, else found from here."""
    try:
        from yoi_ticket.store.listing import list_tickets
        from yoi_ticket.store.reader import Store
        from yoi_ticket.store.workspace import find_workspace

        store = Store(find_workspace(_workspace_of(ctx)))
        wanted = incomplete.casefold()
        matching = [loc for loc in store.scan().locations if loc.id.casefold().startswith(wanted)]
        if len(matching) > 200:  # titles would read 200 tickets for a list nobody reads
            return [(location.id, "") for location in matching]
        tickets = list_tickets(store, locations=matching)
        return [(ticket.id, ticket.title or "") for ticket in tickets]
    except Exception:  # a completion must never print a traceback into the shell
        return []


def states(incomplete: str) -> Candidates:
    """``list --state`` words: active, all, and the states; after a comma, the next one."""
    from yoi_ticket.store.listing import STATE_WORDS

    head, _, tail = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [(prefix + word, "") for word in STATE_WORDS if word.startswith(tail.lower())]


def roles(ctx: typer.Context, incomplete: str) -> Candidates:
    """The roles a claim or session may name here: built in and configured."""
    try:
        from yoi_ticket.overlay.folder import Overlay
        from yoi_ticket.overlay.sessions import allowed_roles
        from yoi_ticket.store.workspace import find_workspace

        names = allowed_roles(Overlay.for_workspace(find_workspace(_workspace_of(ctx))))
    except Exception:
        from yoi_ticket.overlay.sessions import BUILTIN_ROLES

        names = BUILTIN_ROLES
    return [(name, "") for name in names if name.startswith(incomplete)]


def _workspace_of(ctx: typer.Context) -> Path | None:
    """``-C`` of the command, else of the ticket group, else ``None`` (search from here)."""
    current: Any = ctx
    while current is not None:
        value = current.params.get("workspace")
        if value:
            return Path(value)
        current = current.parent
    return None
