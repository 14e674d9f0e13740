"""URL hygiene: credentials never survive, repositories compare equal however written."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.urls import (
    _HINT_WORDS,
    REDACTED,
    _digest,
    _hinted,
    normalise_repository,
    prefix_tree,
    redact,
    redact_text,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:tok3n@files.example.invalid/x.whl", "https://files.example.invalid/x.whl"),
        ("https://__token__@example.invalid/simple", "https://example.invalid/simple"),
        ("git+ssh://git@github.com/o/r.git", "git+ssh://git@github.com/o/r.git"),
        ("https://example.invalid/a@b", "https://example.invalid/a@b"),
        ("file:///tmp/x", "file:///tmp/x"),
    ],
)
def test_redact(url: str, expected: str) -> None:
    assert redact(url) == expected


@given(
    secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=30),
    user=st.sampled_from(["user", "__token__", "oauth2", "ci"]),
)
def test_redact_never_keeps_a_password(secret: str, user: str) -> None:
    assert secret not in redact(f"https://{user}:{secret}@host.invalid/path/pkg-1.0.tar.gz")


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/Psf/Requests",
        "https://github.com/psf/requests.git",
        "git+https://github.com/psf/requests@v2.32.3#egg=requests",
        "git@github.com:psf/requests.git",
        "https://www.github.com/psf/requests/tree/main/src",
        "https://token@github.com/psf/requests",
    ],
)
def test_normalise_repository_forms_agree(url: str) -> None:
    assert normalise_repository(url) == "https://github.com/psf/requests"


@pytest.mark.parametrize(
    "url",
    ["https://example.invalid/psf/requests", "https://github.com/psf", "not a url", "http://[::1"],
)
def test_normalise_repository_rejects_non_repositories(url: str) -> None:
    assert normalise_repository(url) is None


_WORDS = st.text(alphabet="abc-_.", max_size=4)


@given(words=st.lists(_WORDS, min_size=1, max_size=8), text=st.text(alphabet="abc-_.xy"))
def test_prefix_tree_matches_exactly_where_a_word_occurs(words: list[str], text: str) -> None:
    pattern = re.compile(prefix_tree(tuple(words)))
    assert (pattern.search(text) is not None) == any(w in text for w in words)


@given(text=st.text() | st.sampled_from(["GHP_x", "a Bearer b", "x-API-Key", "ok", "p@ss://"]))
def test_secret_hint_is_the_hint_words_in_any_case(text: str) -> None:
    low = text.lower()
    expected = any(w in low for w in _HINT_WORDS) or ("://" in text and "@" in text)
    assert _hinted(text) == expected


_ALGORITHMS = st.sampled_from(["", "sha256:", "sha512:", "md5:", "blake2b:"])


@given(head=_ALGORITHMS | st.text(max_size=12).map(lambda t: t + ":"), digits=st.text())
def test_digest_shortcut_only_skips_what_holds_no_hint(head: str, digits: str) -> None:
    # The shortcut is sound: whatever it lets through unchanged, the full check would too.
    text = head + digits
    if _digest(text):
        assert not _hinted(text)
        assert redact_text(text) == text


@given(head=_ALGORITHMS, digits=st.text(alphabet="0123456789abcdef", min_size=1))
def test_hex_digests_take_the_shortcut(head: str, digits: str) -> None:
    assert _digest(head + digits)


def test_a_secret_named_like_an_algorithm_is_still_redacted() -> None:
    assert not _digest("token:0123456789abcdef0123")
    assert redact_text("token:0123456789abcdef0123") == f"token:{REDACTED}"
    assert not _digest("SHA256:ABCDEF")  # not lower-case hex: the full check decides
