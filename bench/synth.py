"""Synthetic ticket stores built from copies of real v2 corpus tickets.

Two corpora can serve as templates (:data:`CORPORA`): ``sample``
(``tests/data/corpus/v2-sample``, 40 tickets sampled from a real store, with
its finding density: about 2.4 doctor findings per ticket) is the default;
``flat`` (``v2-flat``, 36 tickets picked to be clean: doctor finds nothing)
is the second row, the least work a run can do.

Ticket ``i`` of a store is a copy of corpus ticket ``i % T`` (``T`` corpus
tickets) in copy group ``i // T``, with a fresh canonical id: ids encode
increasing epoch milliseconds, so folder order is creation order. Every
ticket id written in a copied file (relations, plan records, prose) is
remapped to the copy of that ticket in the same group, so relations stay
valid. Ids that name tickets outside the corpus (the real relations point at
a few) are remapped to a corpus ticket with no outgoing ``depends_on`` or
``blocks`` relation, which keeps the dependency graph acyclic.

Built stores are git repositories with everything committed, cached under
``bench/.work/stores/`` by corpus, size and :data:`GENERATOR_VERSION`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from yoi_ticket.store.ids import encode_canonical_id

GENERATOR_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parents[1]
CORPORA = {
    "sample": REPO_ROOT / "tests" / "data" / "corpus" / "v2-sample",  # real finding density
    "flat": REPO_ROOT / "tests" / "data" / "corpus" / "v2-flat",  # clean
}
DEFAULT_CORPUS = "sample"
CORPUS = CORPORA[DEFAULT_CORPUS]
STORE = Path(".yoi") / "tickets"
COMPLETE_MARKER = "bench-store.json"  # written into .git/ once the store is committed
BASE_EPOCH_MS = 1_780_000_000_000  # 2026-05-28T20:26:40Z
ID_STEP_MS = 997  # ids of consecutive tickets differ by about a second
_ID_RE = re.compile(r"(?<![0-9A-Z])0000[0-9A-HJKMNP-TV-Z]{9}(?![0-9A-Z])")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2026-07-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-07-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(cwd: Path, *args: str, capture: bool = True) -> str:
    """Run git in ``cwd`` with a fixed identity and no user or system configuration."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        check=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return result.stdout if capture else ""


@dataclass(frozen=True)
class Template:
    """One corpus ticket: its files split into literal text and ticket-id slots."""

    id: str
    files: tuple[tuple[str, tuple[str, ...]], ...]  # (relative path, parts); odd parts are ids


def load_templates(corpus: Path = CORPUS) -> list[Template]:
    root = corpus / STORE
    templates = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            text = path.read_text(encoding="utf-8")
            parts = _split_ids(text)
            files.append((path.relative_to(folder).as_posix(), parts))
        templates.append(Template(folder.name, tuple(files)))
    return templates


def _split_ids(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    last = 0
    for match in _ID_RE.finditer(text):
        parts.extend((text[last : match.start()], match.group(0)))
        last = match.end()
    parts.append(text[last:])
    return tuple(parts)


def _sinks(templates: list[Template]) -> list[str]:
    """Corpus tickets with no outgoing ordering relation (safe targets for unknown ids)."""
    sinks = []
    for template in templates:
        ordering = False
        for name, parts in template.files:
            if name == "artifacts/relations.json":
                data = json.loads("".join(parts))
                ordering = any(r.get("kind") in ("depends_on", "blocks") for r in data["relations"])
        if not ordering:
            sinks.append(template.id)
    return sinks


def ticket_id(index: int) -> str:
    return encode_canonical_id(BASE_EPOCH_MS + index * ID_STEP_MS)


class Generator:
    """Writes ``size`` tickets copied from the corpus templates into a workspace."""

    def __init__(
        self, size: int, templates: list[Template] | None = None, corpus: Path = CORPUS
    ) -> None:
        self.corpus = corpus
        self.templates = templates if templates is not None else load_templates(corpus)
        count = len(self.templates)
        if size < count:
            raise ValueError(f"a synthetic store needs at least {count} tickets, not {size}")
        self.size = size
        self.position = {t.id: i for i, t in enumerate(self.templates)}
        sinks = _sinks(self.templates)
        known = set(self.position)
        unknown = sorted(
            {
                part
                for t in self.templates
                for _, parts in t.files
                for part in parts[1::2]
                if part not in known
            }
        )
        self.alias = {old: sinks[n % len(sinks)] for n, old in enumerate(unknown)}

    def new_id(self, group: int, old_id: str) -> str:
        """The id that ``old_id`` (a corpus id) has in copy group ``group``."""
        position = self.position[self.alias.get(old_id, old_id)]
        index = group * len(self.templates) + position
        while index >= self.size:  # the last group may be partial: point into a full one
            index -= len(self.templates)
        return ticket_id(index)

    def write(self, workspace: Path) -> None:
        shutil.copytree(self.corpus / ".yoi", workspace / ".yoi", ignore=_only_gitignore)
        root = workspace / STORE
        root.mkdir(parents=True, exist_ok=True)
        count = len(self.templates)
        for index in range(self.size):
            group, template = divmod(index, count)
            self._write_ticket(root / ticket_id(index), group, self.templates[template])

    def _write_ticket(self, folder: Path, group: int, template: Template) -> None:
        folder.mkdir()
        made = {folder}
        for name, parts in template.files:
            path = folder / name
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            text = "".join(
                part if n % 2 == 0 else self.new_id(group, part) for n, part in enumerate(parts)
            )
            with open(path, "wb") as handle:
                handle.write(text.encode("utf-8"))


def _only_gitignore(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name != ".gitignore"]


def build_store(size: int, work: Path, *, corpus: str = DEFAULT_CORPUS, log: bool = True) -> Path:
    """The committed synthetic workspace of ``size`` tickets copied from ``corpus`` (a key
    of :data:`CORPORA`), built once, then cached."""
    workspace = work / "stores" / f"g{GENERATOR_VERSION}-{corpus}-{size}"
    marker = workspace / ".git" / COMPLETE_MARKER
    if marker.is_file():
        return workspace
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    started = time.perf_counter()
    if log:
        print(f"building a {size}-ticket store in {workspace} ...", flush=True)
    Generator(size, corpus=CORPORA[corpus]).write(workspace)
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "config", "gc.auto", "0")
    git(workspace, "config", "maintenance.auto", "false")
    git(workspace, "add", "-A", capture=False)
    git(workspace, "commit", "-q", "-m", f"synthetic store of {size} tickets", capture=False)
    seconds = time.perf_counter() - started
    info = {"size": size, "corpus": corpus, "generator": GENERATOR_VERSION, "seconds": seconds}
    marker.write_text(json.dumps(info) + "\n", encoding="utf-8")
    if log:
        print(f"  built in {info['seconds']:.1f} s", flush=True)
    return workspace
