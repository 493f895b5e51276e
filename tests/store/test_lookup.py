"""The quick paths of the store give what the full scan and the full reader give.

``find`` looks a whole id up directly and matches a prefix against folder names,
``load_item`` reads only ``item.md`` (for ``list``), and ``list_entries`` reads a
large store in worker processes. On a store with every odd entry there is (both
layouts, the same id in both, symlinks in and out, dead links, stray files, an
``item.md`` that is a folder, a symlink or missing) each gives exactly what the
plain way gives.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import CORPUS, V1, V2, copy_corpus, copy_tree
from yoi_ticket.errors import AmbiguousTicketError, TicketNotFoundError
from yoi_ticket.store.listing import TicketEntry, list_entries
from yoi_ticket.store.parallel import JOBS_ENV
from yoi_ticket.store.reader import Store, TicketLocation

V2_ID = "00001KVZKSV6C"
V1_ID = "20260527-000023-multi-pod-view-ui"


@pytest.fixture
def odd_store(tmp_path: Path) -> Path:
    workspace = copy_corpus(V2, tmp_path / "ws")
    root = workspace / ".yoi" / "tickets"
    copy_tree(CORPUS / V1 / ".yoi" / "tickets" / "closed", root / "closed")
    copy_tree(CORPUS / V1 / ".yoi" / "tickets" / "open", root / "open")
    source = root / V2_ID
    copy_tree(source, root / "open" / V2_ID)  # the same id in both layouts
    copy_tree(source, root / "pending")  # a ticket named like a bucket: it holds item.md
    (root / "00001ZZZZZZZ1").symlink_to(V2_ID, target_is_directory=True)  # inside
    outside = copy_tree(source, tmp_path / "outside")
    (root / "00001ZZZZZZZ2").symlink_to(outside, target_is_directory=True)
    (root / "00001ZZZZZZZ3").symlink_to(root / "gone")  # dead
    (root / "00001ZZZZZZZ4.md").write_text("# stray\n", encoding="utf-8")
    (root / ".hidden").mkdir()
    linked = copy_tree(source, root / "00001ZZZZZZZ5")
    (linked / "item.md").unlink()
    (linked / "item.md").symlink_to(source / "item.md")  # item.md linked out of its folder
    local = copy_tree(source, root / "00001ZZZZZZZ6")
    os.rename(local / "item.md", local / "item-real.md")
    (local / "item.md").symlink_to("item-real.md")  # item.md linked inside its folder
    folder = copy_tree(source, root / "00001ZZZZZZZ7")
    (folder / "item.md").unlink()
    (folder / "item.md").mkdir()  # a folder in place of the file
    missing = copy_tree(source, root / "00001ZZZZZZZ8")
    (missing / "item.md").unlink()
    (copy_tree(source, root / "00001ZZZZZZZ9") / "item.md").write_bytes(b"---\ntitle: \xff\n---\n")
    return workspace


def scan_find(store: Store, query: str) -> TicketLocation:
    """``find`` as the full scan answers it (an exact id first, then without regard to
    case: the same id, else the ids it starts)."""
    locations = store.scan().locations
    exact = [loc for loc in locations if loc.id == query]
    if exact:
        return exact[0]
    wanted = query.casefold()
    matches = [loc for loc in locations if loc.id.casefold() == wanted]
    if not matches and wanted:
        matches = [loc for loc in locations if loc.id.casefold().startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    raise (AmbiguousTicketError if matches else TicketNotFoundError)(query)


def outcome(find: object, query: str) -> object:
    try:
        return find(query)  # type: ignore[operator]
    except (AmbiguousTicketError, TicketNotFoundError) as exc:
        return type(exc)


def test_find_answers_every_id_and_prefix_as_the_scan_does(odd_store: Path) -> None:
    names = {entry.name for entry in os.scandir(odd_store / ".yoi" / "tickets")}
    names |= {
        f"{bucket}/{n}"
        for bucket in ("open", "closed")
        for n in os.listdir(odd_store / ".yoi" / "tickets" / bucket)
    }
    queries = {"", "nope", "../tickets", "open", "closed", "pending", ".hidden", "0", "00001Z"}
    queries.add("artifacts")  # a folder inside the ticket named "pending", not a bucket
    for name in names:
        ticket_id = name.split("/")[-1]
        queries.update(ticket_id[:length] for length in range(1, len(ticket_id) + 1))
        queries.add(ticket_id.lower())  # ids match in any case
    scanned = Store(odd_store)
    checked = 0
    for query in sorted(queries):
        store = Store(odd_store)  # a fresh store: nothing scanned yet
        assert outcome(store.find, query) == outcome(lambda q: scan_find(scanned, q), query), query
        checked += 1
    assert checked > 300
    # the id held in both layouts is decided by the scan, as before
    assert Store(odd_store).find(V2_ID) == scan_find(scanned, V2_ID)


def test_a_whole_id_or_a_narrow_prefix_is_found_without_a_scan(odd_store: Path) -> None:
    store = Store(odd_store)
    assert store.find(V1_ID).path == f".yoi/tickets/closed/{V1_ID}"
    assert store.find("00001KSKBPD").id == "00001KSKBPDVG"
    assert store._scan is None  # the point of the quick path
    with pytest.raises(AmbiguousTicketError):
        Store(odd_store).find("00001ZZZZZZZ")


def test_load_item_reads_what_load_reads_of_the_frontmatter(odd_store: Path) -> None:
    store = Store(odd_store)
    entries = [TicketEntry.of(store.load_item(location)) for location in store.scan().locations]
    full = [TicketEntry.of(store.load(location)) for location in store.scan().locations]
    assert entries == full
    by_id = {entry.id: entry for entry in entries}
    assert by_id["00001ZZZZZZZ5"].title is None  # the link out of the folder is not followed
    assert by_id["00001ZZZZZZZ6"].title == by_id[V2_ID].title  # the link inside is
    assert by_id["00001ZZZZZZZ7"].title is by_id["00001ZZZZZZZ8"].title is None
    assert by_id["00001ZZZZZZZ2"].title is None  # the folder outside the store
    assert by_id[V2_ID].state == "queued"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_list_entries_in_workers_are_those_of_one_process(
    odd_store: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    monkeypatch.setenv(JOBS_ENV, jobs)
    store = Store(odd_store)
    expected = sorted(
        (TicketEntry.of(store.load(location)) for location in store.scan().locations),
        key=lambda entry: (entry.id, entry.path),
    )
    assert list_entries(Store(odd_store)) == expected
    closed = list_entries(Store(odd_store), ("closed",))
    assert closed == [entry for entry in expected if entry.state == "closed"]
    assert len(closed) >= 5
