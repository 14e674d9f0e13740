"""`auditor.bounded.json_depth` against a plain character-by-character reading of JSON.

The fast version drops escape pairs and works on the quotes and brackets alone; on any JSON
document (strings full of quotes, backslashes and brackets) it must give the depth a reader
that walks every character finds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.bounded import MAX_DEPTH, TooDeep, check_depth, json_depth, load_json


def _walked_depth(text: str) -> int:
    """The deepest `[`/`{` outside strings, reading one character at a time."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


_TEXT = st.text(alphabet='ab[]{}"\\\n/é', max_size=12)
_DOCS: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | _TEXT,  # past 64 bits: floats (load_json)
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=40,
)


@given(doc=_DOCS, indent=st.sampled_from([None, 2]), ascii_only=st.booleans())
def test_depth_is_the_walked_depth_of_any_document(
    doc: Any, indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    if text.count("[") + text.count("{") <= 1:  # not looked at: the count is the bound
        assert json_depth(text) >= _walked_depth(text)
        return
    assert json_depth(text) == _walked_depth(text)
    assert json_depth(text.encode()) == _walked_depth(text)


@given(depth=st.integers(0, 3 * MAX_DEPTH), noise=_TEXT)
def test_check_depth_refuses_exactly_past_the_limit(depth: int, noise: str) -> None:
    text = "[" * depth + json.dumps(noise) + "]" * depth
    if depth > MAX_DEPTH:
        try:
            check_depth(text)
        except TooDeep:
            return
        raise AssertionError(f"depth {depth} passed")
    check_depth(text)


_TOKENS = st.sampled_from(
    ["{", "}", "[", "]", ",", ":", '"a"', '"\\u00e9"', '"\\ud800"', "1", "-0", "1.5e3", "1e999",
     "true", "null", "NaN", " ", "\n", '"x', "\\", "0.30000000000000004", "-"]
)  # fmt: skip


@given(doc=_DOCS | st.floats(allow_nan=False) | st.integers(-(2**63), 2**64 - 1))
def test_load_json_gives_the_standard_librarys_values(doc: Any) -> None:
    text = json.dumps(doc)
    assert load_json(text) == json.loads(text)
    assert load_json(text.encode()) == json.loads(text)


@given(text=st.lists(_TOKENS, max_size=12).map("".join))
def test_load_json_accepts_and_refuses_what_the_standard_library_does(text: str) -> None:
    try:
        expected: Any = json.loads(text)
    except ValueError as exc:
        expected = exc
    if isinstance(expected, ValueError) or json_depth(text) > MAX_DEPTH:
        with pytest.raises(ValueError) as raised:
            load_json(text)
        assert isinstance(expected, ValueError) and str(raised.value) == str(expected)
    else:
        assert json.dumps(load_json(text)) == json.dumps(expected)  # NaN compares unequal
