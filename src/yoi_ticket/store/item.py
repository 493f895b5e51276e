"""``item.md``: YAML frontmatter between ``---`` lines, then a Markdown body.

python-frontmatter's boundary regex swallows blank lines, which would shift
every line number doctor reports, so the split is done here line by line and
the YAML goes to PyYAML's C loader (see :mod:`yoi_ticket.store.yaml_loader`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yoi_ticket.store.models import ItemFile

_KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*:")


@dataclass(frozen=True, slots=True)
class FrontmatterError:
    message: str
    line: int | None


def split_frontmatter(text: str) -> tuple[list[str], int] | None:
    """Return the frontmatter lines and the 1-based line of the closing ``---``.

    ``None`` when the text does not start with a ``---`` line or never closes it.
    """
    found = _frontmatter(text)
    return None if found is None else (found[0], found[1])


def _frontmatter(text: str) -> tuple[list[str], int, int] | None:
    """:func:`split_frontmatter` plus the offset where the body starts; reads only the
    frontmatter lines, not the whole file."""
    if not text.startswith("---"):
        return None
    end = text.find("\n")
    if (text if end == -1 else text[:end]).rstrip() != "---":
        return None
    lines: list[str] = []
    while end != -1:
        start = end + 1
        end = text.find("\n", start)
        line = text[start:] if end == -1 else text[start:end]
        if line.rstrip() == "---":
            return lines, len(lines) + 2, len(text) if end == -1 else end + 1
        lines.append(line)
    return None


def parse_item(text: str) -> tuple[ItemFile, FrontmatterError | None]:
    """Parse ``item.md`` text; never raises. On failure ``frontmatter_ok`` is false."""
    split = _frontmatter(text)
    if split is None:
        if text.startswith("---"):
            return _failed(text), FrontmatterError("frontmatter is not closed by a '---' line", 1)
        return _failed(text), FrontmatterError(
            "no YAML frontmatter (file must start with '---')", 1
        )
    fm_lines, closing_line, body_start = split
    # PyYAML is imported when the first item is parsed. (Importing a module, not a name
    # from the package: "from yoi_ticket import x" runs importlib's Python code each time.)
    from yoi_ticket.store.yaml_loader import YamlProblem, load

    try:
        data = load("\n".join(fm_lines))
    except YamlProblem as problem:
        line = problem.line + 1 if problem.line is not None else 1
        return _failed(text), FrontmatterError(problem.message, line)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return _failed(text), FrontmatterError(
            f"frontmatter is a YAML {type(data).__name__}, not a mapping of fields", 2
        )
    field_lines: dict[str, int] = {}
    for offset, fm_line in enumerate(fm_lines):
        match = _KEY_RE.match(fm_line)
        if match:  # a repeated key: YAML keeps the last value, so point at the last line
            field_lines[match.group(1)] = offset + 2
    fields = {str(key): value for key, value in data.items()}
    body = text[body_start:]  # the lines after the closing '---'
    return ItemFile(
        fields=fields, field_lines=field_lines, body=body, body_line=closing_line + 1
    ), None


def _failed(text: str) -> ItemFile:
    return ItemFile(body=text, body_line=1, frontmatter_ok=False)
