"""``doctor --fix``: the safe fixes of SPEC 9.2, each reported.

Only two kinds of findings are ever fixed, both in the local overlay (never a
tracked file, never a claim): dead pending launch records (YT406) and leftover
temporary files (YT407). Each is checked again right before removal: a pending
record is removed under the overlay's state lock only while its launch lock is
free, a temp file only while its writer is not running. With ``dry_run`` the
fixes are listed and nothing is touched. Fixed findings leave the report.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.registry import get_rule

DEAD_PENDING = "dead pending launch"
LEFTOVER_TEMP = "leftover temporary file"
"""The safe fixes; a rule names the one its findings get (``@rule(..., safe_fix=...)``)."""


@dataclass(frozen=True)
class FixOutcome:
    diagnostics: list[Diagnostic]  # what is still to report
    lines: list[str]  # one line per fix done, skipped or (dry run) planned


def apply_fixes(
    ctx: DoctorContext, diagnostics: list[Diagnostic], *, dry_run: bool = False
) -> FixOutcome:
    """Fix the fixable findings among ``diagnostics``; return the rest and what was done."""
    remaining: list[Diagnostic] = []
    lines: list[str] = []
    fixes: dict[str, str | None] = {}  # rule code -> its safe fix
    for diagnostic in diagnostics:
        code = diagnostic.code
        what = fixes[code] if code in fixes else fixes.setdefault(code, get_rule(code).safe_fix)
        fixer = _FIXERS.get(what) if what is not None else None
        path = Path(diagnostic.path)
        if what is None or fixer is None or not path.is_absolute() or _inside(path, ctx.workspace):
            remaining.append(diagnostic)
            continue
        if dry_run:
            lines.append(f"would remove {what} {path}")
            remaining.append(diagnostic)
            continue
        if fixer(ctx, path):
            lines.append(f"removed {what} {path}")
        elif path.exists():
            lines.append(f"kept {what} {path}: it is in use again")
            remaining.append(diagnostic)
    return FixOutcome(remaining, lines)


def _remove_dead_pending(ctx: DoctorContext, path: Path) -> bool:
    from yoi_ticket.overlay import pending

    overlay = ctx.local.overlay
    if path.parent != overlay.pending_dir:
        return False
    return pending.remove_dead(overlay, path)


def _remove_temp_file(ctx: DoctorContext, path: Path) -> bool:
    from yoi_ticket.files import atomicfile
    from yoi_ticket.overlay.locations import pid_alive

    overlay = ctx.local.overlay
    overlay.refuse_untrusted()  # never remove anything through a symlink or in another's overlay
    if not _inside(path, overlay.root):
        return False
    pid = atomicfile.temp_owner_pid(path.name)
    if pid is None or (pid != os.getpid() and pid_alive(pid)):
        return False
    return atomicfile.remove(path)


def _inside(path: Path, folder: Path) -> bool:
    real = Path(os.path.realpath(path))
    root = Path(os.path.realpath(folder))
    return real == root or root in real.parents


_FIXERS: dict[str, Callable[[DoctorContext, Path], bool]] = {
    DEAD_PENDING: _remove_dead_pending,
    LEFTOVER_TEMP: _remove_temp_file,
}
