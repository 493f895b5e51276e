"""JSON text laid out exactly as ``json.dumps(value, indent=2, ensure_ascii=False,
default=str)`` lays it out, written in pieces.

The standard library drops its C encoder as soon as ``indent`` is set, and then spends
about ten microseconds on a small object; a listing of 100,000 tickets or a doctor
report with 240,000 findings spends seconds there. Here strings go through the C
string encoder and the layout is added around them, so a long document can also be
written one entry at a time (:func:`write_document`) instead of built whole in memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any

FLUSH_EVERY = 512  # entries per write while streaming a document


def encode(value: Any, level: int = 0) -> str:
    """``value`` as JSON, indented by two spaces per level, nested ``level`` levels deep
    (the lines after the first carry that indentation, as inside a larger document)."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = "\n" + "  " * (level + 1)
        items = [f"{inner}{_key(k)}: {encode(v, level + 1)}" for k, v in value.items()]
        return "{" + ",".join(items) + "\n" + "  " * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = "\n" + "  " * (level + 1)
        return (
            "[" + ",".join(inner + encode(v, level + 1) for v in value) + "\n" + "  " * level + "]"
        )
    return encode_basestring(str(value))  # default=str


def _float(value: float) -> str:
    if math.isfinite(value):
        return float.__repr__(value)
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _key(key: Any) -> str:
    """A mapping key as ``json.dumps`` writes it (keys are strings in JSON)."""
    if isinstance(key, str):
        return encode_basestring(key)
    if key is True or key is False or key is None:
        return f'"{encode(key)}"'
    if isinstance(key, (int, float)):
        return f'"{encode(key)}"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def write_document(
    write: Callable[[str], None],
    head: Mapping[str, Any],
    key: str,
    entries: Iterable[Any],
    tail: Callable[[], Mapping[str, Any]] | None = None,
    *,
    batch: int = FLUSH_EVERY,
) -> None:
    """Write ``{**head, key: list(entries), **tail()}`` as :func:`encode` would, without
    holding the list: entries are encoded as they come and written a batch at a time.
    ``tail`` is called after the last entry (a summary of what was written, say);
    ``batch`` entries go out per call of ``write``."""
    parts = ["{"]
    for name, value in head.items():
        parts.append(f"\n  {_key(name)}: {encode(value, 1)},")
    parts.append(f"\n  {_key(key)}: [")
    count = 0
    for entry in entries:
        parts.append(("," if count else "") + "\n    " + encode(entry, 2))
        count += 1
        if count % batch == 0:
            write("".join(parts))
            parts = []
    parts.append("\n  ]" if count else "]")
    for name, value in (tail() if tail is not None else {}).items():
        parts.append(f",\n  {_key(name)}: {encode(value, 1)}")
    parts.append("\n}")
    write("".join(parts))
