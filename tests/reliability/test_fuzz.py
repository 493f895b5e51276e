"""Property-based fuzzing (hypothesis) of every reader of untrusted text (SPEC 11): item
frontmatter, thread headers and threads, relations and plans, raw bytes, YAML, ticket ids,
and the overlay's JSON records. Readers never raise on content, never build objects from
YAML tags, and what the writers write reads back the same.

bench/stress.py runs these same properties with many more examples.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import string
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.overlay import small_workspace
from yoi_ticket.errors import InvalidNameError
from yoi_ticket.files.textfile import decode
from yoi_ticket.overlay import pending
from yoi_ticket.overlay.claims import list_claims, read_claim
from yoi_ticket.overlay.folder import (
    MAX_FILENAME_BYTES,
    Overlay,
    encoded_name,
    list_overlays,
    other_overlays,
)
from yoi_ticket.overlay.locations import Locations
from yoi_ticket.overlay.pods import PodStatusChecker, read_pod_registry
from yoi_ticket.overlay.records import RecordError, RoleSessionsFile, TicketClaim, read_record
from yoi_ticket.overlay.sessions import list_sessions, record_session
from yoi_ticket.store.artifacts import (
    _relation_lines,
    _target_key_lines,
    parse_plan,
    parse_relations,
)
from yoi_ticket.store.ids import (
    decode_filename,
    encode_for_filename,
    normal_id,
    validate_ticket_id,
)
from yoi_ticket.store.item import parse_item
from yoi_ticket.store.thread import format_header, parse_header, parse_thread
from yoi_ticket.store.yaml_loader import YamlProblem, load

pytestmark = pytest.mark.slow  # a stress run: not part of the oldest-versions pass

EXAMPLES_ENV = "YOI_FUZZ_EXAMPLES"  # bench/stress.py asks for more
FUZZ = settings(
    max_examples=int(os.environ.get(EXAMPLES_ENV, "150")),
    deadline=5000,  # milliseconds: bounded work per input, with room for a loaded machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TICKET = "00001KSKBPDVG"

# --- strategies ---------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
# Pieces that make YAML, thread and JSON parsers take unusual paths.
HOSTILE_PIECES = [
    "---",
    "\n",
    "\r\n",
    "\x00",
    "\ufeff",
    "\udcff",
    ":",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!binary aGk=",
    "!!set {a}",
    "!!timestamp 2026-01-01",
    "<<: *a",
    "? ",
    "|",
    ">",
    "'",
    '"',
    "\\",
    "#",
    "<!--",
    "-->",
    "<!-- event: x -->",
    "event:",
    "at: ",
    "\t",
    "%YAML 1.1",
    "2026-06-07T22:02:25Z",
    "null",
    "~",
    "0x1F",
    "1e999",
    ".nan",
    "\u2028",
    "\x85",
]
hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(max_size=10), max_size=40).map(
    "".join
)
keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,10}", fullmatch=True)


def frontmatter_text() -> st.SearchStrategy[str]:
    line = st.tuples(keys, hostile_text).map(lambda kv: f"{kv[0]}: {kv[1]}")
    return st.tuples(st.lists(line | hostile_text, max_size=12), hostile_text).map(
        lambda parts: "---\n" + "\n".join(parts[0]) + "\n---\n" + parts[1]
    )


def is_plain(value: Any) -> bool:
    """Only what JSON could hold: no objects built from YAML tags."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, list):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, (str, int, float, bool)) or k is None for k in value) and all(
            is_plain(v) for v in value.values()
        )
    return False


# --- item.md, YAML, bytes -------------------------------------------------------------


@FUZZ
@given(st.one_of(st.text(), hostile_text, frontmatter_text()))
def test_parse_item_never_raises_and_builds_only_plain_values(text: str) -> None:
    item, error = parse_item(text)
    if error is None:
        assert item.frontmatter_ok
        assert all(isinstance(key, str) for key in item.fields)
        assert is_plain(item.fields)
        assert all(1 <= line <= text.count("\n") + 1 for line in item.field_lines.values())
    else:
        assert not item.frontmatter_ok
        assert error.message and "\n" not in error.message
        assert error.line is None or error.line >= 1


@FUZZ
@given(st.one_of(st.text(), hostile_text))
def test_the_yaml_loader_raises_only_yaml_problems(text: str) -> None:
    try:
        value = load(text)
    except YamlProblem as problem:
        assert problem.message and (problem.line is None or problem.line >= 1)
    else:
        assert is_plain(value)


@FUZZ
@given(
    st.binary(max_size=400)
    | st.lists(st.sampled_from(HOSTILE_PIECES)).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
    )
)
def test_decoding_any_bytes_never_raises(data: bytes) -> None:
    decoded = decode(data)
    assert "\x00" not in decoded.text and "\r\n" not in decoded.text
    parse_item(decoded.text)
    parse_thread(decoded.text)


# --- thread.md ----------------------------------------------------------------------


@FUZZ
@given(st.one_of(st.text(), hostile_text, hostile_text.map(lambda t: f"<!-- {t} -->")))
def test_parse_header_never_raises(line: str) -> None:
    attrs, error = parse_header(line)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in attrs.items())
    assert error is None or (error and "\n" not in error)


@FUZZ
@given(st.dictionaries(keys, st.text() | hostile_text, max_size=6), st.text(min_size=1))
def test_a_formatted_header_reads_back_the_same(attrs: dict[str, str], kind: str) -> None:
    attrs = {"event": kind, **attrs}
    line = format_header(attrs)
    assert "\n" not in line
    assert parse_header(line) == (attrs, None)


body_lines = st.text(alphabet=string.ascii_letters + string.digits + " #*_`>.-", max_size=30)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.dictionaries(keys, st.text(max_size=15), max_size=4),
            st.lists(body_lines.filter(lambda s: s.strip() != "---"), max_size=4),
        ),
        max_size=6,
    )
)
def test_a_written_thread_reads_back_event_by_event(
    events: list[tuple[dict[str, str], list[str]]],
) -> None:
    chunks = []
    for attrs, body in events:
        chunks.append(format_header({"event": "comment", **attrs}) + "\n\n" + "\n".join(body))
    text = "\n\n---\n\n".join(chunks) + ("\n" if chunks else "")
    parsed = parse_thread(text)
    assert [event.attrs for event in parsed] == [{"event": "comment", **a} for a, _ in events]
    assert [event.body for event in parsed] == [_trimmed(body) for _, body in events]
    assert all(event.header_error is None for event in parsed)


def _trimmed(lines: list[str]) -> str:
    kept = list(lines)
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


@FUZZ
@given(st.one_of(st.text(), hostile_text, st.lists(hostile_text).map("\n---\n".join)))
def test_parse_thread_never_raises_and_lines_are_in_order(text: str) -> None:
    events = parse_thread(text)
    total = text.count("\n") + 1
    previous = 0
    for event in events:
        assert previous < event.line <= event.end_line <= total
        previous = event.end_line


# --- artifacts ----------------------------------------------------------------------

relation = st.fixed_dictionaries(
    {
        "ticket_id": st.just(TICKET) | st.text(max_size=15),
        "kind": st.sampled_from(["depends_on", "blocks", "related", "supersedes", "x"]),
        "target": st.text(max_size=15),
    },
    optional={"note": json_values, "author": st.text(max_size=8), "at": json_values},
)


@FUZZ
@given(
    st.one_of(
        st.text(),
        hostile_text,
        json_values.map(json.dumps),
        st.lists(relation | json_values, max_size=6).map(
            lambda rs: json.dumps({"version": 1, "relations": rs}, indent=2)
        ),
    )
)
def test_parse_relations_never_raises(text: str) -> None:
    relations, problems = parse_relations(text)
    total = text.count("\n") + 1
    for line, message in problems:
        assert message and (line is None or 1 <= line <= total)
    for found in relations:
        assert found.line is None or 1 <= found.line <= total


tricky_note = st.sampled_from(
    ['"target": "X"', 'a \\"target\\": b', "\\", '\\"', "}, {", "target"]
) | st.text(max_size=10)
tricky_relation = st.fixed_dictionaries(
    {"kind": st.just("related"), "target": st.text(max_size=6) | st.integers()},
    optional={
        "note": tricky_note,
        "meta": st.fixed_dictionaries({"target": st.text(max_size=4)}),
        "t\\u0061rget": st.just(0.5),  # a second spelling of "target" (last wins)
    },
)


@FUZZ
@given(
    st.lists(tricky_relation | st.just({"kind": "related"}), max_size=5),
    st.sampled_from([None, 0, 2]),
    st.booleans(),
)
def test_target_key_lines_agree_with_the_json_walk(
    entries: list[dict[str, object]], indent: int | None, top_target: bool
) -> None:
    """The quick line finder gives the walk's answer, or gives up (None)."""
    document: dict[str, object] = {"version": 1, "relations": entries}
    if top_target:
        document = {"target": "x", **document}
    text = json.dumps(document, indent=indent).replace("t\\\\u0061rget", "t\\u0061rget")
    parsed = json.loads(text)["relations"]
    quick = _target_key_lines(text, parsed)
    assert quick is None or quick == _relation_lines(text)


@FUZZ
@given(st.lists(st.one_of(json_values.map(json.dumps), hostile_text), max_size=8).map("\n".join))
def test_parse_plan_never_raises(text: str) -> None:
    records, problems = parse_plan(text)
    total = text.count("\n") + 1
    assert all(1 <= line <= total for line, _message in problems if line is not None)
    assert all(record.line is not None and 1 <= record.line <= total for record in records)


# --- ids ----------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=300) | st.sampled_from(["..", ".", "a/b", "a\\b", "\x00", ""]))
def test_an_id_is_rejected_or_becomes_one_safe_file_name(ticket_id: str) -> None:
    try:
        validate_ticket_id(ticket_id)
        name = encoded_name(ticket_id)
    except InvalidNameError:
        return
    assert name not in ("", ".", "..") and "/" not in name and "\\" not in name
    assert len(name.encode()) <= MAX_FILENAME_BYTES
    # The file name is the id's NFC form (spellings that differ only in normalisation are
    # one ticket), which NFC leaves as it is.
    assert decode_filename(name) == normal_id(ticket_id) == normal_id(normal_id(ticket_id))
    assert encode_for_filename(normal_id(ticket_id)) == name


# --- overlay JSON -------------------------------------------------------------------


@functools.cache
def fuzz_overlay() -> Overlay:
    """One overlay for all examples (a real workspace in a temp dir, removed at exit)."""
    import atexit

    root = Path(tempfile.mkdtemp(prefix="yoi-fuzz-"))
    atexit.register(shutil.rmtree, root, True)
    data = root / "data"
    overlay = Overlay.for_workspace(small_workspace(root), Locations(data, data / "run"))
    overlay.ensure()
    overlay.locations.runtime_dir.mkdir(parents=True)
    return overlay


claim_dicts = st.fixed_dictionaries(
    {
        "version": st.just(1) | json_values,
        "ticket_id": st.just(TICKET) | st.text(max_size=20),
        "pod_name": st.text(max_size=20) | json_values,
        "role": st.just("coder") | json_values,
        "claimed_at": st.text(max_size=25),
        "host": st.text(max_size=10),
    },
    optional={"ticket_slug": json_values, "extra": json_values},
)
overlay_bytes = st.one_of(
    st.binary(max_size=300),
    hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode()),
    claim_dicts.map(lambda c: json.dumps(c).encode()),
)


@FUZZ
@given(overlay_bytes, overlay_bytes, overlay_bytes, overlay_bytes, overlay_bytes)
def test_overlay_readers_never_raise_on_any_file_content(
    claim_file: bytes, sessions: bytes, pending_file: bytes, registry: bytes, workspace: bytes
) -> None:
    overlay = fuzz_overlay()
    overlay.claim_path(TICKET).write_bytes(claim_file)
    overlay.sessions_path.write_bytes(sessions)
    overlay.pending_path(TICKET).write_bytes(pending_file)
    overlay.locations.pod_registry.write_bytes(registry)
    overlay.workspace_record_path.write_bytes(workspace)

    (info,) = list_overlays(overlay.locations)
    assert (info.record is None) == (info.error is not None)
    assert other_overlays(overlay) == []

    listing = list_claims(overlay, PodStatusChecker(overlay.locations))
    assert len(listing.claims) + len(listing.errors) == 1
    try:
        read_claim(overlay, TICKET)
    except RecordError as exc:
        assert exc.message.startswith(str(overlay.claim_path(TICKET)))
    sessions_listing = list_sessions(overlay)
    assert sessions_listing.error is None or sessions_listing.sessions == []
    (entry,) = pending.list_pending(overlay)
    assert entry.record is not None or entry.error is not None
    read_pod_registry(overlay.locations.pod_registry)
    PodStatusChecker(overlay.locations).status("coder-1")


@FUZZ
@given(
    claim_dicts,
    st.dictionaries(
        keys.filter(lambda k: k not in TicketClaim.model_fields), json_values, max_size=3
    ),
)
def test_a_claim_with_unknown_fields_reads_and_writes_back_the_same(
    data: dict[str, Any], extra: dict[str, Any]
) -> None:
    path = fuzz_overlay().locations.data_dir / "roundtrip.json"  # not among the claims
    path.write_text(json.dumps({**data, **extra}))
    try:
        record = read_record(path, TicketClaim)
    except RecordError:
        return
    again = json.loads(record.to_json())
    assert {k: again[k] for k in extra} == json.loads(json.dumps(extra))
    path.write_bytes(record.to_json())
    assert read_record(path, TicketClaim).to_json() == record.to_json()  # NaN != NaN


@FUZZ
@given(
    st.dictionaries(
        keys.filter(lambda k: k not in RoleSessionsFile.model_fields), json_values, max_size=3
    ),
    st.text(max_size=10),
)
def test_recording_a_session_keeps_unknown_fields_of_the_file(
    extra: dict[str, Any], session_id: str
) -> None:
    overlay = fuzz_overlay()
    overlay.sessions_path.write_text(
        json.dumps({"version": 1, "workspace_root": "/x", "sessions": {}, **extra})
    )
    record_session(overlay, "coder-1", "coder", session_id=session_id)
    written = json.loads(overlay.sessions_path.read_text())
    assert {k: written[k] for k in extra} == json.loads(json.dumps(extra))
    assert written["sessions"]["coder-1"]["session_id"] == session_id
