"""Thread events that merges lost, for one merge or every merge of a history.

This is the one lost-event detector: doctor's YT505/YT506 (``HEAD``, ``--merge-commit``,
``--staged``, ``--merges``) and ``restore-events`` all read their losses here.

For each merge (a merge commit, or the merge being committed, whose result is the index):

1. What the result changed against each parent under the store: one
   ``git diff-tree --stdin`` for all the merges of a range, with the blob ids of both
   sides, so a range of hundreds of merges costs one process; blobs are then read by id
   from the one ``git cat-file --batch`` (each read once, the parsed threads kept for
   the next merges).
2. The threads to check: the result's ``thread.md`` files that differ from a parent, and
   the threads a parent has that the result lacks (removed by the merge: their events
   count as lost unless a parent deleted them on purpose).
3. A ticket that the merge moved or renamed (a v1 bucket folder to a flat v2 folder,
   ``open/`` to ``closed/``) is followed: a parent's thread that the result no longer has
   at its path is paired with the result thread that the parent lacks and that holds the
   most of its events (a tie is not guessed: the thread then counts as removed).
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
from yoi_ticket.git import GitError, GitRepo
from yoi_ticket.merge.conflicts import EventKey, LostEvent, event_key, lost_events
from yoi_ticket.store.thread import Event, parse_thread

INDEX = "index"  # the result of the merge being committed: what is staged
THREAD = "thread.md"
_CACHED_THREADS = 512
_CACHED_KEYS = 100_000

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
    removed: bool = False  # the merge result has no such thread (not even moved)

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
        listed = list_merges(repo, revisions)
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
    blocks = iter(changes_from_parents(repo, pairs, store))
    changes = [
        [index_changes(repo, parent, store) for parent in merge.parents]
        if merge.result == INDEX
        else [next(blocks) for _ in merge.parents]
        for merge in merges
    ]
    threads = ThreadCache(repo)
    losses: list[ThreadLoss] = []
    ahead = 0  # the merges whose blobs are read: a few hundred blobs at a time
    for done, merge in enumerate(merges, start=1):
        if done > ahead:
            ahead = threads.prefetch(changes, done - 1)
        losses.extend(_losses(repo, threads, merge, changes[done - 1]))
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
        # An event's key by its header line and body as written: most events are in many
        # versions of their thread, and are compared by key once.
        self._keys: dict[tuple[str, str], EventKey] = {}

    def prefetch(self, changes: Sequence[list[list[TreeChange]]], start: int) -> int:
        """Read the thread blobs of the merges from ``start`` on in one go, up to a cache's
        worth (a few hundred); the index of the first merge left out."""
        wanted: dict[str, None] = {}
        end = start
        while end < len(changes) and (end == start or len(wanted) < _CACHED_THREADS // 2):
            for block in changes[end]:
                for change in block:
                    for blob in (change.old, change.new):
                        if blob and blob not in self._parsed and _is_thread(change.path):
                            wanted[blob] = None
            end += 1
        for blob, data in self._repo.blobs(wanted).items():
            self._store(blob, data)
        return end

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
        return self._store(blob, self._repo.blob(blob))

    def parse(self, data: bytes) -> list[Event] | None:
        """The events of a thread's bytes (``None``: larger than ticket files may be)."""
        parsed = self._parse(data)
        return None if parsed is None else parsed[0]

    def _parse(self, data: bytes) -> tuple[list[Event], frozenset[EventKey]] | None:
        if len(data) > textfile.MAX_FILE_BYTES:
            return None
        events = parse_thread(textfile.decode(data).text)
        keys = self._keys
        if len(keys) > _CACHED_KEYS:
            keys.clear()
        found = []
        for event in events:
            raw = (event.header, event.text[event.body_span[0] : event.body_span[1]])
            key = keys.get(raw)
            if key is None:
                key = keys[raw] = event_key(event)
            found.append(key)
        return events, frozenset(found)

    def _store(self, blob: str, data: bytes) -> tuple[list[Event], frozenset[EventKey]] | None:
        parsed = self._parse(data)
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
    versions = [_parent_versions(threads, block, results) for block in changed]
    checks: list[tuple[str, str | None, list[Version | None]]] = [
        (path, blob, [version.get(path) for version in versions]) for path, blob in results.items()
    ]
    checks += [(path, None, found) for path, found in _removed(changed, versions).items()]
    losses: list[ThreadLoss] = []
    base: list[str | None] | None = None  # the merge base, asked for once, when needed
    for path, blob, found in sorted(checks, key=lambda check: check[0]):
        result = threads.events(blob) if blob is not None else []
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
            losses.append(ThreadLoss(merge, path, parent_version[0], lost, blob is None))
    return losses


def _removed(
    changed: list[dict[str, TreeChange]], versions: list[dict[str, Version]]
) -> dict[str, list[Version | None]]:
    """The threads parents have that the result lacks and that no move explains (removed
    by the merge), each with its version in every parent."""
    followed = {version[0] for found in versions for version in found.values()}
    removed: dict[str, list[Version | None]] = {}
    for block in changed:
        for path, change in block.items():
            if change.status == "D" and change.old and path not in followed:
                removed[path] = [_old(other.get(path)) for other in changed]
    return removed


def _old(change: TreeChange | None) -> Version | None:
    return (change.path, change.old) if change is not None and change.old else None


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


def _lacks_some(threads: ThreadCache, result: str | None, found: list[Version | None]) -> bool:
    """Whether some parent has an event (by header and body) that the result (``None``: no
    thread) lacks."""
    keys = threads.keys(result) if result is not None else frozenset()
    return any(v is not None and v[1] != result and not threads.keys(v[1]) <= keys for v in found)


def _base_events(
    repo: GitRepo, threads: ThreadCache, base: str | None, paths: list[str]
) -> list[Event] | None:
    """The thread in the merge base: at the result's path, or where a parent had it."""
    if base is None:
        return None
    for path in dict.fromkeys(paths):
        data = repo.blob_at(base, path)
        if data is not None:
            return threads.parse(data)
    return None


def _is_thread(path: str) -> bool:
    return path.rsplit("/", 1)[-1] == THREAD


def _folder(path: str) -> str:
    """The ticket folder's name of a ``.../<folder>/thread.md`` path."""
    parts = path.rsplit("/", 2)
    return parts[-2] if len(parts) > 1 else ""


# --- what the merges changed, read from git in bulk


@dataclass(frozen=True, slots=True)
class TreeChange:
    """A path that differs between a parent and a merge (``git diff-tree --raw``)."""

    status: str  # A: only in the merge, D: only in the parent, M: in both, T: type changed
    old: str | None  # the parent's blob (None: no regular file there)
    new: str | None  # the merge's blob
    path: str  # workspace-relative


def list_merges(repo: GitRepo, revisions: str) -> list[tuple[str, list[str]]]:
    """The merge commits of a revision range, oldest first, each with its parents."""
    _, out = repo.run(
        "rev-list", "--merges", "--parents", "--reverse", "--topo-order",
        "--end-of-options", revisions, "--",
    )  # fmt: skip
    listed = [line.split() for line in _text(out).splitlines() if line.strip()]
    return [(commits[0], commits[1:]) for commits in listed]


def changes_from_parents(
    repo: GitRepo, pairs: Sequence[tuple[str, str]], pathspec: str
) -> list[list[TreeChange]]:
    """For each ``(commit, parent)`` pair, the paths under ``pathspec`` that differ, in
    one ``git diff-tree --stdin`` for all of them (``--always``: a header per pair)."""
    if not pairs:
        return []
    lines = "".join(f"{commit} {parent}\n" for commit, parent in pairs).encode()
    _, out = repo.run(
        "diff-tree", "--stdin", "--always", "-r", "--no-renames", "--raw", "-z",
        "--relative", "--", pathspec, stdin=lines,
    )  # fmt: skip
    blocks = _tree_changes(out, headers=True)
    if len(blocks) != len(pairs):
        raise GitError(f"git diff-tree answered {len(blocks)} times for {len(pairs)} commits")
    return blocks


def index_changes(repo: GitRepo, parent: str, pathspec: str) -> list[TreeChange]:
    """The paths under ``pathspec`` where the index differs from commit ``parent``."""
    args = ("--cached", "--no-renames", "--raw", "-z", "--relative", parent)
    _, out = repo.run("diff-index", *args, "--", pathspec)
    return _tree_changes(out, headers=False)[0]


_REGULAR = ("100644", "100755")  # the modes of regular files in a tree


def _tree_changes(out: bytes, *, headers: bool) -> list[list[TreeChange]]:
    """Parse ``--raw -z`` output: ``:<mode> <mode> <oid> <oid> <status>``, then the path;
    with ``headers``, a commit id starts each block."""
    fields = out.split(b"\0")
    blocks: list[list[TreeChange]] = [] if headers else [[]]
    index = 0
    while index < len(fields):
        field = fields[index]
        if not field.startswith(b":"):
            if field.strip() and headers:
                blocks.append([])
            index += 1
            continue
        if not blocks or index + 1 >= len(fields):
            raise GitError("git answered an unreadable list of changes")
        old_mode, new_mode, old_oid, new_oid, status = _text(field[1:]).split()
        old = old_oid if old_mode in _REGULAR else None
        new = new_oid if new_mode in _REGULAR else None
        blocks[-1].append(TreeChange(status[0], old, new, _text(fields[index + 1])))
        index += 2
    return blocks


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")  # paths that are not UTF-8 survive
