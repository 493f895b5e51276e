"""A safe YAML loader that reads scalars as the strings they are.

Timestamps stay strings (``created_at: 2026-05-27T00:00:23Z`` must not turn
into a ``datetime``), tags that would construct objects are rejected, and
aliases are refused so that a hostile document cannot blow up later work.
"""

from __future__ import annotations

from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TicketYamlLoader(_Base):  # type: ignore[misc]
    """``CSafeLoader`` without the timestamp resolver."""


TicketYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


class YamlProblem(Exception):
    """The YAML could not be read; ``line`` is 1-based within the YAML text."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def load(text: str) -> Any:
    """Parse ``text``; raise :class:`YamlProblem` with a one-line message on any failure."""
    if "*" in text and _has_alias(text):
        raise YamlProblem("YAML aliases are not allowed in ticket frontmatter", None)
    try:
        return yaml.load(text, Loader=TicketYamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(f"invalid YAML: {problem}", line) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise YamlProblem(f"invalid YAML: {message}", None) from None


def _has_alias(text: str) -> bool:
    try:
        return any(isinstance(t, yaml.AliasToken) for t in yaml.scan(text, Loader=_Base))
    except yaml.YAMLError:
        return False
