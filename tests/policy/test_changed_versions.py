"""`origin.changed` compares a component with the same purl in the previous scan; only a
package held at one version in both scans is compared across versions (an upgrade)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import DATA, Ran
from tests.policy.helpers import claim, component, judge, origin, rules_on, scan
from tests.servers.jsonapi import JsonApiState, load, serve

Auditor = Callable[..., Ran]
LOCK = DATA / "js" / "npm" / "duplicates"


@pytest.fixture
def npm() -> Iterator[str]:
    routes = {f"/{n}": load(f"npm/{n}.json") for n in ("debug", "ms", "follow-redirects")}
    yield from serve(JsonApiState(routes=routes))


def test_rescan_of_a_lockfile_holding_two_versions_reports_no_change(
    auditor: Auditor, npm: str, tmp_path: Path
) -> None:
    """A real npm lockfile (made by npm) holds debug 4.4.0 and 3.1.0, whose registry
    documents name different repositories (debug moved to the debug-js organisation)."""
    app = tmp_path / "app"
    shutil.copytree(LOCK, app)
    runs = [auditor("scan", app, "-f", "json", "--npm-registry", npm) for _ in range(2)]
    docs = [json.loads(r.stdout) for r in runs]
    repos = {
        c["purl"]: c["origin"]["repository"]["value"]
        for c in docs[1]["components"]
        if c["name"] == "debug"
    }
    assert len(set(repos.values())) == 2, repos  # the two versions really differ
    assert [f for d in docs for f in d["findings"] if f["rule"] == "origin.changed"] == []


def test_upgrade_of_a_single_version_is_still_compared() -> None:
    before = scan(
        [component("pkg:npm/debug@3.1.0")],
        [origin("pkg:npm/debug@3.1.0", repository=claim("a/debug"))],
    )
    after = scan(
        [component("pkg:npm/debug@4.4.0")],
        [origin("pkg:npm/debug@4.4.0", repository=claim("b/debug"))],
    )
    assert "origin.changed" in rules_on(judge(after, previous=before), "pkg:npm/debug@4.4.0")


def test_versions_are_not_compared_across_when_either_scan_holds_two() -> None:
    old = ("pkg:npm/debug@3.1.0", "pkg:npm/debug@4.4.0")
    before = scan(
        [component(p) for p in old],
        [origin(old[0], repository=claim("a/debug")), origin(old[1], repository=claim("b/debug"))],
    )
    new = "pkg:npm/debug@4.4.1"
    after = scan([component(new)], [origin(new, repository=claim("a/debug"))])
    # 4.4.1 replaced two versions: which one it "was" is unknowable, so nothing is claimed
    assert "origin.changed" not in rules_on(judge(after, previous=before), new)
    # the same purl is always compared, whatever else the scans hold
    same = scan(
        [component(p) for p in old],
        [origin(old[0], repository=claim("c/debug")), origin(old[1], repository=claim("b/debug"))],
    )
    judged = judge(same, previous=before)
    assert "origin.changed" in rules_on(judged, old[0])
    assert "origin.changed" not in rules_on(judged, old[1])
