"""The outcome of one doctor run, as renderers see it."""

from __future__ import annotations

from dataclasses import dataclass, field

from yoi_ticket.doctor.diagnostics import Diagnostic


@dataclass(frozen=True)
class Report:
    workspace: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tickets_checked: int = 0
    fixes: list[str] = field(default_factory=list)  # what --fix did (or would do)
