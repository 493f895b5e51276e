"""YT5xx: merge conflicts in the ticket store, finished or not, and what they lose.

The git rules skip silently when the workspace is not in a git repository
(``ctx.git``, see :mod:`yoi_ticket.doctor.repository`). They need no more of a ticket
than its file names and raw text (``text_only``): ``doctor --select YT5`` reads tickets
as text only.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterator

from yoi_ticket.doctor.context import DoctorContext
from yoi_ticket.doctor.diagnostics import Finding, Severity
from yoi_ticket.doctor.rule import rule
from yoi_ticket.files import textfile
from yoi_ticket.git import GitRepo
from yoi_ticket.merge.conflicts import (
    MARKER_PRECHECK,
    body_diff,
    find_conflict_blocks,
    has_conflict_markers,
    is_merge_leftover,
)
from yoi_ticket.merge.history import (
    INDEX,
    MergeToCheck,
    ThreadLoss,
    find_losses,
    merge_commit,
    merges_in,
)
from yoi_ticket.store import artifacts
from yoi_ticket.store.models import Ticket
from yoi_ticket.store.reader import ARTIFACTS, ITEM, THREAD

E, W = Severity.ERROR, Severity.WARNING
RELATIONS_PATH = f"{ARTIFACTS}/{artifacts.RELATIONS_FILE}"
PLAN_PATH = f"{ARTIFACTS}/{artifacts.PLAN_FILE}"

_RESOLVE_HINT = (
    "keep the lines of both sides and delete the marker lines; in thread.md keep every "
    "event of both sides in time order ('yoi ticket merge-driver install' makes git do it)"
)
_STAGES = {
    frozenset({1, 2, 3}): "both modified",
    frozenset({2, 3}): "both added",
    frozenset({1, 2}): "deleted by them",
    frozenset({1, 3}): "deleted by us",
    frozenset({2}): "added by us",
    frozenset({3}): "added by them",
    frozenset({1}): "both deleted",
}


# --- rules


@rule(
    "YT501",
    E,
    "git",
    "Unmerged index entry in the ticket store",
    why="A merge (or rebase, cherry-pick, stash pop) stopped on a ticket file and was never "
    "finished: git keeps the file's versions as unmerged index entries, the work tree copy "
    "holds conflict markers, and nothing can be committed until it is resolved.",
    example="git ls-files -u .yoi/tickets\n"
    "100644 3b18e5... 1\t.yoi/tickets/00001KSKBP9YG/thread.md\n"
    "100644 a1f0c2... 2\t.yoi/tickets/00001KSKBP9YG/thread.md\n"
    "100644 7d2e9b... 3\t.yoi/tickets/00001KSKBP9YG/thread.md",
    fix="Resolve the file (for thread.md keep every event of both sides in time order), then "
    "'git add' it and finish the merge; or abandon it with 'git merge --abort'. With the "
    "merge driver installed ('yoi ticket merge-driver install') most ticket conflicts "
    "resolve themselves.",
    text_only=True,
)
def unmerged_entries(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports ticket store paths with unmerged (stage 1-3) entries in the git index."""
    if ctx.git.repo() is None:
        return
    stages: dict[str, set[int]] = defaultdict(set)
    for entry in ctx.git.unmerged(ctx.store.root_rel):
        stages[entry.path].add(entry.stage)
    for path in sorted(stages):
        how = _STAGES.get(frozenset(stages[path]), "conflicted")
        yield Finding(
            path,
            None,
            f"unmerged index entry ({how}): the merge of this file was not finished",
            f"resolve {path}, then 'git add {path}'; or 'git merge --abort'",
        )


@rule(
    "YT502",
    E,
    "ticket",
    "Conflict block left in a ticket file",
    why="A conflict block (<<<<<<<, optional |||||||, =======, >>>>>>>) left in item.md, "
    "thread.md, resolution.md or an artifact breaks parsing (frontmatter, event headers, "
    "JSON) and usually hides one side's events. It is reported whether the file is "
    "committed or only in the work tree. A lone ======= line (a Markdown heading "
    "underline) is not a conflict.",
    example="<<<<<<< HEAD\n<!-- event: comment author: alice at: 2026-06-08T09:00:00Z -->\n"
    "=======\n<!-- event: review author: bob at: 2026-06-08T10:00:00Z status: approve -->\n"
    ">>>>>>> topic",
    fix="Keep what both sides meant (in thread.md: every event of both sides, in time order) "
    "and delete the four marker lines. An example of a conflict inside a ticket must be "
    "indented so that no line starts with a marker.",
    text_only=True,
)
def conflict_blocks(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports whole conflict blocks in a ticket's files (text already read is reused; other
    files are decoded only when their bytes contain an opening marker)."""
    for name, text in ((ITEM, ticket.item_text), (THREAD, ticket.thread_text)):
        if MARKER_PRECHECK in text:  # (find_conflict_blocks checks too; this saves a call)
            yield from _blocks(ticket.file_path(name), text)
    if ticket.folder_symlink:
        return
    names = [n for n in sorted(ticket.files) if n not in (ITEM, THREAD, ARTIFACTS)]
    names += [f"{ARTIFACTS}/{n}" for n in ticket.artifacts if not n.endswith(".gitkeep")]
    clean = _parsed_cleanly(ticket)
    for name in names:
        if name in ticket.escapes or name in clean or is_merge_leftover(name):
            continue
        path = ticket.file_path(name)
        data = ctx.source.read(path)  # YT304 may just have read resolution.md
        if data is not None and len(data) > textfile.MAX_FILE_BYTES:
            data = None  # larger than ticket files may be
        if data is None or not has_conflict_markers(data) or b"\0" in data:
            continue
        yield from _blocks(path, textfile.decode(data).text)


def _parsed_cleanly(ticket: Ticket) -> set[str]:
    """JSON artifacts that the reader parsed without a problem: a marker line would have
    made them invalid, so they need not be read again."""
    troubled = {problem.file for problem in ticket.problems}
    clean = set()
    if ticket.relations_present:
        clean.add(RELATIONS_PATH)
    if ticket.plan:
        clean.add(PLAN_PATH)
    return clean - troubled


def _blocks(path: str, text: str) -> Iterator[Finding]:
    for block in find_conflict_blocks(text):
        style = " (diff3 style)" if block.has_base else ""
        sides = f"{block.ours or '?'} / {block.theirs or '?'}"
        yield Finding(
            path,
            block.line,
            f"conflict block{style} left in the file ({sides}, lines {block.line}-"
            f"{block.end_line})",
            _RESOLVE_HINT,
        )


@rule(
    "YT503",
    W,
    "ticket",
    "Leftover merge file in a ticket folder",
    why="Merge tools leave copies next to the file they merged (thread.md.orig, "
    "thread_BASE_1234.md, *.rej from git apply --reject). In a ticket folder they look "
    "like artifacts, get committed by 'git add -A', and carry stale or conflicted content.",
    example=".yoi/tickets/00001KSKBP9YG/thread.md.orig",
    fix="Delete the file (git rm it if it was committed); set 'git config mergetool."
    "keepBackup false' to stop git mergetool from writing .orig files.",
    text_only=True,
)
def merge_leftovers(ctx: DoctorContext, ticket: Ticket) -> Iterator[Finding]:
    """Reports ``*.orig``, ``*.rej``, ``*.BASE.*``/``*_BASE_<pid>*`` (and LOCAL, REMOTE,
    BACKUP) files in a ticket folder or its artifacts."""
    names = [n for n in sorted(ticket.files) if n != ARTIFACTS]
    names += [f"{ARTIFACTS}/{n}" for n in ticket.artifacts]
    for name in names:
        if is_merge_leftover(name):
            path = ticket.file_path(name)
            yield Finding(
                path,
                None,
                f"leftover merge file {name}",
                f"rm {path}  (git rm {path} if it was committed)",
            )


@rule(
    "YT504",
    E,
    "git",
    "Ticket file would conflict when merging --against REF",
    why="Run before merging (e.g. in CI for a pull request, or before 'git pull'): it tells "
    "which ticket files a merge of REF into HEAD would stop on, so they can be merged with "
    "the ticket merge driver instead of resolved by hand, where events get lost. It uses "
    "'git merge-tree --write-tree' (git 2.38+) and leaves the work tree and index alone.",
    example="yoi ticket doctor --against origin/main\n"
    ".yoi/tickets/00001KSKBP9YG/thread.md: would conflict when merging origin/main into HEAD",
    fix="Install the merge driver ('yoi ticket merge-driver install') and merge; if a "
    "conflict remains, keep every event of both sides when resolving it.",
    text_only=True,
)
def would_conflict(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """With ``--against REF``: reports ticket store files that ``git merge-tree`` says would
    conflict if HEAD were merged with REF."""
    ref = ctx.options.against
    repo = ctx.git.repo() if ref else None
    if ref is None or repo is None:
        return
    store = ctx.store.root_rel.rstrip("/") + "/"
    for top_path in repo.merge_tree_conflicts("HEAD", ref):
        path = repo.from_top(top_path)
        if path is None or not path.startswith(store):
            continue
        yield Finding(
            path,
            None,
            f"would conflict when merging {ref} into HEAD",
            f"install the merge driver ('yoi ticket merge-driver install'), then 'git merge "
            f"{ref}'; keep both sides' events if a conflict remains",
        )


@rule(
    "YT505",
    E,
    "git",
    "Merge lost thread events",
    why="Most ticket conflicts are two branches appending events to one thread.md. Resolving "
    "them by keeping one side silently drops the other side's events: reviews, decisions and "
    "state changes vanish from history. Checked for HEAD when it is a merge commit, for "
    "--merge-commit REV, for every merge of --merges RANGE, and (with --staged) for a merge "
    "being committed. A ticket the merge moved (a v1 bucket folder to a flat v2 one) is "
    "followed to its new folder; one it removed loses the events no parent deleted.",
    example="parent 1: ... comment by alice at 09:00, review by carol at 11:00\n"
    "parent 2: ... comment by alice at 09:00, decision by bob at 10:00\n"
    "merge:    ... comment by alice at 09:00, review by carol at 11:00   (decision lost)",
    fix="Run 'yoi ticket restore-events MERGE' (or a range, as given to --merges): it puts "
    "the dropped events back into the work tree's thread.md files in time order, byte for "
    "byte, and never commits; review with 'git diff', then commit. By hand: copy the event "
    "from the parent named in the message (git show <parent>:<path>). An event deleted on "
    "purpose by one side is not reported; one the merge kept with another body is YT506.",
    text_only=True,
)
def lost_thread_events(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports events that a parent of a merge has, the merge result lacks, and no parent
    deleted on purpose (compared by header attributes and body). An event whose header the
    result still has, with another body, was edited, not dropped: YT506."""
    for loss in _merge_losses(ctx):
        if loss.lost.kept_as is not None:
            continue
        event = loss.lost.event
        yield Finding(
            loss.path,
            None,
            f"{loss.merge.label} dropped an event of parent {loss.lost.parent + 1} "
            f"({_where(loss)}): {event.header.strip()}",
            _restore_hint(ctx, loss),
        )


@rule(
    "YT506",
    W,
    "git",
    "Merge edited a thread event",
    why="Resolving a thread.md conflict by hand can change an event while keeping it: a "
    "duplicated heading removed, a line of one side's body lost. The event is still there "
    "(it is not YT505), but its record differs from what its author wrote and no side of "
    "the merge made that change. Checked wherever YT505 is.",
    example="parent 2: <!-- event: review author: bob ... -->  ## Review: approve / ## Review: "
    "approve / Looks good.\n"
    "merge:    <!-- event: review author: bob ... -->  ## Review: approve / Looks good.",
    fix="If the edit was meant (a cleanup), nothing; otherwise copy the event's body back from "
    "the parent named in the message (git show <parent>:<path>) and commit.",
    text_only=True,
)
def edited_thread_events(ctx: DoctorContext, subject: None) -> Iterator[Finding]:
    """Reports events of a merge parent that the merge result keeps (same header) with a body
    that no parent has (compared as YT505 compares), with the changed lines in the message."""
    for loss in _merge_losses(ctx):
        kept = loss.lost.kept_as
        if kept is None:
            continue
        event = loss.lost.event
        yield Finding(
            loss.path,
            None,
            f"{loss.merge.label} edited an event of parent {loss.lost.parent + 1} "
            f"({_where(loss)}; line {kept.line} of the merge) while merging: "
            f"{event.header.strip()} (body changes: {body_diff(event, kept)})",
            f"if the edit was not meant, copy the body back from 'git show "
            f"{_source(ctx, loss)}' and commit",
        )


def _where(loss: ThreadLoss) -> str:
    """The parent and the event's line there (and the thread's path, if the merge moved it)."""
    moved = f" of {loss.parent_path}" if loss.parent_path != loss.path else ""
    removed = "; the merge removed the thread" if loss.removed else ""
    return f"{loss.parent[:12]}, line {loss.lost.event.line}{moved}{removed}"


def _restore_hint(ctx: DoctorContext, loss: ThreadLoss) -> str:
    copy = f"copy it back from 'git show {_source(ctx, loss)}' into thread.md in time order"
    if loss.merge.result == INDEX:
        return f"{copy}, and commit"
    return f"run 'yoi ticket restore-events {loss.merge.result[:12]}' (or {copy}), and commit"


def _source(ctx: DoctorContext, loss: ThreadLoss) -> str:
    repo = ctx.git.repo()
    top = repo.top(loss.parent_path) if repo is not None else loss.parent_path
    return f"{loss.parent[:12]}:{top}"


_last_losses: tuple[weakref.ref[DoctorContext], list[ThreadLoss]] | None = None


def _merge_losses(ctx: DoctorContext) -> list[ThreadLoss]:
    """The lost and edited events of the merges to check, found once per run for YT505 and
    YT506 (the last run's are kept)."""
    global _last_losses
    if _last_losses is not None and _last_losses[0]() is ctx:
        return _last_losses[1]
    losses: list[ThreadLoss] = []
    repo = ctx.git.repo()
    if repo is not None:
        merges = _merges_to_check(ctx, repo)
        if merges:
            progress = ctx.merge_progress if len(merges) > 1 else None
            losses = find_losses(repo, merges, ctx.store.root_rel, progress=progress)
    _last_losses = (weakref.ref(ctx), losses)
    return losses


def _merges_to_check(ctx: DoctorContext, repo: GitRepo) -> list[MergeToCheck]:
    """``--merges RANGE``: its merges; ``--merge-commit REV``: that one; ``--staged``: the
    merge being committed; else HEAD when it is a merge."""
    if ctx.options.merges is not None:
        return merges_in(repo, ctx.options.merges)
    if ctx.options.merge_commit is not None:
        commit = repo.rev(ctx.options.merge_commit)
        merge = merge_commit(repo, commit) if commit is not None else None
    elif ctx.options.staged:
        heads = repo.merge_heads()
        head = repo.rev("HEAD")
        if not heads or head is None:
            return []
        merge = MergeToCheck(INDEX, (head, *heads), "the merge being committed")
    else:
        found = repo.head_and_parents()
        if found is None:
            return []
        commit, parents = found
        merge = MergeToCheck(commit, tuple(parents), f"merge {commit[:12]} (HEAD)")
    return [merge] if merge is not None and len(merge.parents) > 1 else []


RULES = (
    unmerged_entries,
    conflict_blocks,
    merge_leftovers,
    would_conflict,
    lost_thread_events,
    edited_thread_events,
)
