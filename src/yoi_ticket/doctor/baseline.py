"""Doctor baselines: fingerprints that survive line shifts, the baseline file, and the
filter that lets through only the findings a baseline does not hold.

A finding's fingerprint is a hash of its code, its path and its message with the line
references taken out (``line 12``, ``lines 5-9`` become ``line #``), followed by ``:N``,
its occurrence among the identical findings of that file in report order. The line of
the finding is not part of it, so an edit above a finding leaves it matched; the
occurrence number makes a second identical finding in a file new even when the first
one is in the baseline. SARIF's ``partialFingerprints`` carry the same string.

Every step is one pass over the sorted diagnostics (they come grouped by path): the
occurrence counts are kept for the current file only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.errors import UsageError

BASELINE_VERSION = 1
BASELINE_KIND = "yoi-ticket doctor baseline"
MAX_BASELINE_BYTES = 256 * 1024 * 1024
SARIF_FINGERPRINT = "yoiTicketFinding/v1"
"""The ``partialFingerprints`` key of a SARIF result (the value is its fingerprint)."""

_LINE_REFERENCE = re.compile(r"\b(lines?) \d+(?:-\d+)?\b")

Fingerprinted = tuple[Diagnostic, str]


def normalized_message(message: str) -> str:
    """``message`` without the line numbers it names (they move when the file is edited)."""
    # Most messages name no line: the substring test is 50x cheaper than the regex.
    return _LINE_REFERENCE.sub(r"\1 #", message) if "line" in message else message


def finding_key(diagnostic: Diagnostic) -> str:
    """The hash of a finding's code, path and line-free message (without its occurrence)."""
    text = "\0".join((diagnostic.code, diagnostic.path, normalized_message(diagnostic.message)))
    # surrogatepass: a file name that is not UTF-8 still hashes to the same value each run.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def fingerprinted(diagnostics: Iterable[Diagnostic]) -> Iterator[Fingerprinted]:
    """Each diagnostic with its fingerprint (``<key>:<occurrence>``), in one pass.

    The diagnostics must come grouped by path, as doctor sorts them.
    """
    path: str | None = None
    seen: dict[str, int] = {}
    for diagnostic in diagnostics:
        if diagnostic.path != path:
            path, seen = diagnostic.path, {}
        key = finding_key(diagnostic)
        occurrence = seen[key] = seen.get(key, 0) + 1
        yield diagnostic, f"{key}:{occurrence}"


@dataclass(frozen=True)
class BaselineSummary:
    """What a baseline did to a run: its file, the findings it matched, its entries no
    finding matched any more (fixed, or changed), and whether this run wrote it."""

    file: str
    matched: int
    gone: int
    written: bool = False

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "matched": self.matched, "gone": self.gone}


class Baseline:
    """The fingerprints of a baseline file, and the filter that drops what they match."""

    def __init__(self, fingerprints: Iterable[str], *, file: str = "") -> None:
        self.fingerprints = frozenset(fingerprints)
        self.file = file
        self.matched = 0

    @classmethod
    def load(cls, path: Path, *, shown: str, origin: str = "") -> Baseline:
        """Read the baseline at ``path`` (named ``shown``, then ``origin``, in errors); a
        missing or bad file is a usage error."""
        file, shown = shown, shown + origin
        from yoi_ticket.files.fsutil import read_regular

        try:
            data = read_regular(path, MAX_BASELINE_BYTES)
        except FileNotFoundError:
            raise UsageError(
                f"baseline {shown}: no such file",
                hint=f"record today's findings with 'yoi ticket doctor --write-baseline {file}'",
            ) from None
        except OSError as exc:
            raise UsageError(f"cannot read baseline {shown}: {exc.strerror or exc}") from None
        if len(data) > MAX_BASELINE_BYTES:
            raise UsageError(f"baseline {shown} is larger than {MAX_BASELINE_BYTES} bytes")
        return cls(_parse(data, shown), file=file)

    def new_findings(self, findings: Iterable[Fingerprinted]) -> Iterator[Fingerprinted]:
        """The findings whose fingerprint is not in the baseline (counting the others)."""
        for finding in findings:
            if finding[1] in self.fingerprints:
                self.matched += 1
            else:
                yield finding

    def summary(self) -> BaselineSummary:
        """The counts once :meth:`new_findings` has been consumed."""
        return BaselineSummary(self.file, self.matched, len(self.fingerprints) - self.matched)


def _parse(data: bytes, shown: str) -> list[str]:
    def bad(reason: str) -> UsageError:
        return UsageError(f"baseline {shown} is not a doctor baseline: {reason}")

    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise bad("nested too deeply") from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise bad('no "findings" list')
    if document.get("version") != BASELINE_VERSION:
        raise bad(f"version {document.get('version')!r}, expected {BASELINE_VERSION}")
    fingerprints = []
    for number, entry in enumerate(document["findings"], start=1):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not fingerprint:
            raise bad(f"finding {number} has no fingerprint")
        fingerprints.append(fingerprint)
    return fingerprints


class BaselineWriter:
    """Records the findings that pass through it; :meth:`write` saves them as a baseline."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, str, str, int, dict[str, str]]] = []

    def record(self, findings: Iterable[Fingerprinted]) -> Iterator[Fingerprinted]:
        for diagnostic, fingerprint in findings:
            occurrence = fingerprint.rpartition(":")[2]
            message = normalized_message(diagnostic.message)
            entry = {
                "fingerprint": fingerprint,
                "code": diagnostic.code,
                "path": diagnostic.path,
                "message": message,
            }
            self._entries.append(
                (diagnostic.path, diagnostic.code, message, int(occurrence), entry)
            )
            yield diagnostic, fingerprint

    @property
    def count(self) -> int:
        return len(self._entries)

    def write(self, path: Path, *, shown: str) -> None:
        """Save the recorded findings at ``path`` atomically.

        Entries are sorted by path, code and message, never by line, and their messages have
        their line numbers as ``#``, so rewriting a baseline after edits that only moved
        findings gives the same file: only the entries that came or went change.
        """
        from yoi_ticket.files.atomicfile import write_replace

        self._entries.sort(key=lambda item: item[:4])
        document = {
            "version": BASELINE_VERSION,
            "kind": BASELINE_KIND,
            "findings": [item[4] for item in self._entries],
        }
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        # A name that is not UTF-8 is kept as a \udcff escape: the file stays valid JSON.
        data = text.encode("utf-8", "backslashreplace")
        try:
            write_replace(path, data, mode=0o644)
        except OSError as exc:
            raise UsageError(f"cannot write baseline {shown}: {exc.strerror or exc}") from None


def check_writable(path: Path, shown: str) -> None:
    """A usage error unless ``path`` can be created: its folder exists, it is no folder."""
    if path.is_dir():
        raise UsageError(f"cannot write baseline {shown}: it is a directory")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write baseline {shown}: folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK):
        raise UsageError(f"cannot write baseline {shown}: folder {path.parent} is not writable")
