"""Ticket ids that differ only in Unicode normalisation are one ticket.

``café`` written with one code point (NFC) or with ``e`` and a combining accent (NFD, as
macOS file systems spell names) once made two claim files, so two Pods could hold one
ticket. In the overlay the two spellings share one claim file and one pending record; in
the store, two folders spelled so are one id used twice (YT112), and looking up either
spelling finds the one folder there is.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest

from harness.doctor import found, ticket_workspace
from harness.overlay import TICKETS
from yoi_ticket.errors import AmbiguousTicketError, RefusedError
from yoi_ticket.overlay.claims import claim, list_claims, read_claim, release
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.pending import list_pending
from yoi_ticket.store.ids import normal_id
from yoi_ticket.store.reader import Store

NFC = unicodedata.normalize("NFC", "20260607-220225-café")
NFD = unicodedata.normalize("NFD", NFC)


def test_the_two_spellings_differ_and_have_one_normal_form() -> None:
    assert NFC != NFD and len(NFD) == len(NFC) + 1
    assert normal_id(NFD) == normal_id(NFC) == NFC
    assert normal_id(TICKETS[0]) is TICKETS[0]  # ASCII ids are kept as they are


@pytest.fixture
def overlay(v2_workspace: Path, yoi_home: Path) -> Overlay:
    return Overlay.for_workspace(v2_workspace)


def test_one_ticket_has_one_claim_whatever_its_spelling(overlay: Overlay) -> None:
    claim(overlay, NFC, "coder-1", "coder", allow_missing=True)
    with pytest.raises(RefusedError, match="coder-1"):
        claim(overlay, NFD, "coder-2", "coder", allow_missing=True)
    again = claim(overlay, NFD, "coder-1", "coder", allow_missing=True)
    assert not again.changed  # the same holder: nothing to do
    assert overlay.claim_path(NFD) == overlay.claim_path(NFC)
    assert [p.name for p in overlay.claims_dir.iterdir()] == [overlay.claim_path(NFC).name]
    listing = list_claims(overlay)
    assert [e.claim.ticket_id for e in listing.claims] == [NFC] and listing.errors == []
    release(overlay, NFD, "coder-1")
    assert read_claim(overlay, NFC) is None


def test_a_claim_made_with_the_decomposed_spelling_reads_back_cleanly(overlay: Overlay) -> None:
    claim(overlay, NFD, "coder-1", "coder", allow_missing=True)
    assert read_claim(overlay, NFC) is not None
    listing = list_claims(overlay)
    assert listing.errors == []  # the file name (NFC) and the record (NFD) agree
    with pytest.raises(RefusedError):
        claim(overlay, NFC, "coder-2", "coder", allow_missing=True)


def test_a_pending_record_is_one_for_both_spellings(overlay: Overlay) -> None:
    overlay.ensure()
    record = {
        "version": 1,
        "ticket_id": NFD,
        "pod_name": "coder-1",
        "role": "coder",
        "pid": 999999999,
        "host": "here",
        "started_at": "2026-06-01T00:00:00Z",
    }
    overlay.pending_path(NFD).write_text(json.dumps(record), encoding="utf-8")
    assert overlay.pending_path(NFC) == overlay.pending_path(NFD)
    (entry,) = list_pending(overlay)
    assert (entry.ticket_id, entry.error, entry.alive) == (NFC, None, False)


# --- the store ---------------------------------------------------------------------------


def test_two_folders_spelled_in_two_normalisations_are_a_duplicate_id(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, TICKETS[0])
    store = workspace / ".yoi" / "tickets"
    for spelled in (NFC, NFD):
        shutil.copytree(store / TICKETS[0], store / spelled)
    assert {(code, path) for code, _, path, _ in found(workspace, "YT112")} == {
        ("YT112", f".yoi/tickets/{NFC}"),
        ("YT112", f".yoi/tickets/{NFD}"),
    }
    reader = Store(workspace)
    assert reader.find(NFC).id == NFC and reader.find(NFD).id == NFD  # as spelled: exact


def test_a_third_spelling_of_two_folders_is_ambiguous(tmp_path: Path) -> None:
    """``ḉ``: composed (NFC), cedilla then acute (NFD), or acute then cedilla (neither)."""
    composed = "20260607-220225-\u1e09"
    spellings = (composed, unicodedata.normalize("NFD", composed), "20260607-220225-c\u0301\u0327")
    assert len(set(spellings)) == 3 and len({normal_id(s) for s in spellings}) == 1
    workspace = ticket_workspace(tmp_path, TICKETS[0])
    store = workspace / ".yoi" / "tickets"
    for spelled in spellings[:2]:
        shutil.copytree(store / TICKETS[0], store / spelled)
    with pytest.raises(AmbiguousTicketError, match="names 2 ticket folders"):
        Store(workspace).find(spellings[2])


def test_either_spelling_finds_the_one_folder_there_is(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, TICKETS[0])
    store = workspace / ".yoi" / "tickets"
    shutil.copytree(store / TICKETS[0], store / NFC)
    reader = Store(workspace)
    assert reader.find(NFD).id == NFC
    assert reader.exists(NFD) and reader.exists(NFC)
    location = reader.locate(NFD)
    assert location is not None and location.path == f".yoi/tickets/{NFC}"
    assert found(workspace, "YT112") == set()
