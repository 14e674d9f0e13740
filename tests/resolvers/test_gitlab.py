"""GitLab namespaces (groups and users) against a loopback API in the v4 shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.http import Http
from auditor.model import Claim, Component, ComponentKind, Origin, OriginStatus, Strength
from auditor.resolvers.gitlab import GitLabResolver
from auditor.resolvers.source_hosts import Host, enrich
from tests.resolvers.test_npm import FAST
from tests.servers.jsonapi import JsonApiState, load, serve
from tests.servers.pypi import Fault

ROUTES = {
    "/projects/example-group/widget": "gitlab/projects/example-group/widget.json",
    "/projects/jdoe/widget": "gitlab/projects/jdoe/widget.json",
    "/groups/71": "gitlab/groups/71.json",
    "/users?username=jdoe": "gitlab/users-by-name/jdoe.json",
    "/users/9001": "gitlab/users/9001.json",
}


@pytest.fixture
def gitlab() -> Iterator[tuple[JsonApiState, str]]:
    state = JsonApiState(routes={route: load(rel) for route, rel in ROUTES.items()})
    yield from ((state, url) for url in serve(state))


def _origin(repository: str) -> Origin:
    return Origin("pkg:npm/widget@1.0.0", OriginStatus.RESOLVED,
                  repository=Claim(repository, Strength.DECLARED))  # fmt: skip


def _hosts(base: str | None) -> tuple[Host, ...]:
    resolver = GitLabResolver(Http({"gitlab": base}, settings=FAST)) if base else None
    return (Host("gitlab.com", resolver, "CI_API_V4_URL"),)


def test_group_namespace(gitlab: tuple[JsonApiState, str]) -> None:
    state, base = gitlab
    found = enrich(_origin("https://gitlab.com/example-group/widget"), _hosts(base))
    facts = {(e.field, e.value, e.strength) for e in found.evidence}
    assert ("namespace.kind", "group", Strength.REGISTRY) in facts
    assert ("group.full_name", "Example Group", Strength.DECLARED) in facts
    assert ("archived", "false", Strength.REGISTRY) in facts
    assert state.paths() == ["/projects/example-group%2Fwidget", "/groups/71"]


def test_user_namespace_fork_and_location(gitlab: tuple[JsonApiState, str]) -> None:
    resolver = GitLabResolver(Http({"gitlab": gitlab[1]}, settings=FAST))
    component = Component("pkg:gitlab/jdoe/widget", ComponentKind.APPLICATION, "widget", None)
    origin = resolver.resolve(component).origin
    assert origin.publisher == Claim("jdoe", Strength.REGISTRY)
    facts = {(e.field, e.value, e.strength) for e in origin.evidence}
    assert ("forked_from_project", "example-group/widget", Strength.REGISTRY) in facts
    assert ("profile.organization", "Example Co", Strength.DECLARED) in facts
    assert ("profile.location", "Shenzhen, China", Strength.INFERRED) in facts
    assert ("profile.location.country", "CN", Strength.INFERRED) in facts


def test_not_configured_private_and_failing(gitlab: tuple[JsonApiState, str]) -> None:
    state, base = gitlab
    skipped = enrich(_origin("https://gitlab.com/example-group/widget"), _hosts(None))
    assert [(e.field, e.value) for e in skipped.evidence] == [
        ("lookup", "skipped: CI_API_V4_URL is not set")
    ]
    private = enrich(_origin("https://gitlab.com/secret/thing"), _hosts(base))
    assert [e.value for e in private.evidence] == [
        "unknown: secret/thing is not a public GitLab project"
    ]
    state.faults["/groups/"] = Fault("502")
    failing = enrich(_origin("https://gitlab.com/example-group/widget"), _hosts(base))
    assert failing.status is OriginStatus.RESOLVED
    assert [e.value for e in failing.evidence] == ["unreachable: HTTP 502 after 3 attempt(s)"]


def test_scan_uses_ci_api_url(
    gitlab: tuple[JsonApiState, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.config import Config
    from auditor.pipeline import run_scan
    from tests.conftest import write_files
    from tests.resolvers.test_npm import lockfile, npm_routes

    routes = npm_routes()
    doc = routes["/abbrev"]
    assert isinstance(doc, dict)
    doc["versions"]["1.1.1"]["repository"] = {
        "type": "git",
        "url": "git+https://gitlab.com/jdoe/widget.git",
    }
    npm = JsonApiState(routes=routes)
    monkeypatch.setenv("CI_API_V4_URL", gitlab[1])
    for base in serve(npm):
        write_files(tmp_path, {"package-lock.json": lockfile({"abbrev": ("1.1.1", "")})})
        scan = run_scan([str(tmp_path / "package-lock.json")],
                        Config(npm_registry=base, http=FAST, store=False))  # fmt: skip
        [origin] = scan.origins
        assert ("gitlab", "profile.location.country", "CN") in {
            (e.source, e.field, e.value) for e in origin.evidence
        }
