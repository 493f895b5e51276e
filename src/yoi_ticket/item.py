"""``item.md``: YAML frontmatter between ``---`` lines, then a Markdown body.

python-frontmatter's boundary regex swallows blank lines, which would shift
every line number doctor reports, so the split is done here line by line and
the YAML goes to PyYAML's C loader (see :mod:`yoi_ticket.yaml_loader`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yoi_ticket import yaml_loader
from yoi_ticket.models import ItemFile

_KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*:")


@dataclass(frozen=True, slots=True)
class FrontmatterError:
    message: str
    line: int | None


def split_frontmatter(text: str) -> tuple[list[str], int] | None:
    """Return the frontmatter lines and the 1-based line of the closing ``---``.

    ``None`` when the text does not start with a ``---`` line or never closes it.
    """
    if not text.startswith("---"):
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return lines[1:index], index + 1
    return None


def parse_item(text: str) -> tuple[ItemFile, FrontmatterError | None]:
    """Parse ``item.md`` text; never raises. On failure ``frontmatter_ok`` is false."""
    split = split_frontmatter(text)
    if split is None:
        if text.startswith("---"):
            return _failed(text), FrontmatterError("frontmatter is not closed by a '---' line", 1)
        return _failed(text), FrontmatterError(
            "no YAML frontmatter (file must start with '---')", 1
        )
    fm_lines, closing_line = split
    try:
        data = yaml_loader.load("\n".join(fm_lines))
    except yaml_loader.YamlProblem as problem:
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
    body = "\n".join(text.split("\n")[closing_line:])
    return ItemFile(
        fields=fields, field_lines=field_lines, body=body, body_line=closing_line + 1
    ), None


def _failed(text: str) -> ItemFile:
    return ItemFile(body=text, body_line=1, frontmatter_ok=False)
