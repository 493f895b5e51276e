"""``doctor --fix``: the safe fixes of SPEC 9.2, each reported.

Only these findings are ever fixed, never a tracked file, never a claim: in the local
overlay, dead pending launch records (YT406) and leftover temporary files (YT407); in
yoi's panel registry, a stuck ``role-sessions.lock`` and upstream's abandoned temp
files (the panel rules of YT4xx). Each is checked again right before removal: a pending
record is removed under the overlay's state lock only while its launch lock is free, a
temp file only while its writer is not running, a panel lock only while it is still
stuck and the same file, a panel temp file only while it is still old; panel files only
when they are regular files of this user inside a registry doctor found. A temp file
that is a symlink is removed as the link itself, never what it points to. With
``dry_run`` the fixes are listed and nothing is touched. Fixed findings leave the
report.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.registry import get_rule

DEAD_PENDING = "dead pending launch"
LEFTOVER_TEMP = "leftover temporary file"
STUCK_PANEL_LOCK = "stuck panel lock"
PANEL_TEMP = "leftover panel temporary file"
"""The safe fixes; a rule names the one its findings get (``@rule(..., safe_fix=...)``)."""


@dataclass(frozen=True)
class FixOutcome:
    diagnostics: list[Diagnostic]  # what is still to report
    lines: list[str]  # one line per fix done, skipped or (dry run) planned
    fixed: dict[str, int] = field(default_factory=dict)  # fix -> how many (dry run: planned)
    kept: int = 0  # fixable findings left alone: their file is in use again
    dry_run: bool = False

    def summary(self) -> str:
        """One line: what was fixed (or would be) and how many, or that there was nothing."""
        done = sum(self.fixed.values())
        if not done and not self.kept:
            return "Nothing to fix."
        what = ", ".join(_counted(count, fix) for fix, count in sorted(self.fixed.items()))
        if self.dry_run:
            return f"Would fix {_findings(done)}: {what}."
        line = f"Fixed {_findings(done)}" + (f": {what}" if what else "")
        if self.kept:
            line += f"; {self.kept} kept: in use again"
        return line + "."


def _findings(count: int) -> str:
    return _counted(count, "finding")


def _counted(count: int, noun: str) -> str:
    """``1 dead pending launch``, ``2 dead pending launches``, ``3 findings``."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}" + ("es" if noun.endswith(("ch", "sh", "s", "x")) else "s")


def apply_fixes(
    ctx: DoctorContext, diagnostics: Iterable[Diagnostic], *, dry_run: bool = False
) -> FixOutcome:
    """Fix the fixable findings among ``diagnostics``; return the rest and what was done."""
    remaining: list[Diagnostic] = []
    lines: list[str] = []
    fixed: dict[str, int] = {}
    kept = 0
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
            fixed[what] = fixed.get(what, 0) + 1
            remaining.append(diagnostic)
            continue
        if fixer(ctx, path):
            lines.append(f"removed {what} {path}")
            fixed[what] = fixed.get(what, 0) + 1
        elif os.path.lexists(path):
            lines.append(f"kept {what} {path}: it is in use again")
            kept += 1
            remaining.append(diagnostic)
    return FixOutcome(remaining, lines, fixed, kept, dry_run)


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


def _remove_stuck_panel_lock(ctx: DoctorContext, path: Path) -> bool:
    if any(path == panel.registry.lock_path for panel in ctx.local.panels):
        return _remove_old_panel_file(path)
    return False


def _remove_panel_temp(ctx: DoctorContext, path: Path) -> bool:
    if any(path in panel.registry.temp_leftovers() for panel in ctx.local.panels):
        return _remove_old_panel_file(path)
    return False


def _remove_old_panel_file(path: Path) -> bool:
    """Remove ``path`` if it is (still) a regular file of this user, not a symlink, older
    than any live update of yoi's panel takes; one ``lstat`` decides, right before."""
    from yoi_ticket.overlay.panel import STUCK_LOCK_SECONDS

    try:
        seen = path.lstat()
        if not stat.S_ISREG(seen.st_mode) or seen.st_uid != os.getuid():
            return False
        if time.time() - seen.st_mtime <= STUCK_LOCK_SECONDS:
            return False  # made again meanwhile: an update is in progress
        path.unlink()
    except OSError:
        return False
    return True


def _inside(path: Path, folder: Path) -> bool:
    """Whether the entry ``path`` itself lies in ``folder``: a symlink is where it is, not
    where it points (a temp file replaced by a symlink out of the overlay is removed, the
    link and never its target)."""
    real = Path(os.path.realpath(path.parent)) / path.name
    root = Path(os.path.realpath(folder))
    return real == root or root in real.parents


_FIXERS: dict[str, Callable[[DoctorContext, Path], bool]] = {
    DEAD_PENDING: _remove_dead_pending,
    LEFTOVER_TEMP: _remove_temp_file,
    STUCK_PANEL_LOCK: _remove_stuck_panel_lock,
    PANEL_TEMP: _remove_panel_temp,
}
