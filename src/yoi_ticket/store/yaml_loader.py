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
# Only tags that give JSON-like values (str, int, float, bool, null, list, dict) are
# constructed; explicit ``!!binary``, ``!!set``, ``!!timestamp``, ``!!omap`` and
# ``!!pairs`` (bytes, sets, datetimes, tuples) are rejected like any unknown tag.
_PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str")}
TicketYamlLoader.yaml_constructors = {
    tag: constructor
    for tag, constructor in _Base.yaml_constructors.items()
    if tag is None
    or tag in _PLAIN_TAGS
    or tag in ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")
}


class YamlProblem(Exception):
    """The YAML could not be read; ``line`` is 1-based within the YAML text."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


MAX_DEPTH = 100
"""Deeper nesting is refused: libyaml's composer recurses in C and crashes the process
on a few tens of thousands of levels (``[[[[...`` or ``- - - ...``)."""

# Every nesting level needs one of these characters, so text with few of them is safe.
_NESTING_CHARS = "[{-?:"
_OPENERS = (
    yaml.BlockSequenceStartToken,
    yaml.BlockMappingStartToken,
    yaml.FlowSequenceStartToken,
    yaml.FlowMappingStartToken,
)
_CLOSERS = (yaml.BlockEndToken, yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)


def load(text: str) -> Any:
    """Parse ``text``; raise :class:`YamlProblem` with a one-line message on any failure."""
    try:
        return _load(text)
    except UnicodeEncodeError:  # lone surrogates, as surrogateescape decoding leaves them
        raise YamlProblem("invalid YAML: text that is not valid Unicode", None) from None


def _load(text: str) -> Any:
    if sum(text.count(char) for char in _NESTING_CHARS) > MAX_DEPTH:
        deep_line = _too_deep_line(text)
        if deep_line is not None:
            raise YamlProblem(f"YAML nested more than {MAX_DEPTH} levels deep", deep_line)
    alias_line = _alias_line(text) if "*" in text else None
    if alias_line is not None:
        raise YamlProblem("YAML aliases are not allowed in ticket frontmatter", alias_line)
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


def _alias_line(text: str) -> int | None:
    """The 1-based line of the first alias in ``text``, or ``None`` when it has none."""
    try:
        for token in yaml.scan(text, Loader=_Base):
            if isinstance(token, yaml.AliasToken):
                return int(token.start_mark.line) + 1
    except yaml.YAMLError:
        return None
    return None


def _too_deep_line(text: str) -> int | None:
    """The 1-based line where nesting first exceeds :data:`MAX_DEPTH` (the scanner is flat)."""
    depth = 0
    try:
        for token in yaml.scan(text, Loader=_Base):
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > MAX_DEPTH:
                    return int(token.start_mark.line) + 1
            elif isinstance(token, _CLOSERS):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None
