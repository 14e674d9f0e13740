"""Source hosts: GitHub owners and profiles against a loopback API; Gitee/GitCode hosting;
the free-text location list."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.http import HostBreaker, Http, HttpSettings
from auditor.model import Claim, Component, ComponentKind, Origin, OriginStatus, Strength
from auditor.resolvers.github import GitHubResolver
from auditor.resolvers.source_hosts import Host, enrich, hosting_evidence, location_country
from auditor.store import open_store
from tests.resolvers.test_npm import ALL, FAST, npm_routes, scan
from tests.servers.jsonapi import JsonApiState, load, serve
from tests.servers.pypi import Fault

GITHUB_DOCS = {
    f"/{kind}/{path.removesuffix('.json')}": f"github/{kind}/{path}"
    for kind, path in (
        ("repos", "sigstore/sigstore-js.json"),
        ("repos", "isaacs/abbrev-js.json"),
        ("repos", "sigstore/protobuf-specs.json"),
        ("repos", "octo-fork/protobuf-specs.json"),
        ("users", "sigstore.json"),
        ("users", "isaacs.json"),
        ("users", "octo-fork.json"),
    )
}


@pytest.fixture
def github() -> Iterator[tuple[JsonApiState, str]]:
    state = JsonApiState(routes={route: load(rel) for route, rel in GITHUB_DOCS.items()})
    yield from ((state, url) for url in serve(state))


@pytest.fixture
def npm() -> Iterator[tuple[JsonApiState, str]]:
    state = JsonApiState(routes=npm_routes())
    yield from ((state, url) for url in serve(state))


def _repo(purl: str) -> Component:
    return Component(purl, ComponentKind.APPLICATION, purl.rpartition("/")[2], None)


def test_owner_profile_fork_and_archived(github: tuple[JsonApiState, str]) -> None:
    state, base = github
    resolver = GitHubResolver(Http({"github": base}, settings=FAST))
    fork = resolver.resolve(_repo("pkg:github/octo-fork/protobuf-specs")).origin
    assert fork.publisher is not None and fork.publisher.value == "octo-fork"
    facts = {(e.field, e.value, e.strength) for e in fork.evidence}
    assert ("fork", "true", Strength.REGISTRY) in facts
    assert ("parent.full_name", "sigstore/protobuf-specs", Strength.REGISTRY) in facts
    assert ("profile.company", "Example Co", Strength.DECLARED) in facts
    # Free text is only ever inferred; it maps to a country here because both parts agree.
    assert ("profile.location", "Hangzhou, China", Strength.INFERRED) in facts
    assert ("profile.location.country", "CN", Strength.INFERRED) in facts
    archived = resolver.resolve(_repo("pkg:github/isaacs/abbrev-js")).origin
    facts = {(e.field, e.value) for e in archived.evidence}
    assert ("archived", "true") in facts and ("owner.type", "User") in facts
    assert ("profile.location", "Oakland CA") in facts
    assert not any(f == "profile.location.country" for f, _ in facts)  # "oakland" is unknown
    assert state.paths() == ["/repos/octo-fork/protobuf-specs", "/users/octo-fork",
                             "/repos/isaacs/abbrev-js", "/users/isaacs"]  # fmt: skip


def test_missing_repository_is_unknown(github: tuple[JsonApiState, str]) -> None:
    resolver = GitHubResolver(Http({"github": github[1]}, settings=FAST))
    origin = resolver.resolve(_repo("pkg:github/nobody/nothing")).origin
    assert origin.status is OriginStatus.UNKNOWN


def test_npm_scan_with_github_configured(
    npm: tuple[JsonApiState, str],
    github: tuple[JsonApiState, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub, hub_base = github
    monkeypatch.setenv("GITHUB_API_URL", hub_base)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_token_value")
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    result = scan(tmp_path, npm[1], {"abbrev": ALL["abbrev"], "sigstore": ALL["sigstore"]}, store)
    origins = result.origins_by_purl()
    abbrev = origins["pkg:npm/abbrev@1.1.1"]
    assert abbrev.status is OriginStatus.RESOLVED
    assert ("github", "archived", "true") in {(e.source, e.field, e.value) for e in abbrev.evidence}
    sigstore = origins["pkg:npm/sigstore@0.4.0"]
    assert ("profile.blog", "https://sigstore.dev") in {
        (e.field, e.value) for e in sigstore.evidence
    }
    # The token authenticates every GitHub request and is stored nowhere.
    assert {h.get("authorization") for _, h in hub.log} == {"Bearer ghp_secret_token_value"}
    assert "ghp_secret" not in json.dumps([list(e) for e in store.http_cache().entries()],
                                          default=str)  # fmt: skip
    assert "ghp_secret" not in repr(result)
    # Warm: every answer (registry and GitHub) comes from the cache, none is asked again.
    sent = len(hub.log), len(npm[0].log)
    again = scan(tmp_path, npm[1], {"abbrev": ALL["abbrev"], "sigstore": ALL["sigstore"]}, store)
    assert (len(hub.log), len(npm[0].log)) == sent
    assert again.origins == result.origins


def test_github_not_configured_is_skipped_evidence(
    npm: tuple[JsonApiState, str], tmp_path: Path
) -> None:
    [origin] = scan(tmp_path, npm[1], {"abbrev": ALL["abbrev"]}).origins
    [note] = [e for e in origin.evidence if e.source == "github"]
    assert (note.field, note.value) == ("lookup", "skipped: GITHUB_API_URL is not set")
    assert origin.status is OriginStatus.RESOLVED


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault("500"), "unreachable: HTTP 500 after 3 attempt(s)"),
        (Fault("malformed"), "unreachable: malformed JSON response after 3 attempt(s)"),
        (Fault("hang", seconds=3), "unreachable: timed out after 3 attempt(s)"),
        (Fault("403"), "unreachable: HTTP 403"),
        (Fault("429", retry_after="3600"), "unreachable: HTTP 429, Retry-After 3600 s"),
    ],
    ids=lambda v: getattr(v, "kind", None),
)
def test_github_trouble_is_recorded_without_failing_the_component(
    npm: tuple[JsonApiState, str],
    github: tuple[JsonApiState, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
    expected: str,
) -> None:
    hub, hub_base = github
    hub.faults["/repos/isaacs/"] = fault
    monkeypatch.setenv("GITHUB_API_URL", hub_base)
    result = scan(tmp_path, npm[1], {"abbrev": ALL["abbrev"]})
    [origin] = result.origins
    assert origin.status is OriginStatus.RESOLVED  # the registry answered
    [note] = [e for e in origin.evidence if e.source == "github"]
    assert (note.field, note.value) == ("lookup", expected)


def test_a_refusing_github_is_tried_once_and_reported_once(
    npm: tuple[JsonApiState, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listens on port 9: each lookup there is `unreachable` at once with the same
    reason, the scan reports the endpoint once, and no retry schedule is waited for."""
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")
    slow = HttpSettings(backoff=2.0, connect_timeout=1, read_timeout=0.5, attempts=4)
    started = time.monotonic()
    result = scan(tmp_path, npm[1], ALL, http=slow)
    took = time.monotonic() - started
    notes = {e.value for o in result.origins for e in o.evidence if e.source == "github"}
    reason = "github endpoint unreachable (connection refused); not tried again this scan"
    assert notes == {f"unreachable: {reason}"}
    assert [(d.location, d.message) for d in result.diagnostics] == [("github", reason)]
    assert all(o.status is OriginStatus.RESOLVED for o in result.origins)  # the registry answered
    assert took < 2.0  # one back-off of this schedule alone would be 1-3 s


def test_host_breaker_counts_consecutive_refusals_only() -> None:
    breaker = HostBreaker()
    assert breaker.failed("a:1", "refused", timed_out=False) is None
    breaker.answered("a:1")  # a reply in between: the count starts again
    assert breaker.failed("a:1", "refused", timed_out=False) is None
    assert breaker.failed("a:1", "refused again", timed_out=False) == "refused again"
    assert breaker.dead("a:1") == "refused again" and breaker.dead("b:1") is None
    assert breaker.failed("b:1", "connect timed out", timed_out=True) == "connect timed out"
    assert breaker.dead_hosts() == {"a:1": "refused again", "b:1": "connect timed out"}


def test_gitee_and_gitcode_are_hosted_in_cn() -> None:
    for url in ("https://gitee.com/mindspore/mindspore", "https://gitcode.com/openharmony/docs"):
        ev = hosting_evidence(url)
        assert ev is not None and (ev.field, ev.value, ev.strength) == (
            "hosted_in", "CN", Strength.INFERRED)  # fmt: skip
    assert hosting_evidence("https://github.com/a/b") is None
    assert hosting_evidence("https://gitee.com.evil.invalid/a/b") is None
    claim = Claim("https://gitee.com/a/b", Strength.DECLARED)
    origin = Origin("pkg:npm/x@1", OriginStatus.RESOLVED, repository=claim)
    enriched = enrich(origin, (Host("github.com", None, "GITHUB_API_URL"),))
    assert [(e.source, e.value) for e in enriched.evidence] == [("source-host", "CN")]


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Hangzhou, China", "CN"),
        ("北京", "CN"),
        ("San Francisco, CA", "US"),
        ("London, UK", "GB"),
        ("Berlin / Germany", "DE"),
        ("Remote", None),
        ("Oakland CA", None),  # unknown words: no guess
        ("Cambridge", None),
        ("Toronto, CA", None),  # "CA" is listed for California: two countries, none chosen
        ("Paris, Texas", None),
        ("China; USA", None),
        ("", None),
    ],
)
def test_location_country(text: str, country: str | None) -> None:
    assert location_country(text) == country


@given(st.text(max_size=60))
def test_location_country_never_guesses(text: str) -> None:
    found = location_country(text)
    assert found is None or (len(found) == 2 and found.isupper())
    # Adding a part nobody can place always removes the answer.
    assert location_country(text + ", Xyzzyville") is None


def test_http_headers_never_reach_cache_keys() -> None:
    http = Http({"github": "http://127.0.0.1:9"}, settings=HttpSettings(attempts=1),
                headers={"github": {"Authorization": "Bearer t0ken"}})  # fmt: skip
    with pytest.raises(Exception) as caught:
        http.get("github", "/users/x")
    assert "t0ken" not in str(caught.value)


def test_profile_location_gives_an_organisation_a_country_never_a_person(
    github: tuple[JsonApiState, str],
) -> None:
    from dataclasses import replace

    from auditor.attribution import attribute
    from auditor.resolvers.publishers import load as load_publishers

    _, base = github
    resolver = GitHubResolver(Http({"github": base}, settings=FAST))
    component = _repo("pkg:github/octo-fork/protobuf-specs")
    person = resolver.resolve(component).origin  # a User whose profile says Hangzhou, China
    assert attribute(component, person, load_publishers()).country is None
    as_org = replace(person, evidence=tuple(
        replace(e, value="Organization") if e.field == "profile.type" else e
        for e in person.evidence
    ))  # fmt: skip
    country = attribute(component, as_org, load_publishers()).country
    assert country is not None and (country.value, country.strength) == ("CN", Strength.INFERRED)
