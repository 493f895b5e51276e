"""The JSON writer gives byte for byte what ``json.dumps(indent=2, ensure_ascii=False,
default=str)`` gives, whole or streamed an entry at a time."""

from __future__ import annotations

import json
import math
from enum import Enum
from pathlib import PurePosixPath
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yoi_ticket.files import jsontext


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # lone surrogates too: file names that are not UTF-8
)
KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(KEYS, inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_encode_lays_out_values_as_json_dumps_with_indent_2(value: Any) -> None:
    assert jsontext.encode(value) == dumps(value)


class Colour(str, Enum):
    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": []},
        {"a": {}},
        [[], {}],
        Colour.RED,  # a str enum is written as its string
        {"path": PurePosixPath("a/b")},  # default=str
        {3: "three", 2.5: "x", True: "t", None: "n"},
        [math.nan, math.inf, -math.inf, -0.0, 1e300],
        'quote " backslash \\ newline \n tab \t nul \x00 日本 \u2028',
    ],
)
def test_encode_edge_values(value: Any) -> None:
    assert jsontext.encode(value) == dumps(value)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.text(), VALUES, max_size=3),
    st.lists(VALUES, max_size=40),
    st.dictionaries(st.text(), VALUES, max_size=2),
)
def test_a_streamed_document_is_the_document_dumped_whole(
    head: dict[str, Any], entries: list[Any], tail: dict[str, Any]
) -> None:
    key = "entries"
    head.pop(key, None)
    tail = {k: v for k, v in tail.items() if k not in head and k != key}
    written: list[str] = []
    jsontext.write_document(written.append, head, key, iter(entries), lambda: tail, batch=7)
    assert "".join(written) == dumps({**head, key: entries, **tail})
    assert len(written) == 1 + len(entries) // 7  # written in batches


def test_a_key_json_cannot_write_is_refused_like_json_does() -> None:
    with pytest.raises(TypeError):
        json.dumps({(1, 2): 1})
    with pytest.raises(TypeError):
        jsontext.encode({(1, 2): 1})
