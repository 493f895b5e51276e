"""The outcome of one doctor run, as renderers see it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from yoi_ticket.doctor.baseline import BaselineSummary, Fingerprinted, fingerprinted
from yoi_ticket.doctor.diagnostics import Diagnostic, counts_fail, fails
from yoi_ticket.errors import EXIT_FINDINGS, EXIT_OK


@dataclass(frozen=True)
class Report:
    workspace: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tickets_checked: int = 0
    fixes: list[str] = field(default_factory=list)  # what --fix did (or would do)
    # The workspace's folder relative to its git worktree root ("" at the root, else
    # "sub/dir/"): GitHub annotations and SARIF locations are relative to the repository.
    repo_prefix: str = ""
    # The threshold the run was held to (error, warning or never): see :attr:`failed`.
    fail_on: str = "error"
    # The fingerprint of each diagnostic (same order), taken before a baseline or --quiet
    # left findings out; None: computed from :attr:`diagnostics` (see :meth:`fingerprinted`).
    fingerprints: tuple[str, ...] | None = None
    baseline: BaselineSummary | None = None  # what --baseline (or --write-baseline) matched
    # --quiet: the warnings and info left out, per severity (None without --quiet).
    hidden: dict[str, int] | None = None
    fix_summary: str | None = None  # --fix: one line saying what was (or would be) fixed

    @property
    def failed(self) -> bool:
        """True when a diagnostic is at or above :attr:`fail_on`: the run fails. Findings
        that ``--quiet`` left out count too (quiet changes the output, not the decision);
        findings a baseline matched do not."""
        if fails(self.diagnostics, self.fail_on):
            return True
        return bool(self.hidden) and counts_fail(self.hidden or {}, self.fail_on)

    @property
    def exit_code(self) -> int:
        """The exit decision: 1 when the run :attr:`failed`, else 0."""
        return EXIT_FINDINGS if self.failed else EXIT_OK

    @property
    def quiet(self) -> bool:
        return self.hidden is not None

    def fingerprinted(self) -> Iterator[Fingerprinted]:
        """Each diagnostic with its fingerprint (see :mod:`yoi_ticket.doctor.baseline`)."""
        if self.fingerprints is None:
            return fingerprinted(self.diagnostics)
        return zip(self.diagnostics, self.fingerprints, strict=True)

    def repo_path(self, path: str) -> str:
        """``path`` (workspace-relative, or absolute) as seen from the repository root."""
        if not self.repo_prefix or path.startswith("/") or path[1:3] == ":\\":
            return path
        return self.repo_prefix + path if path not in ("", ".") else self.repo_prefix.rstrip("/")
