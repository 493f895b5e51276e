"""``item.md``: YAML frontmatter between ``---`` lines, then a Markdown body.

python-frontmatter's boundary regex swallows blank lines, which would shift
every line number doctor reports, so the split is done here line by line and
the YAML goes to PyYAML's C loader (see :mod:`yoi_ticket.store.yaml_loader`).

The reader is more tolerant than upstream yoi's: a BOM, a ``--- `` boundary with
trailing whitespace and a non-string key are read, and noted for doctor
(:func:`read_item`). A v1-era item whose YAML fails is read line by line, as
upstream read frontmatter before 2026-06-08: each line split at its first ``:``,
the key trimmed, the value left-trimmed.

:class:`FrontmatterLines` finds the lines of nested keys and values for diagnostics,
in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from yoi_ticket.store.models import ItemFile

_KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*:")
_RAW_KEY_RE = re.compile(r"^([^\s#:'\"-][^:]*?)\s*:(?:\s|$)")

NoteKind = Literal["frontmatter", "legacy-frontmatter", "upstream-item", "field-type"]


@dataclass(frozen=True, slots=True)
class FrontmatterError:
    """A problem with the frontmatter. ``frontmatter``: it could not be read;
    ``legacy-frontmatter``: read line by line (invalid YAML of the v1 era);
    ``upstream-item``: read here, but not by upstream yoi (a BOM, a boundary with
    trailing whitespace); ``field-type``: a key that is not a string."""

    message: str
    line: int | None
    kind: NoteKind = "frontmatter"


def split_frontmatter(text: str) -> tuple[list[str], int] | None:
    """Return the frontmatter lines and the 1-based line of the closing ``---``.

    ``None`` when the text does not start with a ``---`` line or never closes it.
    """
    found = _frontmatter(text)
    return None if found is None else (found[0], found[1])


def _frontmatter(text: str) -> tuple[list[str], int, int, str] | None:
    """:func:`split_frontmatter` plus the offset where the body starts and the closing
    line as written; reads only the frontmatter lines, not the whole file."""
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
            return lines, len(lines) + 2, len(text) if end == -1 else end + 1, line
        lines.append(line)
    return None


def parse_item(
    text: str, *, legacy: bool = False, bom: bool = False
) -> tuple[ItemFile, FrontmatterError | None]:
    """Parse ``item.md`` text; never raises. On failure ``frontmatter_ok`` is false and
    the error says why (the notes of :func:`read_item` that are not errors are dropped)."""
    item, notes = read_item(text, legacy=legacy, bom=bom)
    errors = [note for note in notes if note.kind == "frontmatter"]
    return item, errors[0] if errors else None


def read_item(
    text: str, *, legacy: bool = False, bom: bool = False, lines: bool = True
) -> tuple[ItemFile, list[FrontmatterError]]:
    """Parse ``item.md`` text and note everything upstream yoi would not read.

    ``legacy``: the item is of the v1 era, so YAML that fails is read line by line (with a
    ``legacy-frontmatter`` note instead of the error). ``bom``: the bytes started with a BOM.
    ``lines=False``: the line of each field is not looked for (``list`` needs values only).
    """
    notes: list[FrontmatterError] = []
    if bom:
        notes.append(FrontmatterError("item.md starts with a UTF-8 BOM", 1, "upstream-item"))
    split = _frontmatter(text)
    if split is None:
        if text.startswith("---"):
            message = "frontmatter is not closed by a '---' line"
        else:
            message = "no YAML frontmatter (file must start with '---')"
        return _failed(text), [*notes, FrontmatterError(message, 1)]
    fm_lines, closing_line, body_start, closer = split
    opener = text[: text.find("\n")] if "\n" in text else text
    for line, what, written in ((1, "opening", opener), (closing_line, "closing", closer)):
        if written != "---":
            notes.append(
                FrontmatterError(
                    f"the {what} line {written!r} is not exactly '---' (trailing whitespace)",
                    line,
                    "upstream-item",
                )
            )
    # PyYAML is imported when the first item is parsed. (Importing a module, not a name
    # from the package: "from yoi_ticket import x" runs importlib's Python code each time.)
    from yoi_ticket.store.yaml_loader import YamlProblem, load

    try:
        data = load("\n".join(fm_lines))
    except YamlProblem as problem:
        line = problem.line + 1 if problem.line is not None else 1
        if legacy:
            notes.append(
                FrontmatterError(
                    f"frontmatter is not valid YAML ({problem.message}), read line by line "
                    "as upstream's pre-YAML reader did",
                    line,
                    "legacy-frontmatter",
                )
            )
            return _line_read(fm_lines, text, closing_line, body_start), notes
        return _failed(text), [*notes, FrontmatterError(problem.message, line)]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        message = f"frontmatter is a YAML {type(data).__name__}, not a mapping of fields"
        return _failed(text), [*notes, FrontmatterError(message, 2)]
    field_lines: dict[str, int] = {}
    for offset, fm_line in enumerate(fm_lines if lines else ()):
        match = _KEY_RE.match(fm_line)
        if match:  # a repeated key: YAML keeps the last value, so point at the last line
            field_lines[match.group(1)] = offset + 2
    odd_keys = [key for key in data if not isinstance(key, str)]
    if odd_keys:
        notes.extend(_key_notes(odd_keys, data, fm_lines))
    fields = {str(key): value for key, value in data.items()}
    body = text[body_start:]  # the lines after the closing '---'
    return ItemFile(
        fields=fields, field_lines=field_lines, body=body, body_line=closing_line + 1
    ), notes


def _line_read(fm_lines: list[str], text: str, closing_line: int, body_start: int) -> ItemFile:
    """The frontmatter as upstream's line-based reader saw it: every value a string."""
    fields: dict[str, str] = {}
    field_lines: dict[str, int] = {}
    for offset, fm_line in enumerate(fm_lines):
        key, colon, value = fm_line.partition(":")
        key = key.strip()
        if colon and key:
            fields[key] = value.lstrip()
            field_lines[key] = offset + 2
    return ItemFile(
        fields=fields, field_lines=field_lines, body=text[body_start:], body_line=closing_line + 1
    )


def _key_notes(
    odd_keys: list[object], data: dict[object, object], fm_lines: list[str]
) -> list[FrontmatterError]:
    """A note per key that YAML read as something other than a string, at its line when a
    top-level line spells a key that is not one of the string keys."""
    names = {key for key in data if isinstance(key, str)}
    lines = [
        offset + 2
        for offset, fm_line in enumerate(fm_lines)
        if (match := _RAW_KEY_RE.match(fm_line)) and match.group(1) not in names
    ]
    return [
        FrontmatterError(
            f"key {key!r} is a YAML {yaml_type(key)}, not a string",
            lines[index] if index < len(lines) else 2,
            "field-type",
        )
        for index, key in enumerate(odd_keys)
    ]


def yaml_type(value: object) -> str:
    """The YAML name of a loaded value's type."""
    if value is None:
        return "null"
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "sequence"}
    return names.get(type(value), "mapping" if isinstance(value, dict) else type(value).__name__)


def _failed(text: str) -> ItemFile:
    return ItemFile(body=text, body_line=1, frontmatter_ok=False)


def _is_key_line(text: str, key: str) -> bool:
    """Whether ``text`` matches ``^\\s*(?:-\\s+)?["']?KEY["']?\\s*:`` (without compiling a
    regular expression for each key: a frontmatter can have thousands of them)."""
    rest = text.lstrip()
    if rest[:1] == "-" and rest[1:2].isspace():
        rest = rest[1:].lstrip()
    if rest[:1] in ("'", '"'):
        rest = rest[1:]
    if not rest.startswith(key):
        return False
    rest = rest[len(key) :]
    if rest[:1] in ("'", '"'):
        rest = rest[1:]
    return rest.lstrip().startswith(":")


class FrontmatterLines:
    """The lines of nested frontmatter keys and values, found by reading the frontmatter
    forward from the last line found (values come in the order they are written).

    Linear in the frontmatter: the lines a ticket's searches read are counted, and once
    they are four times the frontmatter (values that are not written as they are read,
    such as escaped or folded strings, are searched for in vain), the rest are placed at
    the last line found.
    """

    def __init__(self, text: str, body_line: int) -> None:
        """``text``: the whole item.md; ``body_line``: the line after the closing ``---``."""
        self.lines = text.split("\n", body_line)[:body_line]
        self.last = body_line - 2  # the last frontmatter line
        self.cursor = 1
        self.budget = 4 * len(self.lines) + 64

    def start(self, line: int) -> None:
        """Look from ``line`` (a top-level field) on."""
        self.cursor = line

    def key(self, key: str) -> int:
        """The line of ``key:`` from the cursor on (else the cursor), which moves there."""
        return self._find(lambda text: _is_key_line(text, key))

    def value(self, value: str) -> int:
        """The first line from the cursor on that shows ``value`` (else the cursor)."""
        needle = value.split("\n", 1)[0][:40]
        return self._find(lambda text: needle in text)

    def _find(self, test: Callable[[str], bool]) -> int:
        number = self.cursor
        while number <= self.last and number - 1 < len(self.lines) and self.budget > 0:
            self.budget -= 1
            if test(self.lines[number - 1]):
                self.cursor = number
                return number
            number += 1
        return self.cursor
