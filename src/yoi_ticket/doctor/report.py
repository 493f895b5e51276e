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
    # The workspace's folder relative to its git worktree root ("" at the root, else
    # "sub/dir/"): GitHub annotations and SARIF locations are relative to the repository.
    repo_prefix: str = ""

    def repo_path(self, path: str) -> str:
        """``path`` (workspace-relative, or absolute) as seen from the repository root."""
        if not self.repo_prefix or path.startswith("/") or path[1:3] == ":\\":
            return path
        return self.repo_prefix + path if path not in ("", ".") else self.repo_prefix.rstrip("/")
