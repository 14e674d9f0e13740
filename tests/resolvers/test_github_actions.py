"""GitHub Actions: a tag's commit from a loopback GitHub API, and a moved tag between scans."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.config import Config
from auditor.http import Http
from auditor.model import Component, ComponentKind, OriginStatus
from auditor.pipeline import run_scan
from auditor.resolvers.github_actions import GitHubActionsResolver
from tests.conftest import write_files
from tests.policy.helpers import judge, rules_on
from tests.resolvers.test_npm import FAST
from tests.servers.jsonapi import JsonApiState, load, serve

BEFORE = load("github/commits/actions-checkout-v4-before.json")
AFTER = load("github/commits/actions-checkout-v4-after.json")
ROUTE = "/repos/actions/checkout/commits/v4"
CHECKOUT = "pkg:githubactions/actions/checkout@v4"
WORKFLOW = """\
on: push
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b
"""


@pytest.fixture
def github() -> Iterator[tuple[JsonApiState, str]]:
    state = JsonApiState(routes={ROUTE: BEFORE})
    yield from ((state, url) for url in serve(state))


def _action(purl: str) -> Component:
    return Component(purl, ComponentKind.APPLICATION, purl, purl.rpartition("@")[2])


def test_a_tag_resolves_to_its_commit(github: tuple[JsonApiState, str]) -> None:
    state, base = github
    resolver = GitHubActionsResolver(Http({"github": base}, settings=FAST))
    origin = resolver.resolve(_action(CHECKOUT)).origin
    assert origin.status is OriginStatus.RESOLVED
    assert [e.value for e in origin.evidence if e.field == "ref.commit"] == [BEFORE["sha"]]
    # a commit needs no request; a missing ref is unknown
    pinned = "pkg:githubactions/actions/checkout@" + "a" * 40
    assert resolver.resolve(_action(pinned)).origin.status is OriginStatus.RESOLVED
    missing = resolver.resolve(_action("pkg:githubactions/actions/checkout@v99")).origin
    assert missing.status is OriginStatus.UNKNOWN
    assert state.paths() == [ROUTE, "/repos/actions/checkout/commits/v99"]


def test_without_an_api_url_nothing_is_asked() -> None:
    origin = GitHubActionsResolver(Http({}, settings=FAST)).resolve(_action(CHECKOUT)).origin
    assert origin.status is OriginStatus.SKIPPED and "GITHUB_API_URL" in (origin.reason or "")


def test_a_moved_tag_between_two_scans(
    github: tuple[JsonApiState, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, base = github
    monkeypatch.setenv("GITHUB_API_URL", base)
    write_files(tmp_path / "app", {".github/workflows/ci.yml": WORKFLOW})
    config = replace(Config(store=False), http=FAST, concurrency=2)
    before = run_scan([str(tmp_path / "app")], config)
    same = run_scan([str(tmp_path / "app")], config)
    assert "action.tag-moved" not in rules_on(judge(same, previous=before), CHECKOUT)
    state.routes[ROUTE] = AFTER  # the release moved the tag
    after = run_scan([str(tmp_path / "app")], config)
    [moved] = [f for f in judge(after, previous=before).findings if f.rule == "action.tag-moved"]
    assert moved.purl == CHECKOUT and moved.severity.value == "high"
    assert f"{BEFORE['sha']} -> {AFTER['sha']}" in moved.message
