"""The ticket store reader: both layouts, all id forms, config root, bad bytes, symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import CORPUS, V1, V2, copy_corpus, copy_tree
from yoi_ticket.errors import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    AmbiguousTicketError,
    ConfigError,
    TicketNotFoundError,
    UsageError,
)
from yoi_ticket.files import textfile
from yoi_ticket.store.config import DEFAULT_STORE_ROOT, load_config
from yoi_ticket.store.ids import IdForm, id_form
from yoi_ticket.store.models import V2_STATES, Problem, Ticket
from yoi_ticket.store.reader import Store

SAMPLE = "00001KVZKSV6C"  # a v2 ticket with relations.json and orchestration-plan.jsonl
V1_SAMPLE = "closed/20260527-000023-multi-pod-view-ui"


def corpus_files(layout: str) -> list[Path]:
    root = CORPUS / layout / ".yoi" / "tickets"
    return sorted(p for p in root.rglob("*") if p.is_file())


# ---------------------------------------------------------------- both layouts


@pytest.mark.parametrize(("layout", "count"), [(V2, 36), (V1, 10)])
def test_every_corpus_ticket_loads_without_problems(
    tmp_path: Path, layout: str, count: int
) -> None:
    workspace = copy_corpus(layout, tmp_path / "ws")
    store = Store(workspace)
    scan = store.scan()
    assert scan.exists
    assert scan.stray_files == []
    assert len(scan.locations) == count
    assert scan.layout == ("v1" if layout == V1 else "v2")
    loaded_files: set[Path] = set()
    for ticket in store.iter_tickets():
        assert ticket.problems == [], ticket.path
        assert ticket.escapes == [], ticket.path
        assert not ticket.folder_symlink
        assert ticket.item is not None and ticket.item.frontmatter_ok, ticket.path
        assert ticket.title, ticket.path
        assert ticket.events, ticket.path
        assert all(event.header_error is None for event in ticket.events), ticket.path
        assert id_form(ticket.id) is not None
        folder = workspace / ticket.path
        assert ticket.files == frozenset(os.listdir(folder))
        loaded_files.update(folder / name for name in ("item.md", "thread.md"))
        loaded_files.update(folder / "artifacts" / name for name in ticket.artifacts)
        if "resolution.md" in ticket.files:
            resolution = textfile.read(folder / "resolution.md")
            assert resolution.problem is None and resolution.text.strip(), ticket.path
            loaded_files.add(folder / "resolution.md")
        for name in ticket.artifacts:
            assert textfile.read(folder / "artifacts" / name).problem is None
    # Every file of the corpus copy was seen by the reader.
    root = workspace / ".yoi" / "tickets"
    assert loaded_files == {p for p in root.rglob("*") if p.is_file()}
    assert len(loaded_files) == len(corpus_files(layout))


def test_v2_layout_details(tmp_path: Path) -> None:
    store = Store(copy_corpus(V2, tmp_path / "ws"))
    assert store.root_rel == ".yoi/tickets"
    assert store.scan().buckets == []
    ticket = store.load(store.find(SAMPLE))
    assert ticket.layout == "v2"
    assert ticket.bucket is None
    assert ticket.path == f".yoi/tickets/{SAMPLE}"
    assert ticket.state == "queued"
    assert ticket.state in V2_STATES
    assert ticket.title == "Backend RuntimeRegistryの基盤をworker-runtime向けに整理する"
    assert ticket.fields["created_at"] == "2026-06-25T14:44:03Z"
    assert ticket.fields["assignee"] is None
    assert ticket.field_line("state") == 3
    assert ticket.artifacts == [".gitkeep", "orchestration-plan.jsonl", "relations.json"]
    assert ticket.relations_present
    assert [(r.ticket_id, r.kind, r.target, r.line) for r in ticket.relations] == [
        (SAMPLE, "depends_on", "00001KVZBCQH4", 7)
    ]
    assert [(p.line, p.id, p.ticket_id, p.kind) for p in ticket.plan] == [
        (1, "orch-plan-20260625-163206-1", SAMPLE, "blocked_by")
    ]
    assert ticket.events[0].kind == "create"
    assert ticket.events[0].author == "yoi ticket"


def test_v1_layout_details(tmp_path: Path) -> None:
    store = Store(copy_corpus(V1, tmp_path / "ws"))
    scan = store.scan()
    assert scan.buckets == [".yoi/tickets/closed", ".yoi/tickets/open"]
    assert {loc.bucket for loc in scan.locations} == {"open", "closed"}
    assert all(loc.layout == "v1" for loc in scan.locations)
    ticket = store.load(store.find(V1_SAMPLE.split("/")[1]))
    assert ticket.layout == "v1"
    assert ticket.bucket == "closed"
    assert ticket.path == f".yoi/tickets/{V1_SAMPLE}"
    assert ticket.fields["id"] == ticket.id
    assert ticket.fields["status"] == "closed"
    assert "workflow_state" not in ticket.fields
    assert ticket.state == "closed"  # v1 falls back to status
    assert "resolution.md" in ticket.files


def test_mixed_store_is_a_v2_store_with_buckets(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    copy_tree(
        CORPUS / V1 / ".yoi" / "tickets" / "open",
        workspace / ".yoi" / "tickets" / "open",
    )
    scan = Store(workspace).scan()
    assert scan.layout == "v2"
    assert scan.buckets == [".yoi/tickets/open"]
    assert sum(loc.layout == "v1" for loc in scan.locations) == 5
    assert sum(loc.layout == "v2" for loc in scan.locations) == 36


def test_missing_store_root_is_an_empty_store(tmp_path: Path) -> None:
    (tmp_path / ".yoi").mkdir()
    store = Store(tmp_path)
    assert not store.scan().exists
    assert store.scan().locations == []
    assert list(store.iter_tickets()) == []


def test_stray_files_and_dot_entries_at_the_root(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "ws")
    root = workspace / ".yoi" / "tickets"
    (root / "old-ticket.md").write_text("# legacy\n", encoding="utf-8")
    (root / ".ticket-backend.lock").write_text("", encoding="utf-8")
    (root / ".cache").mkdir()
    scan = Store(workspace).scan()
    assert scan.stray_files == [".yoi/tickets/old-ticket.md"]
    assert len(scan.locations) == 36


# ---------------------------------------------------------------- id forms


def make_v2_store(tmp_path: Path, ids: list[str]) -> Path:
    """A workspace whose v2 store holds copies of one corpus ticket under ``ids``."""
    workspace = tmp_path / "ws"
    (workspace / ".yoi" / "tickets").mkdir(parents=True)
    source = CORPUS / V2 / ".yoi" / "tickets" / SAMPLE
    for ticket_id in ids:
        copy_tree(source, workspace / ".yoi" / "tickets" / ticket_id)
    return workspace


ALL_FORMS = [
    "00001KSKBP9YG",
    "20260527-000001-001",
    "20260607-220225-commit-intake-claims-after-launch-success",
]


def test_all_three_id_forms_load(tmp_path: Path) -> None:
    store = Store(make_v2_store(tmp_path, ALL_FORMS))
    assert store.ids() == sorted(ALL_FORMS)
    forms = {ticket.id: id_form(ticket.id) for ticket in store.iter_tickets()}
    assert forms == {
        ALL_FORMS[0]: IdForm.CANONICAL,
        ALL_FORMS[1]: IdForm.DATED_SEQUENCE,
        ALL_FORMS[2]: IdForm.DATED_SLUG,
    }
    for ticket_id in ALL_FORMS:
        ticket = store.load(store.find(ticket_id))
        assert ticket.problems == []
        assert ticket.state == "queued"


def test_find_by_exact_id_and_unambiguous_prefix(tmp_path: Path) -> None:
    store = Store(make_v2_store(tmp_path, [*ALL_FORMS, "20260527-000001-002"]))
    assert store.find("00001").id == ALL_FORMS[0]
    assert store.find("20260607").id == ALL_FORMS[2]
    assert store.find("20260527-000001-001").id == "20260527-000001-001"


def test_exact_id_wins_over_a_longer_id_it_prefixes(tmp_path: Path) -> None:
    store = Store(make_v2_store(tmp_path, ["20260607-220225-fix", "20260607-220225-fix-more"]))
    assert store.find("20260607-220225-fix").id == "20260607-220225-fix"


def test_ambiguous_prefix_names_the_matches(tmp_path: Path) -> None:
    store = Store(make_v2_store(tmp_path, [*ALL_FORMS, "20260527-000001-002"]))
    with pytest.raises(AmbiguousTicketError) as info:
        store.find("20260527")
    error = info.value
    assert error.message == (
        "'20260527' matches 2 tickets: 20260527-000001-001, 20260527-000001-002"
    )
    assert error.exit_code == EXIT_USAGE
    assert error.hint


def test_ambiguous_prefix_with_many_matches_is_shortened(tmp_path: Path) -> None:
    ids = [f"20260527-000001-{n:03d}" for n in range(1, 9)]
    store = Store(make_v2_store(tmp_path, ids))
    with pytest.raises(AmbiguousTicketError) as info:
        store.find("2026")
    assert info.value.message == ("'2026' matches 8 tickets: " + ", ".join(ids[:5]) + " and 3 more")


@pytest.mark.parametrize("query", ["", "nope", "00001KSKBP9YGX", "../tickets", "/", "."])
def test_unknown_id_is_not_found(tmp_path: Path, query: str) -> None:
    store = Store(make_v2_store(tmp_path, ALL_FORMS))
    with pytest.raises(TicketNotFoundError) as info:
        store.find(query)
    assert info.value.message == f"no ticket matches {query!r}"
    assert info.value.exit_code == EXIT_FINDINGS


def test_locate_finds_both_layouts(tmp_path: Path) -> None:
    store = Store(copy_corpus(V1, tmp_path / "ws"))
    location = store.locate("20260527-000023-multi-pod-view-ui")
    assert location is not None
    assert (location.layout, location.bucket, location.path) == (
        "v1",
        "closed",
        f".yoi/tickets/{V1_SAMPLE}",
    )
    assert store.exists("20260609-032533-session-analytics-tooling")
    assert not store.exists("20260101-000000-none")


@pytest.mark.parametrize("bad", ["", ".", "..", "../..", "open/..", "a/b", "a\\b", "a\x00b"])
def test_locate_never_looks_outside_the_store(tmp_path: Path, bad: str) -> None:
    store = Store(copy_corpus(V1, tmp_path / "ws"))
    assert store.locate(bad) is None
    assert not store.exists(bad)


@pytest.mark.parametrize("bucket", ["open", "closed"])
def test_locate_does_not_take_a_v1_bucket_for_a_ticket(tmp_path: Path, bucket: str) -> None:
    store = Store(copy_corpus(V1, tmp_path / "ws"))
    assert store.locate(bucket) is None
    assert bucket not in store.ids()


# ---------------------------------------------------------------- config root


def test_store_root_from_config_with_unknown_sections_ignored(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / ".yoi").mkdir(parents=True)
    copy_tree(CORPUS / V2 / ".yoi" / "tickets", workspace / "work" / "tickets")
    (workspace / ".yoi" / "ticket.config.toml").write_text(
        '[backend]\nprovider = "builtin:yoi_local"\nroot = "work/tickets"\nfuture = 1\n\n'
        '[ticket]\nlanguage = "Japanese"\n\n[roles.coder]\nprofile = "p"\n\n'
        "[something.new]\nanswer = 42\n",
        encoding="utf-8",
    )
    store = Store(workspace)
    assert store.root_rel == "work/tickets"
    assert store.root == workspace / "work" / "tickets"
    assert len(store.ids()) == 36
    ticket = store.load(store.find(SAMPLE))
    assert ticket.path == f"work/tickets/{SAMPLE}"
    assert ticket.problems == []
    assert load_config(workspace).roles == ("coder",)


def test_corpus_configs_load(tmp_path: Path) -> None:
    for layout in (V1, V2):
        config = load_config(copy_corpus(layout, tmp_path / layout))
        assert config.store_root == DEFAULT_STORE_ROOT
        assert config.roles == ("intake", "orchestrator", "coder", "reviewer")


def test_missing_config_gives_defaults(tmp_path: Path) -> None:
    (tmp_path / ".yoi").mkdir()
    assert load_config(tmp_path).store_root == DEFAULT_STORE_ROOT


def test_config_with_bom_and_dot_prefix(tmp_path: Path) -> None:
    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "ticket.config.toml").write_bytes(
        b'\xef\xbb\xbf[backend]\nroot = "./store/"\n'
    )
    assert load_config(tmp_path).store_root == "store"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[backend\nroot = 'x'\n", ".yoi/ticket.config.toml is not valid TOML: "),
        ("backend = 3\n", ".yoi/ticket.config.toml: [backend] must be a table"),
        ("[backend]\nroot = 3\n", "[backend] root must be a non-empty string"),
        ("[backend]\nroot = ''\n", "[backend] root must be a non-empty string"),
        ("[backend]\nroot = '/abs/tickets'\n", "must be a path inside the workspace"),
        ("[backend]\nroot = '../elsewhere'\n", "must be a path inside the workspace"),
        ("[backend]\nroot = 'a/../../b'\n", "must be a path inside the workspace"),
        ("[doctor]\nfail_on = 'sometimes'\n", "[doctor] fail_on must be one of"),
        ("[doctor]\nselect = [1]\n", "[doctor] select must be a list of rule codes"),
        ("roles = 'coder'\n", "[roles] must be a table"),
    ],
)
def test_invalid_config_is_a_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "ticket.config.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Store(tmp_path)
    assert message in info.value.message
    assert "\n" not in info.value.message
    assert info.value.exit_code == EXIT_USAGE


def test_config_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "ticket.config.toml").write_bytes(b"[backend]\nroot = '\xff'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)


# ---------------------------------------------------------------- bad bytes


@pytest.fixture
def one_ticket(tmp_path: Path) -> Path:
    """The folder of a single v2 ticket copied from the corpus."""
    return make_v2_store(tmp_path, [SAMPLE]) / ".yoi" / "tickets" / SAMPLE


def load_one(folder: Path) -> Ticket:
    store = Store(folder.parents[2])
    return store.load(store.find(folder.name))


def test_crlf_and_bom_files_read_like_the_originals(one_ticket: Path) -> None:
    original = load_one(one_ticket)
    for name in ("item.md", "thread.md"):
        data = (one_ticket / name).read_bytes()
        (one_ticket / name).write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    converted = load_one(one_ticket)
    # Read alike; the BOM is only noted, for doctor to say upstream yoi will not read it.
    assert converted.problems == [
        Problem(
            kind="upstream-item", file="item.md", line=1, message="item.md starts with a UTF-8 BOM"
        )
    ]
    assert converted.fields == original.fields
    assert converted.item == original.item
    assert converted.events == original.events


@pytest.mark.parametrize("name", ["item.md", "thread.md"])
def test_invalid_utf8_is_recorded_not_raised(one_ticket: Path, name: str) -> None:
    data = (one_ticket / name).read_bytes()
    (one_ticket / name).write_bytes(data.replace(b"\n\n", b"\n\xff\xfe\n", 1))
    ticket = load_one(one_ticket)
    assert [(p.kind, p.file) for p in ticket.problems] == [("unreadable", name)]
    assert ticket.problems[0].message.startswith("invalid UTF-8 at byte ")
    assert ticket.events  # the rest is still read


@pytest.mark.parametrize("name", ["item.md", "thread.md"])
def test_nul_bytes_are_recorded_not_raised(one_ticket: Path, name: str) -> None:
    data = (one_ticket / name).read_bytes()
    (one_ticket / name).write_bytes(data + b"\x00\x00tail\n")
    ticket = load_one(one_ticket)
    assert [(p.kind, p.file) for p in ticket.problems] == [("unreadable", name)]
    assert ticket.problems[0].message.startswith("NUL byte in text (line ")


def test_binary_garbage_everywhere_is_recorded_not_raised(one_ticket: Path) -> None:
    blob = bytes(range(256)) * 4
    for name in ("item.md", "thread.md", "artifacts/relations.json"):
        (one_ticket / name).write_bytes(blob)
    (one_ticket / "artifacts" / "orchestration-plan.jsonl").write_bytes(blob)
    ticket = load_one(one_ticket)
    kinds = {(p.kind, p.file) for p in ticket.problems}
    assert ("unreadable", "item.md") in kinds
    assert ("frontmatter", "item.md") in kinds
    assert ("unreadable", "thread.md") in kinds
    assert ("relations", "artifacts/relations.json") in kinds
    assert ("plan", "artifacts/orchestration-plan.jsonl") in kinds


def test_bad_frontmatter_is_a_problem_with_a_line(one_ticket: Path) -> None:
    (one_ticket / "item.md").write_text(
        "---\ntitle: x\nstate: !!python/object/apply:os.system ['true']\n---\nbody\n",
        encoding="utf-8",
    )
    ticket = load_one(one_ticket)
    assert [(p.kind, p.file, p.line) for p in ticket.problems] == [("frontmatter", "item.md", 3)]
    assert ticket.fields == {}
    assert ticket.state is None


def test_odd_values_are_read_as_strings(one_ticket: Path) -> None:
    (one_ticket / "item.md").write_text(
        "---\ntitle: Odd\nstate: ready\ncreated_at: 2026-06-07T22:02:25Z\n"
        'updated_at: 2026-06-07T22:02:25Z\nqueued_by: null | "user"\n---\n',
        encoding="utf-8",
    )
    ticket = load_one(one_ticket)
    assert ticket.problems == []
    assert ticket.fields["queued_by"] == 'null | "user"'
    assert ticket.fields["updated_at"] == "2026-06-07T22:02:25Z"


def test_missing_files_and_a_directory_in_place_of_a_file(one_ticket: Path) -> None:
    (one_ticket / "thread.md").unlink()
    (one_ticket / "item.md").unlink()
    (one_ticket / "item.md").mkdir()
    ticket = load_one(one_ticket)
    assert "thread.md" not in ticket.files
    assert ticket.events == []
    assert (ticket.problems[0].kind, ticket.problems[0].file) == ("unreadable", "item.md")
    assert "is a directory" in ticket.problems[0].message


# ---------------------------------------------------------------- symlinks


def test_symlinked_folder_outside_the_store_is_not_followed(tmp_path: Path) -> None:
    workspace = make_v2_store(tmp_path, [SAMPLE])
    outside = copy_tree(CORPUS / V2 / ".yoi" / "tickets" / SAMPLE, tmp_path / "outside")
    link = workspace / ".yoi" / "tickets" / "00001KSKBP9YG"
    link.symlink_to(outside, target_is_directory=True)
    store = Store(workspace)
    location = store.find("00001KSKBP9YG")
    assert location.is_symlink
    assert location.escapes is not None
    ticket = store.load(location)
    assert ticket.folder_symlink
    assert ticket.escapes == ["."]
    assert ticket.item is None
    assert ticket.events == []


def test_symlinked_artifact_outside_is_not_read(one_ticket: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"version": 1, "relations": []}', encoding="utf-8")
    os.remove(one_ticket / "artifacts" / "relations.json")
    (one_ticket / "artifacts" / "relations.json").symlink_to(secret)
    (one_ticket / "artifacts" / "up").symlink_to("../..", target_is_directory=True)
    (one_ticket / "artifacts" / "inside.md").symlink_to("orchestration-plan.jsonl")
    ticket = load_one(one_ticket)
    assert ticket.escapes == ["artifacts/relations.json", "artifacts/up"]
    assert not ticket.relations_present
    assert ticket.relations == []
    assert ticket.artifacts == [".gitkeep", "inside.md", "orchestration-plan.jsonl"]


def test_symlink_loop_in_the_store_does_not_hang(tmp_path: Path) -> None:
    workspace = make_v2_store(tmp_path, [SAMPLE])
    root = workspace / ".yoi" / "tickets"
    (root / "00001KSKBP9YG").symlink_to(root / "00001KSKBP9YH")
    (root / "00001KSKBP9YH").symlink_to(root / "00001KSKBP9YG")
    (one := root / SAMPLE / "artifacts" / "loop").symlink_to(one, target_is_directory=True)
    store = Store(workspace)
    tickets = {ticket.id: ticket for ticket in store.iter_tickets()}
    assert tickets[SAMPLE].escapes == ["artifacts/loop"]
    for ticket_id in ("00001KSKBP9YG", "00001KSKBP9YH"):
        assert tickets[ticket_id].escapes == ["."]


def test_store_root_symlink_loop_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "tickets").symlink_to("tickets")
    with pytest.raises(UsageError) as info:
        Store(tmp_path).scan()
    assert info.value.message == (
        "cannot read the ticket store folder .yoi/tickets: Too many levels of symbolic links"
    )
    assert info.value.exit_code == EXIT_USAGE


def test_store_root_that_is_a_file_is_an_empty_store(tmp_path: Path) -> None:
    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "tickets").write_text("not a folder\n", encoding="utf-8")
    assert not Store(tmp_path).scan().exists


# ---------------------------------------------------------------- a store outside the workspace


def test_a_store_root_symlinked_out_of_the_workspace_is_not_read(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / ".yoi").mkdir(parents=True)
    (workspace / ".yoi" / "tickets").symlink_to("/")
    store = Store(workspace)
    assert store.outside == ".yoi/tickets resolves outside the workspace, to /"
    with pytest.raises(UsageError, match=r"refusing to read the ticket store: \.yoi/tickets"):
        store.scan()
    with pytest.raises(UsageError, match="refusing to read"):
        store.exists("etc")
    assert store.locate("etc") is None  # / has an etc/: it is never looked at
    scan = store.scan(refuse_outside=False)
    assert (scan.locations, scan.exists, scan.outside) == ([], False, store.outside)


def test_a_yoi_folder_symlinked_out_of_the_workspace_is_not_read(tmp_path: Path) -> None:
    elsewhere = copy_corpus(V2, tmp_path / "elsewhere") / ".yoi"
    (elsewhere / "ticket.config.toml").write_text('[backend]\nroot = "tickets-x"\n')
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".yoi").symlink_to(elsewhere)
    config = load_config(workspace)
    assert config.store_root == DEFAULT_STORE_ROOT  # the config out there is not read
    assert config.outside == f".yoi resolves outside the workspace, to {elsewhere}"
    assert Store(workspace).outside == config.outside


def test_symlinks_that_stay_inside_the_workspace_are_read(tmp_path: Path) -> None:
    workspace = copy_corpus(V2, tmp_path / "real")
    store_dir = workspace / ".yoi" / "tickets"
    store_dir.rename(workspace / "tickets-real")
    store_dir.symlink_to("../tickets-real")
    link = tmp_path / "link"
    link.symlink_to(workspace)  # the workspace itself reached through a symlink
    for path in (workspace, link):
        store = Store(path)
        assert store.outside is None
        assert len(store.scan().locations) == 36
