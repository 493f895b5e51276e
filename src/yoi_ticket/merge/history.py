"""Thread events that merges lost, for one merge or every merge of a history.

This is the one lost-event detector: doctor's YT505/YT506 (``HEAD``, ``--merge-commit``,
``--staged``, ``--merges``) and ``restore-events`` all read their losses here.

For each merge (a merge commit, or the merge being committed, whose result is the index):

1. What the result changed against each parent under the store: one
   ``git diff-tree --stdin`` for all the merges of a range, with the blob ids of both
   sides, so a range of hundreds of merges costs one process; blobs are then read by id
   from the one ``git cat-file --batch`` (each read once, the parsed threads kept for
   the next merges).
2. The threads to check: the result's ``thread.md`` files that differ from a parent.
3. A ticket that the merge moved or renamed (a v1 bucket folder to a flat v2 folder,
   ``open/`` to ``closed/``) is followed: a parent's thread that the result no longer has
   at its path is paired with the result thread that the parent lacks and that holds the
   most of its events (a tie is not guessed: the thread then counts as deleted, like a
   ticket the merge removed, and is not checked).
4. The events are compared by :func:`~yoi_ticket.merge.conflicts.lost_events`. The merge
   base, needed only to tell an event deleted on purpose from one lost, is asked for only
   when a parent has an event that the result lacks; most merges need no git process.

A thread larger than ticket files may be (:data:`~yoi_ticket.files.textfile.MAX_FILE_BYTES`)
is not checked; doctor reports its size where it lives.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from yoi_ticket.files import textfile
from yoi_ticket.git import GitError, GitRepo, TreeChange
from yoi_ticket.merge.conflicts import EventKey, LostEvent, event_key, lost_events
from yoi_ticket.store.thread import Event, parse_thread

INDEX = "index"  # the result of the merge being committed: what is staged
THREAD = "thread.md"
_CACHED_THREADS = 512

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class MergeToCheck:
    result: str  # the merge commit, or INDEX
    parents: tuple[str, ...]
    label: str  # how messages name it: "merge 1a2b3c4d5e6f", "the merge being committed"


@dataclass(frozen=True, slots=True)
class ThreadLoss:
    """An event of a merge parent that the merge dropped (or kept with an edited body)."""

    merge: MergeToCheck
    path: str  # the thread in the merge result (workspace-relative)
    parent_path: str  # the same ticket's thread in that parent (another path if moved)
    lost: LostEvent

    @property
    def parent(self) -> str:
        return self.merge.parents[self.lost.parent]


def merge_commit(repo: GitRepo, commit: str, label: str | None = None) -> MergeToCheck:
    """The merge ``commit`` (a commit id) with its parents."""
    parents = tuple(repo.parents(commit))
    return MergeToCheck(commit, parents, label or f"merge {commit[:12]}")


RANGE_HINT = "give a range such as main~300..main or v1.0..HEAD, or a branch for its whole history"


def merges_in(repo: GitRepo, revisions: str, option: str = "--merges") -> list[MergeToCheck]:
    """Every merge commit of a revision range (``main~300..main``, ``v1.0..HEAD``, or one
    revision: its whole history), oldest first; a usage error naming ``option`` when git
    cannot list the range."""
    if not revisions.strip() or revisions.startswith("-"):
        raise GitError(f"{option} {revisions!r}: not a revision range", hint=RANGE_HINT)
    try:
        listed = repo.merges(revisions)
    except GitError as exc:
        raise GitError(
            f"{option} {revisions}: not a revision range of this repository ({exc.message})",
            hint=RANGE_HINT,
        ) from None
    return [
        MergeToCheck(commit, tuple(parents), f"merge {commit[:12]}") for commit, parents in listed
    ]


def merges_given(repo: GitRepo, specs: Sequence[str]) -> list[MergeToCheck]:
    """The merges named by ``specs``, each a revision range (it holds ``..``: its merges) or
    one merge commit; each merge once, in the order given."""
    found: dict[str, MergeToCheck] = {}
    for spec in specs:
        if ".." in spec:
            merges = merges_in(repo, spec, "range")
        else:
            commit = repo.rev(spec) if spec and not spec.startswith("-") else None
            if commit is None:
                raise GitError(f"{spec}: not a commit in this repository", hint=RANGE_HINT)
            merges = [merge_commit(repo, commit)]
            if len(merges[0].parents) < 2:
                raise GitError(
                    f"{spec}: not a merge commit (it has one parent)",
                    hint="name a merge commit, or a range holding merges (A..B)",
                )
        for merge in merges:
            found.setdefault(merge.result, merge)
    return list(found.values())


def find_losses(
    repo: GitRepo,
    merges: Sequence[MergeToCheck],
    store: str,
    *,
    progress: Progress | None = None,
) -> list[ThreadLoss]:
    """The events each of ``merges`` lost under the store folder ``store``."""
    pairs = [(m.result, parent) for m in merges if m.result != INDEX for parent in m.parents]
    blocks = iter(repo.changes_from_parents(pairs, store))
    threads = ThreadCache(repo)
    losses: list[ThreadLoss] = []
    for done, merge in enumerate(merges, start=1):
        if merge.result == INDEX:
            changes = [repo.index_changes(parent, store) for parent in merge.parents]
        else:
            changes = [next(blocks) for _ in merge.parents]
        losses.extend(_losses(repo, threads, merge, changes))
        if progress is not None:
            progress(done, len(merges))
    return losses


class ThreadCache:
    """Threads read from git by blob id, parsed once; the last few hundred are kept."""

    def __init__(self, repo: GitRepo) -> None:
        self._repo = repo
        self._parsed: OrderedDict[str, tuple[list[Event], frozenset[EventKey]] | None] = (
            OrderedDict()
        )

    def events(self, blob: str) -> list[Event] | None:
        """The events of blob ``blob`` (``None``: larger than ticket files may be)."""
        found = self._read(blob)
        return None if found is None else found[0]

    def keys(self, blob: str) -> frozenset[EventKey]:
        found = self._read(blob)
        return frozenset() if found is None else found[1]

    def _read(self, blob: str) -> tuple[list[Event], frozenset[EventKey]] | None:
        if blob in self._parsed:
            self._parsed.move_to_end(blob)
            return self._parsed[blob]
        data = self._repo.blob(blob)
        parsed = None
        if len(data) <= textfile.MAX_FILE_BYTES:
            events = parse_thread(textfile.decode(data).text)
            parsed = (events, frozenset(event_key(event) for event in events))
        self._parsed[blob] = parsed
        if len(self._parsed) > _CACHED_THREADS:
            self._parsed.popitem(last=False)
        return parsed


Version = tuple[str, str]  # (path, blob) of a ticket's thread in one commit


def _losses(
    repo: GitRepo, threads: ThreadCache, merge: MergeToCheck, changes: list[list[TreeChange]]
) -> list[ThreadLoss]:
    """The losses of one merge, from what its result changed against each parent."""
    changed = [{c.path: c for c in block if _is_thread(c.path)} for block in changes]
    results = {path: c.new for block in changed for path, c in block.items() if c.new}
    if not results:
        return []
    versions = [_parent_versions(threads, block, results) for block in changed]
    losses: list[ThreadLoss] = []
    base: list[str | None] | None = None  # the merge base, asked for once, when needed
    for path, blob in sorted(results.items()):
        result = threads.events(blob)
        found = [version.get(path) for version in versions]
        if result is None or not _lacks_some(threads, blob, found):
            continue
        parents = [threads.events(v[1]) if v is not None else None for v in found]
        if any(events is None for events, v in zip(parents, found, strict=True) if v):
            continue  # a parent's thread is too large to read
        if base is None:
            base = [repo.merge_base(list(merge.parents))]
        paths = [path, *(v[0] for v in found if v is not None)]
        base_events = _base_events(repo, threads, base[0], paths)
        for lost in lost_events(base_events, parents, result):
            parent_version = found[lost.parent]
            assert parent_version is not None  # only a parent's events can be lost
            losses.append(ThreadLoss(merge, path, parent_version[0], lost))
    return losses


def _parent_versions(
    threads: ThreadCache, changed: dict[str, TreeChange], results: dict[str, str]
) -> dict[str, Version]:
    """Where a parent has each of the result's changed threads: at the same path (changed
    or as the merge has it), or at the path a moved ticket had in that parent."""
    found: dict[str, Version] = {}
    for path, blob in results.items():
        change = changed.get(path)
        if change is None:
            found[path] = (path, blob)  # the parent's thread is the merge's
        elif change.old is not None:
            found[path] = (path, change.old)
    gone = {path: c.old for path, c in changed.items() if c.new is None and c.old}
    arrived = {path: blob for path, blob in results.items() if path not in found}
    if gone and arrived:
        moves = follow_moves(
            {path: threads.keys(blob) for path, blob in gone.items()},
            {path: threads.keys(blob) for path, blob in arrived.items()},
        )
        found.update((new, (old, gone[old])) for new, old in moves.items())
    return found


def follow_moves(
    gone: dict[str, frozenset[EventKey]], arrived: dict[str, frozenset[EventKey]]
) -> dict[str, str]:
    """Pair threads that left their path (``gone``: path -> its events) with threads that
    appeared (``arrived``) by the events they share: each arrived path -> a gone path.

    The pair sharing the most events wins; between equal counts, a folder of the same
    name (``open/X`` to ``closed/X``); a tie after that is not guessed."""
    holders: dict[EventKey, list[str]] = {}
    for path, keys in arrived.items():
        for key in keys:
            holders.setdefault(key, []).append(path)
    candidates: list[tuple[int, str, str]] = []
    for old_path, keys in gone.items():
        shared = Counter(path for key in keys for path in holders.get(key, ()))
        ranked = sorted(
            ((count, _folder(path) == _folder(old_path), path) for path, count in shared.items()),
            reverse=True,
        )
        if ranked and (len(ranked) == 1 or ranked[0][:2] != ranked[1][:2]):
            candidates.append((ranked[0][0], old_path, ranked[0][2]))
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for _, old_path, new_path in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if new_path not in pairs and old_path not in taken:
            pairs[new_path] = old_path
            taken.add(old_path)
    return pairs


def _lacks_some(threads: ThreadCache, result: str, found: list[Version | None]) -> bool:
    """Whether some parent has an event (by header and body) that the result lacks."""
    keys = threads.keys(result)
    return any(v is not None and v[1] != result and not threads.keys(v[1]) <= keys for v in found)


def _base_events(
    repo: GitRepo, threads: ThreadCache, base: str | None, paths: list[str]
) -> list[Event] | None:
    """The thread in the merge base: at the result's path, or where a parent had it."""
    if base is None:
        return None
    blobs = repo.tree_blobs(base, dict.fromkeys(paths))
    blob = next((blobs[path] for path in paths if path in blobs), None)
    return threads.events(blob) if blob is not None else None


def _is_thread(path: str) -> bool:
    return path.rsplit("/", 1)[-1] == THREAD


def _folder(path: str) -> str:
    """The ticket folder's name of a ``.../<folder>/thread.md`` path."""
    parts = path.rsplit("/", 2)
    return parts[-2] if len(parts) > 1 else ""
