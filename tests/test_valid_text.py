"""The fast checks for text no output can hold agree with the character class they replace."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from auditor.purls import _visible
from auditor.valid_text import _invalid

_REFERENCE = re.compile("[\x00\ud800-\udfff]")
_TEXT = st.text(
    alphabet=st.sampled_from(["a", "\x00", "\ud800", "\udcff", "é", "-", "\n"]) | st.characters(),
    max_size=60,
)


@given(_TEXT)
def test_invalid_agrees_with_the_character_class(text: str) -> None:
    assert _invalid(text) == (_REFERENCE.search(text) is not None)


@given(_TEXT)
def test_visible_escapes_only_lone_surrogates(text: str) -> None:
    expected = re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)
    assert _visible(text) == expected
