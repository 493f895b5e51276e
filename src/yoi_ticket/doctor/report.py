"""The outcome of one doctor run, as renderers see it."""

from __future__ import annotations

from dataclasses import dataclass, field

from yoi_ticket.doctor.diagnostics import Diagnostic, fails
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

    @property
    def failed(self) -> bool:
        """True when a diagnostic is at or above :attr:`fail_on`: the run fails."""
        return fails(self.diagnostics, self.fail_on)

    @property
    def exit_code(self) -> int:
        """The exit decision: 1 when the run :attr:`failed`, else 0."""
        return EXIT_FINDINGS if self.failed else EXIT_OK

    def repo_path(self, path: str) -> str:
        """``path`` (workspace-relative, or absolute) as seen from the repository root."""
        if not self.repo_prefix or path.startswith("/") or path[1:3] == ":\\":
            return path
        return self.repo_prefix + path if path not in ("", ".") else self.repo_prefix.rstrip("/")
