"""Ticket id forms, canonical id encoding, path-component validation, file-name encoding."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CORPUS, V1, V2
from yoi_ticket.errors import EXIT_USAGE, InvalidNameError
from yoi_ticket.store.ids import (
    CANONICAL_ID_LENGTH,
    CROCKFORD_ALPHABET,
    MAX_CANONICAL_ID,
    MAX_CANONICAL_VALUE,
    MAX_NAME_LENGTH,
    IdForm,
    decode_canonical_id,
    decode_filename,
    encode_canonical_id,
    encode_for_filename,
    id_form,
    unsafe_component_reason,
    validate_component,
    validate_pod_name,
    validate_ticket_id,
)

# ---------------------------------------------------------------- id forms


@pytest.mark.parametrize(
    ("ticket_id", "form"),
    [
        ("00001KSKBP9YG", IdForm.CANONICAL),
        ("00001KVZKSV6C", IdForm.CANONICAL),
        ("0000000000000", IdForm.CANONICAL),
        ("FZZZZZZZZZZZZ", IdForm.CANONICAL),  # 2**64 - 1, the largest upstream reads
        ("20260527-000001-001", IdForm.DATED_SEQUENCE),
        ("20261231-235959-999", IdForm.DATED_SEQUENCE),
        ("20260607-220225-commit-intake-claims-after-launch-success", IdForm.DATED_SLUG),
        ("20260607-220225-x", IdForm.DATED_SLUG),
        ("20260607-220225-v2", IdForm.DATED_SLUG),
        ("20260607-220225-0001", IdForm.DATED_SLUG),  # four digits: not the NNN form
    ],
)
def test_id_forms_are_recognised(ticket_id: str, form: IdForm) -> None:
    assert id_form(ticket_id) is form


@pytest.mark.parametrize(
    "ticket_id",
    [
        "",
        "00001KSKBP9Y",  # 12 characters
        "00001KSKBP9YGG",  # 14 characters
        "00001KSKBP9YI",  # I is not in the Crockford alphabet
        "00001KSKBP9YL",  # nor L
        "G000000000000",  # 2**64: does not fit in upstream's 64 bits
        "ZZZZZZZZZZZZZ",
        "00001KSKBP9YO",  # nor O
        "00001KSKBP9YU",  # nor U
        "00001kskbp9yg",  # lower case
        "20261301-000001-001",  # month 13
        "20260100-000001-001",  # day 0
        "20260527-240000-001",  # hour 24
        "20260527-006000-001",  # minute 60
        "2026052-000001-001",  # short date
        "20260527-00001-001",  # short time
        "20260527_000001_001",
        "20260607-220225-",  # empty slug
        "20260607-220225-Upper-Case",
        "20260607-220225-double--dash",
        "20260607-220225--leading",
        "20260607-220225-trailing-",
        "20260607-220225-under_score",
        "20260607-220225-sp ace",
        "open",
        "ticket.md",
        "../00001KSKBP9YG",
    ],
)
def test_invalid_ids_have_no_form(ticket_id: str) -> None:
    assert id_form(ticket_id) is None


def test_every_corpus_ticket_id_has_a_form() -> None:
    v2 = sorted((CORPUS / V2 / ".yoi" / "tickets").iterdir())
    v1 = sorted((CORPUS / V1 / ".yoi" / "tickets").glob("*/*"))
    assert len(v2) == 36
    assert len(v1) == 10
    assert {id_form(p.name) for p in v2} == {IdForm.CANONICAL}
    assert {id_form(p.name) for p in v1} == {IdForm.DATED_SLUG}


# ---------------------------------------------------------------- canonical encoding


def test_canonical_id_known_values() -> None:
    assert encode_canonical_id(0) == "0000000000000"
    assert encode_canonical_id(31) == "000000000000Z"
    assert encode_canonical_id(32) == "0000000000010"
    assert encode_canonical_id(MAX_CANONICAL_VALUE) == "FZZZZZZZZZZZZ" == MAX_CANONICAL_ID
    # A corpus id decodes to a plausible 2026 time in epoch milliseconds.
    millis = decode_canonical_id("00001KSKBP9YG")
    assert 1_767_225_600_000 <= millis < 1_798_761_600_000  # during 2026 (UTC)
    assert encode_canonical_id(millis) == "00001KSKBP9YG"


@given(st.integers(min_value=0, max_value=MAX_CANONICAL_VALUE))
def test_canonical_id_round_trip(millis: int) -> None:
    encoded = encode_canonical_id(millis)
    assert len(encoded) == CANONICAL_ID_LENGTH
    assert set(encoded) <= set(CROCKFORD_ALPHABET)
    assert id_form(encoded) is IdForm.CANONICAL
    assert decode_canonical_id(encoded) == millis


@given(
    st.integers(min_value=0, max_value=MAX_CANONICAL_VALUE),
    st.integers(min_value=0, max_value=MAX_CANONICAL_VALUE),
)
def test_canonical_ids_sort_chronologically(a: int, b: int) -> None:
    assert (encode_canonical_id(a) < encode_canonical_id(b)) == (a < b)


@pytest.mark.parametrize("millis", [-1, 2**64, 32**CANONICAL_ID_LENGTH])
def test_canonical_id_out_of_range(millis: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        encode_canonical_id(millis)


@pytest.mark.parametrize(
    "bad", ["", "00001KSKBP9Y", "00001KSKBP9YI", "00001kskbp9yg", "ZZZZZZZZZZZZZ"]
)
def test_decode_rejects_non_canonical(bad: str) -> None:
    with pytest.raises(ValueError, match="not a canonical id"):
        decode_canonical_id(bad)


# ---------------------------------------------------------------- path components


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        (".", "names a directory"),
        ("..", "names a directory"),
        ("/", "'/'"),
        ("a/b", "'/'"),
        ("../etc", "'/'"),
        ("a\\b", "'\\'"),
        ("..\\x", "'\\'"),
        ("a\x00b", "NUL"),
        ("\x00", "NUL"),
        ("a\nb", "control character"),
        ("a\x7fb", "control character"),
        ("x" * (MAX_NAME_LENGTH + 1), "too long"),
    ],
)
def test_unsafe_components_are_rejected(name: str, reason: str) -> None:
    found = unsafe_component_reason(name)
    assert found is not None
    assert reason in found
    with pytest.raises(InvalidNameError) as info:
        validate_ticket_id(name)
    assert info.value.exit_code == EXIT_USAGE
    assert "\n" not in info.value.message
    assert info.value.message.startswith("invalid ticket id ")
    with pytest.raises(InvalidNameError, match=r"^invalid Pod name "):
        validate_pod_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "00001KSKBP9YG",
        "20260527-000001-001",
        "20260607-220225-commit-intake-claims-after-launch-success",
        "ticket-intake-7f3a",
        "...",
        ".hidden",
        "a b",
        "日本語",
        "x" * MAX_NAME_LENGTH,
    ],
)
def test_safe_components_are_accepted(name: str) -> None:
    assert unsafe_component_reason(name) is None
    assert validate_ticket_id(name) == name
    assert validate_pod_name(name) == name


def test_long_name_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidNameError) as info:
        validate_component("y" * 500, "ticket id")
    assert len(info.value.message) < 150


def test_names_that_grow_when_encoded_are_measured_encoded() -> None:
    # Each '.' becomes '%2E' and each '日' nine characters in a file name.
    assert unsafe_component_reason("." * 100) is not None
    assert unsafe_component_reason("日" * 30) is not None
    assert unsafe_component_reason("日" * 20) is None


@given(st.text(min_size=1, max_size=300))
def test_accepted_names_fit_in_a_file_name(name: str) -> None:
    """Whatever validation accepts can become ``<enc-id>.json`` (plus a temp suffix)."""
    if unsafe_component_reason(name) is None:
        assert len(encode_for_filename(name).encode()) + len(".json.tmp-0123456789abcdef") <= 255


def test_accepted_long_names_are_usable_file_names(tmp_path: Path) -> None:
    for name in ("x" * MAX_NAME_LENGTH, "é" * (MAX_NAME_LENGTH // 6)):
        assert unsafe_component_reason(name) is None
        target = tmp_path / (encode_for_filename(name) + ".json")
        target.write_bytes(b"{}")
        assert os.listdir(tmp_path) == [target.name]
        target.unlink()


# ---------------------------------------------------------------- file-name encoding


def test_encode_for_filename_examples() -> None:
    assert encode_for_filename("00001KSKBP9YG") == "00001KSKBP9YG"
    assert encode_for_filename("a_b-C9") == "a_b-C9"
    assert encode_for_filename("a.b") == "a%2Eb"
    assert encode_for_filename("a/b") == "a%2Fb"
    assert encode_for_filename("%") == "%25"
    assert encode_for_filename(" ~") == "%20%7E"
    assert encode_for_filename("é") == "%C3%A9"
    assert encode_for_filename("\x00") == "%00"


@given(st.text())
def test_encode_for_filename_encodes_every_byte_outside_the_safe_set(name: str) -> None:
    encoded = encode_for_filename(name)
    assert re.fullmatch(r"(?:[A-Za-z0-9_-]|%[0-9A-F]{2})*", encoded)
    raw = name.encode("utf-8", errors="surrogatepass")
    safe = sum(1 for b in raw if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_-"))
    assert encoded.count("%") == len(raw) - safe


@given(st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_encode_for_filename_round_trip(name: str) -> None:
    assert decode_filename(encode_for_filename(name)) == name


def test_undecodable_file_name_is_rejected_not_raised() -> None:
    # os.fsdecode turns undecodable bytes of a folder name into lone surrogates.
    name = os.fsdecode(b"20260607-220225-bad\xff")
    assert unsafe_component_reason(name) == "it is not valid UTF-8"
    with pytest.raises(InvalidNameError, match="not valid UTF-8"):
        validate_ticket_id(name)
