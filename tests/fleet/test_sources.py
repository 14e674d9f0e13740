"""Configured sources: which lockfile URLs a fleet may fetch, on normalised URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import ConfigError
from auditor.fleet.sources import (
    SOURCES_ENV,
    BadURL,
    configured_sources,
    parse_location,
    plain_http,
)

GIT = "https://git.example.test/api/v1/repos/team-a"


def sources(*prefixes: str, env: str = "") -> object:
    return configured_sources(prefixes, {SOURCES_ENV: env} if env else {})


@pytest.mark.parametrize(
    "url",
    [
        f"{GIT}/api/raw/uv.lock",
        f"{GIT}/api/raw/uv.lock?ref=main",
        "https://GIT.example.test:443/api/v1/repos/team-a/api/raw/uv.lock",
        "https://ci:s3cret@git.example.test/api/v1/repos/team-a/x/uv.lock",  # stripped
        f"{GIT}/x/%75v.lock",  # an unreserved letter escaped: the same file
        f"{GIT}",
    ],
)
def test_allowed(url: str) -> None:
    allowed = configured_sources([GIT], {})
    assert allowed.problem(url) is None
    assert allowed.allows(parse_location(url))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://git.example.test/api/v1/repos/team-ab/uv.lock", "not under"),  # no segment
        ("https://git.example.test/api/v1/repos/team-a/../team-b/uv.lock", "'..' segment"),
        ("https://git.example.test/api/v1/repos/team-a/%2e%2E/team-b/uv.lock", "'..' segment"),
        ("https://git.example.test/api/v1/repos/team-a/x%2F..%2F..%2Fb/uv.lock", "encoded '/'"),
        ("https://git.example.test/api/v1/repos/team-a/x%5c/uv.lock", "encoded '/'"),
        ("https://git.example.test/api/v1/repos/team-a//uv.lock", "empty segment"),
        ("https://git.example.test/api/v1/repos/team-a/requirements%0A.txt", "control"),
        ("https://git.example.test/api/v1/repos/team-a/%00/uv.lock", "control"),
        ("https://git.example.test/api/v1/repos/team-a/./uv.lock", "'.' segment"),
        ("https://git.example.test\\@evil.example.test/uv.lock", "not under"),
        ("http://git.example.test/api/v1/repos/team-a/uv.lock", "not under"),  # plain HTTP
        ("https://git.example.test:8443/api/v1/repos/team-a/uv.lock", "not under"),
        ("https://evil.git.example.test/api/v1/repos/team-a/uv.lock", "not under"),
        ("https://git.example.test.evil.example/api/v1/repos/team-a/uv.lock", "not under"),
        ("https://git.example.test@evil.example.test/api/v1/repos/team-a/uv.lock", "not under"),
        (f"{GIT}/uv.lock?private_token=abc", "credential"),
        ("ftp://git.example.test/api/v1/repos/team-a/uv.lock", "scheme"),
        ("https://git.example.test:99999/uv.lock", "not a valid URL"),
        ("https://gït.example.test/api/v1/repos/team-a/uv.lock", "punycode"),
    ],
)
def test_refused(url: str, why: str) -> None:
    problem = configured_sources([GIT], {}).problem(url)
    assert problem is not None and why in problem
    assert "abc" not in problem


def test_nothing_configured_allows_nothing() -> None:
    problem = configured_sources([], {}).problem(f"{GIT}/uv.lock")
    assert problem is not None and SOURCES_ENV in problem


def test_flags_and_environment_add_up_normalised() -> None:
    found = configured_sources(
        ["https://user:pw@Git.Example.Test:443/raw/"],
        {SOURCES_ENV: "http://127.0.0.1:8080/files, http://mirror.example.test/raw"},
    )
    assert found.shown() == (
        "https://git.example.test/raw/",
        "http://127.0.0.1:8080/files",
        "http://mirror.example.test/raw",
    )
    assert plain_http(found) == ("http://mirror.example.test/raw",)  # warned about
    assert found.problem("http://127.0.0.1:8080/files/uv.lock") is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("git.example.test/raw", "scheme"),
        ("https://git.example.test/raw?ref=main", "drop the query"),
        ("https://git.example.test/a/../raw", "'..' segment"),
    ],
)
def test_a_bad_source_is_named(text: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as caught:
        configured_sources([text], {})
    assert "--allow-source" in caught.value.message


def test_the_normal_form() -> None:
    location = parse_location("HTTPS://ci:tok@Git.Example.Test:443/a/%7Eb/uv%2Elock?ref=main#L3")
    assert location.url == "https://git.example.test/a/~b/uv.lock?ref=main"
    assert location.had_credentials and location.file_name == "uv.lock"
    assert parse_location("http://[::1]:8080/x/uv.lock").url == "http://[::1]:8080/x/uv.lock"


segment = st.text(st.sampled_from("ab.%2fF5cC/\\e~-_:@?#"), max_size=8)


@settings(max_examples=500, deadline=None)
@given(st.lists(segment, max_size=6), st.sampled_from(["https", "http", "HTTPS", "ftp"]))
def test_an_allowed_url_is_textually_under_the_prefix(parts: list[str], scheme: str) -> None:
    """Whatever the path: either a clear refusal, or a URL whose normal form starts with
    the prefix at a segment boundary and has no dot segment a server could resolve."""
    url = f"{scheme}://git.example.test/api/v1/repos/team-a/" + "/".join(parts)
    allowed = configured_sources([GIT], {})
    try:
        location = parse_location(url)
    except BadURL:
        assert allowed.problem(url) is not None
        return
    if allowed.problem(url) is None:
        normal = location.url
        assert normal == GIT or normal.startswith(GIT + "/")
        path = urlsplit(normal).path
        assert all(s not in (".", "..") for s in path.split("/"))
        assert "%2F" not in path.upper() and "%5C" not in path.upper()
