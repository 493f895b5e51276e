"""``doctor --hook``: the tickets of the files pre-commit names, read from the index while
git commits (``GIT_INDEX_FILE`` set) and from the work tree otherwise; real repositories.

The real pre-commit drives the hook in tests/cli/test_precommit.py; here the two modes
are checked directly, as the hook's process sees them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from conftest import V1, V2, copy_corpus, git, init_repo
from harness.doctor import append_event as harness_append_event
from yoi_ticket.cli.app import ticket_app
from yoi_ticket.doctor.hook import ticket_paths
from yoi_ticket.store.reader import Store

STORE = ".yoi/tickets"
TICKET = "00001KSKBPDVG"  # clean
OTHER = "00001KSRZA8GR"  # clean
UNTOUCHED_BROKEN = "00001KVZKST83"  # committed with dangling relations (YT208 warnings)
NO_AUTHOR = "<!-- event: comment at: 2026-06-08T09:00:00Z -->"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(copy_corpus(V2, tmp_path / "ws"))


def add_event(workspace: Path, header: str, ticket: str = TICKET) -> None:
    """Append an event and bump the item's updated_at to its time, as tools do."""
    harness_append_event(workspace, ticket, header)


def files_of(*tickets: str) -> list[str]:
    return [f"{STORE}/{ticket}/{name}" for ticket in tickets for name in ("item.md", "thread.md")]


def hook(
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: list[str],
    *,
    committing: bool,
    args: tuple[str, ...] = (),
) -> Result:
    """``yoi ticket doctor --hook FILES`` run from the workspace, as pre-commit runs it; git
    sets ``GIT_INDEX_FILE`` for its commit hooks (here the repository's own index)."""
    monkeypatch.chdir(workspace)
    if committing:
        monkeypatch.setenv("GIT_INDEX_FILE", str(workspace / ".git" / "index"))
    else:
        monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    return CliRunner().invoke(
        ticket_app, ["doctor", "--hook", "--format", "json", *args, *files], catch_exceptions=False
    )


def findings(result: Result) -> list[tuple[str, str]]:
    document: dict[str, Any] = json.loads(result.stdout)
    return [(d["code"], d["path"]) for d in document["diagnostics"]]


# ---------------------------------------------------------------- which content


def test_while_committing_the_staged_version_counts(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_event(repo, NO_AUTHOR)
    git(repo, "add", f"{STORE}/{TICKET}")
    staged_broken = hook(repo, monkeypatch, files_of(TICKET), committing=True)
    assert staged_broken.exit_code == 1, staged_broken.output
    assert findings(staged_broken) == [("YT217", f"{STORE}/{TICKET}/thread.md")]

    thread = repo / STORE / TICKET / "thread.md"  # fixed in the work tree, not staged
    thread.write_text(thread.read_text("utf-8").replace(NO_AUTHOR, ""), "utf-8")
    still = hook(repo, monkeypatch, files_of(TICKET), committing=True)
    assert (still.exit_code, findings(still)) == (1, findings(staged_broken))
    worktree = hook(repo, monkeypatch, files_of(TICKET), committing=False)
    assert (worktree.exit_code, findings(worktree)) == (0, [])


def test_outside_a_commit_the_work_tree_counts(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``pre-commit run --all-files`` names tracked files whose defects are not staged."""
    add_event(repo, NO_AUTHOR)  # unstaged
    result = hook(repo, monkeypatch, files_of(TICKET, OTHER), committing=False)
    assert result.exit_code == 1, result.output
    assert findings(result) == [("YT217", f"{STORE}/{TICKET}/thread.md")]
    committing = hook(repo, monkeypatch, files_of(TICKET, OTHER), committing=True)
    assert (committing.exit_code, findings(committing)) == (0, [])


# ---------------------------------------------------------------- which tickets


@pytest.mark.parametrize("committing", [True, False])
def test_only_the_tickets_of_the_given_files_are_reported(
    repo: Path, monkeypatch: pytest.MonkeyPatch, committing: bool
) -> None:
    """A file names its whole ticket: a defect in its other file counts; other tickets
    (the committed warnings of UNTOUCHED_BROKEN, a staged defect of OTHER) do not."""
    add_event(repo, NO_AUTHOR)
    add_event(repo, NO_AUTHOR, ticket=OTHER)
    git(repo, "add", STORE)
    item_only = [f"{STORE}/{TICKET}/item.md"]
    result = hook(repo, monkeypatch, item_only, committing=committing)
    assert result.exit_code == 1, result.output
    assert findings(result) == [("YT217", f"{STORE}/{TICKET}/thread.md")]
    document = json.loads(result.stdout)
    assert document["diagnostics"][0]["severity"] == "error"


def test_all_files_of_the_store_check_every_ticket_like_doctor(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracked = git(repo, "ls-files", ".yoi").stdout.split()
    result = hook(repo, monkeypatch, tracked, committing=False)
    plain = CliRunner().invoke(ticket_app, ["doctor", "--no-local", "--format", "json"])
    assert findings(result) == findings(plain)
    assert ("YT208", f"{STORE}/{UNTOUCHED_BROKEN}/artifacts/relations.json") in findings(result)
    assert result.exit_code == plain.exit_code == 0  # warnings only


def test_no_files_while_committing_checks_what_is_staged(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``always_run: true`` with no ticket file in the commit: the staged tickets."""
    add_event(repo, NO_AUTHOR)
    git(repo, "add", STORE)
    result = hook(repo, monkeypatch, [], committing=True)
    assert findings(result) == [("YT217", f"{STORE}/{TICKET}/thread.md")]


def test_a_removed_ticket_still_breaks_the_relations_that_point_at_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit names no deleted file; what removing a ticket breaks is reported anyway."""
    relations = repo / STORE / OTHER / "artifacts" / "relations.json"
    relations.write_text(
        json.dumps(
            {
                "version": 1,
                "relations": [
                    {
                        "ticket_id": OTHER,
                        "kind": "depends_on",
                        "target": TICKET,
                        "author": "alice",
                        "at": "2026-06-08T09:00:00Z",
                    }
                ],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    git(repo, "add", STORE)
    git(repo, "commit", "-q", "-m", "relate")
    git(repo, "rm", "-q", "-r", f"{STORE}/{TICKET}")
    note = "<!-- event: comment author: bob at: 2026-06-09T09:00:00Z -->"
    add_event(repo, note, UNTOUCHED_BROKEN)
    git(repo, "add", STORE)
    result = hook(repo, monkeypatch, files_of(UNTOUCHED_BROKEN), committing=True)
    assert (
        "YT208",
        f"{STORE}/{OTHER}/artifacts/relations.json",
    ) in findings(result)


def test_hook_and_staged_together_are_a_usage_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = hook(repo, monkeypatch, [], committing=False, args=("--staged",))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --hook reads the index while git commits")


def test_a_baseline_is_not_written_from_a_hook(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A baseline records a whole run; a hook's run is restricted to its files."""
    baseline = repo / "baseline.json"
    result = hook(repo, monkeypatch, [], committing=False, args=("--write-baseline", str(baseline)))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: --write-baseline records a whole run, not one restricted by --hook\n"
    )
    assert not baseline.exists()


def test_a_file_the_work_tree_lacks_is_no_usage_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit names staged files; one deleted from the work tree since selects nothing
    there (a plain doctor PATH must exist)."""
    (repo / STORE / TICKET / "thread.md").unlink()
    gone = [f"{STORE}/{TICKET}/thread.md"]
    assert hook(repo, monkeypatch, gone, committing=True).exit_code == 0
    plain = CliRunner().invoke(ticket_app, ["doctor", "--no-local", *gone])
    assert plain.exit_code == 2
    assert plain.stderr == f"error: {gone[0]}: no such file or directory\n"


# ---------------------------------------------------------------- files to tickets


def test_ticket_paths_in_both_layouts_and_at_a_configured_root(tmp_path: Path) -> None:
    v1 = copy_corpus(V1, tmp_path / "v1")
    bucket = "open/20260531-010005-plugin-extension-surface"
    assert ticket_paths(Store(v1), (f"{STORE}/{bucket}/item.md", f"{STORE}/{bucket}/x")) == (
        f"{STORE}/{bucket}",
    )
    v2 = copy_corpus(V2, tmp_path / "v2")
    (v2 / STORE).rename(v2 / "tickets")
    (v2 / ".yoi" / "ticket.config.toml").write_text('[backend]\nroot = "tickets"\n', "utf-8")
    given = (
        f"tickets/{TICKET}/artifacts/relations.json",
        f"tickets/{OTHER}/thread.md",
        f"tickets/{TICKET}/item.md",
        "tickets/notes.md",  # directly in the root: no ticket's
        ".yoi/TODO.md",
    )
    assert ticket_paths(Store(v2), given) == (
        f"tickets/{TICKET}",
        f"tickets/{OTHER}",
        "tickets/notes.md",
        ".yoi/TODO.md",
    )
