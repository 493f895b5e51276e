"""``item.md``: frontmatter split, YAML read safely as the strings it holds, body and lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS
from yoi_ticket.store.item import parse_item, read_item, split_frontmatter
from yoi_ticket.store.yaml_loader import MAX_DEPTH, YamlProblem, load

ITEM = """\
---
title: "Queue a ticket"
state: 'ready'
created_at: 2026-06-07T22:02:25Z
updated_at: "2026-06-08T01:00:00Z"
priority: P1
assignee: null
queued_by: null | "user"
queued_at: 2026-06-08
readiness: ready
risk_flags: [migration, "needs: review"]
---

## Background

Body text.
"""


def test_fields_are_read_as_the_strings_they_are() -> None:
    item, error = parse_item(ITEM)
    assert error is None
    assert item.frontmatter_ok
    assert item.fields == {
        "title": "Queue a ticket",
        "state": "ready",
        "created_at": "2026-06-07T22:02:25Z",
        "updated_at": "2026-06-08T01:00:00Z",
        "priority": "P1",
        "assignee": None,
        "queued_by": 'null | "user"',
        "queued_at": "2026-06-08",
        "readiness": "ready",
        "risk_flags": ["migration", "needs: review"],
    }
    assert item.field_lines == {
        "title": 2,
        "state": 3,
        "created_at": 4,
        "updated_at": 5,
        "priority": 6,
        "assignee": 7,
        "queued_by": 8,
        "queued_at": 9,
        "readiness": 10,
        "risk_flags": 11,
    }
    assert item.body == "\n## Background\n\nBody text.\n"
    assert item.body_line == 13


def test_every_corpus_item_parses_with_string_timestamps() -> None:
    items = sorted(CORPUS.glob("*/.yoi/tickets/**/item.md"))
    assert len(items) == 86  # v2-flat 36, v1-nested 10, v2-sample 40
    for path in items:
        item, error = parse_item(path.read_text(encoding="utf-8"))
        assert error is None, (path, error)
        for key in ("title", "created_at", "updated_at"):
            assert isinstance(item.fields[key], str), (path, key)
        assert item.fields["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("no frontmatter\n", "no YAML frontmatter", 1),
        ("", "no YAML frontmatter", 1),
        ("---\ntitle: x\n", "not closed", 1),
        ("----\ntitle: x\n---\n", "not closed by a '---' line", 1),
        ("---\n- a\n- b\n---\n", "YAML list, not a mapping", 2),
        ("---\njust words\n---\n", "YAML str, not a mapping", 2),
        ("---\n42\n---\n", "YAML int, not a mapping", 2),
        ("---\ntitle: ok\nstate: [unclosed\n---\n", "invalid YAML", 4),
        ('---\ntitle: "unterminated\n---\n', "invalid YAML", 2),
        ("---\ntitle: a\n  bad: indent\n---\n", "invalid YAML", 3),
        ("---\n? [a, b]\n: c\n---\n", "unhashable key", 2),
    ],
)
def test_bad_frontmatter_is_a_problem_not_an_exception(text: str, message: str, line: int) -> None:
    item, error = parse_item(text)
    assert error is not None
    assert message in error.message
    assert error.line == line
    assert "\n" not in error.message
    assert not item.frontmatter_ok
    assert item.fields == {}
    assert item.body == text


@pytest.mark.parametrize(
    ("yaml_text", "line"),
    [
        ("title: !!python/object:os.system {}", 2),
        ("title: !!python/object/apply:os.system ['true']", 2),
        ("title: !!python/name:os.system", 2),
        ("state: ready\ntitle: !!python/object/new:list []", 3),
        ("title: !custom 1", 2),
        # Safe-loader tags that would still build bytes, sets, dates or tuples:
        ("title: !!binary aGVsbG8=", 2),
        ("title: !!set {a, b}", 2),
        ("title: !!timestamp 2026-06-07T22:02:25Z", 2),
        ("title: !!omap [a: 1]", 2),
        ("title: !!pairs [a: 1]", 2),
    ],
)
def test_object_constructing_tags_are_rejected(yaml_text: str, line: int) -> None:
    item, error = parse_item(f"---\n{yaml_text}\n---\nbody\n")
    assert error is not None
    assert "could not determine a constructor" in error.message
    assert error.line == line
    assert item.fields == {}


def test_plain_tags_are_allowed() -> None:
    item, error = parse_item('---\na: !!str 2026-06-07\nb: !!int "3"\nc: !!null ""\n---\n')
    assert error is None
    assert item.fields == {"a": "2026-06-07", "b": 3, "c": None}


@pytest.mark.parametrize(
    ("yaml_text", "line"),
    [
        ("base: &b {x: 1}\ncopy: *b", 3),
        ("title: &t hello\nother: *t", 3),
        ("defaults: &d {state: ready}\nmerged:\n  <<: *d", 4),
        ("a: &a [1]\nb: [*a, *a, *a, *a]", 3),
    ],
)
def test_aliases_are_rejected_at_their_line(yaml_text: str, line: int) -> None:
    _, error = parse_item(f"---\n{yaml_text}\n---\n")
    assert error is not None
    assert error.message == "YAML aliases are not allowed in ticket frontmatter"
    assert error.line == line


def test_an_asterisk_in_a_value_is_not_an_alias() -> None:
    item, error = parse_item('---\ntitle: "2 * 3"\nnote: a*b\n---\n')
    assert error is None
    assert item.fields == {"title": "2 * 3", "note": "a*b"}


@pytest.mark.parametrize(
    "yaml_text",
    [
        "x: " + "[" * 200 + "]" * 200,
        "x: " + "{a: " * 200 + "1" + "}" * 200,
        "x:\n" + "- " * 200 + "a",
    ],
)
def test_deep_nesting_is_refused(yaml_text: str) -> None:
    with pytest.raises(YamlProblem, match=f"nested more than {MAX_DEPTH} levels"):
        load(yaml_text)


def test_moderate_nesting_is_read() -> None:
    expected: list[object] = []
    for _ in range(49):
        expected = [expected]
    assert load("x: " + "[" * 50 + "]" * 50) == {"x": expected}


def test_very_deep_nesting_does_not_crash_the_process(tmp_path: Path) -> None:
    """libyaml's C composer overflows the stack on ~30,000 levels; that is a SIGSEGV.

    Doctor runs in a child process so that a crash shows as a signal, not as a dead test
    run. What counts is our behaviour: the run ends normally with a YT105 error at the
    path and line of the deep value (which part of the YAML stack notices first, and in
    what words, depends on the PyYAML release).
    """
    store = tmp_path / ".yoi" / "tickets"
    deep = {
        "00001KSKBPDVG": ("x: " + "[" * 100_000 + "]" * 100_000, 3),
        "00001KSKBPVH0": ("x:\n" + "- " * 100_000 + "a", 4),
    }
    for ticket_id, (yaml_text, _) in deep.items():
        folder = store / ticket_id
        (folder / "artifacts").mkdir(parents=True)
        (folder / "thread.md").write_text("", encoding="utf-8")
        (folder / "item.md").write_text(f"---\ntitle: deep\n{yaml_text}\n---\n", encoding="utf-8")
    doctor = [sys.executable, "-m", "yoi_ticket", "doctor", "-C", str(tmp_path), "--no-local"]
    done = subprocess.run(
        [*doctor, "--select", "YT105", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    found = {
        (d["code"], d["severity"], d["path"], d["line"])
        for d in json.loads(done.stdout)["diagnostics"]
    }
    assert found == {
        ("YT105", "error", f".yoi/tickets/{ticket_id}/item.md", line)
        for ticket_id, (_, line) in deep.items()
    }


def test_empty_frontmatter_and_duplicate_keys() -> None:
    item, error = parse_item("---\n---\nbody\n")
    assert error is None
    assert item.fields == {}
    assert item.body == "body\n"
    assert item.body_line == 3
    item, error = parse_item("---\nid: a\ntitle: x\nid: b\n---\n")
    assert error is None
    assert item.fields == {"id": "b", "title": "x"}  # the last value wins
    assert item.field_lines["id"] == 4  # the line of the value that counts


def test_yes_no_and_numbers_keep_their_yaml_types() -> None:
    item, error = parse_item("---\nflag: true\nn: 3\nf: 1.5\nversion: '1.0'\n---\n")
    assert error is None
    assert item.fields == {"flag": True, "n": 3, "f": 1.5, "version": "1.0"}


def test_closing_line_with_trailing_spaces_and_frontmatter_only() -> None:
    assert split_frontmatter("---  \ntitle: x\n---\t\n") == (["title: x"], 3)
    item, error = parse_item("---\ntitle: x\n---")
    assert error is None
    assert item.fields == {"title": "x"}
    assert item.body == ""


def test_v1_era_invalid_yaml_is_read_line_by_line_as_upstream_read_it() -> None:
    text = "---\nid: x\ntitle: Pod/TUI: 手動 rewind 導線\nkind:task\n  \nlabels: [a]\n---\nbody\n"
    item, notes = read_item(text, legacy=True)
    assert item.frontmatter_ok
    assert item.fields == {
        "id": "x",
        "title": "Pod/TUI: 手動 rewind 導線",
        "kind": "task",
        "labels": "[a]",
    }
    assert item.field_lines == {"id": 2, "title": 3, "kind": 4, "labels": 6}
    assert (item.body, item.body_line) == ("body\n", 8)
    assert [(note.kind, note.line) for note in notes] == [("legacy-frontmatter", 3)]
    # Without the v1 era, the same text is a YAML error.
    _, error = parse_item(text)
    assert error is not None and error.line == 3


def test_notes_for_what_upstream_will_not_read() -> None:
    item, notes = read_item("--- \ntitle: x\n1: y\n---\t\nbody\n", bom=True)
    assert item.fields == {"title": "x", "1": "y"}
    assert [(note.kind, note.line) for note in notes] == [
        ("upstream-item", 1),  # the BOM
        ("upstream-item", 1),  # '--- '
        ("upstream-item", 4),  # '---\t'
        ("field-type", 3),
    ]
    assert parse_item("--- \ntitle: x\n---\n")[1] is None  # not errors of our reader
