"""The typosquat score: each kind of evidence moves it the way the field's detectors weigh it,
and the recall on real typosquat names from public reports (names only, nothing fetched)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.model import Severity
from auditor.policy.typosquat_score import score
from tests.conftest import DATA
from tests.policy.helpers import TODAY, claim, component, judge, origin, rules_on, scan, upload

DOCUMENTED = yaml.safe_load((DATA / "typosquat" / "documented.yaml").read_text())


def _rule(purl: str, *origins: object, peers: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """(the typosquat rule that fires on `purl`, its message)."""
    parts = [component(purl), *(component(p) for p in peers)]
    judged = judge(scan(parts, list(origins)))  # type: ignore[arg-type]
    hits = [f for f in judged.findings if f.purl == purl and "typosquat" in f.rule]
    return (hits[0].rule, hits[0].message) if hits else (None, "")


def test_a_fresh_slip_of_a_top_name_is_a_typosquat() -> None:
    purl = "pkg:pypi/reqeusts@2.32.3"
    rule, message = _rule(purl, origin(purl, evidence=(upload("2026-11-25T10:00:00Z"),)))
    assert rule == "package.typosquat"
    assert "swaps letters of requests" in message and "released 3 days ago" in message


@pytest.mark.parametrize(
    ("evidence", "reason"),
    [
        ({"evidence": (upload("2016-05-01T10:00:00Z"),)}, "first seen 10 years ago"),
        ({"organisation": claim("Example Corp")}, "published by the organisation Example Corp"),
    ],
)
def test_its_own_evidence_clears_an_established_near_miss(
    evidence: dict[str, object], reason: str
) -> None:
    purl = "pkg:pypi/numpyy@2.0"
    assert _rule(purl)[0] == "package.typosquat"  # the name alone
    rule, message = _rule(purl, origin(purl, **evidence))
    assert rule in (None, "package.typosquat-weak")
    if rule is not None:
        assert reason in message


def test_a_publisher_shared_with_the_popular_name_in_the_same_scan() -> None:
    mine, theirs = "pkg:npm/loadsh@4.17.21", "pkg:npm/lodash@4.17.21"
    owner = claim("jdalton")
    alone = _rule(mine, origin(mine, publisher=owner))
    shared = _rule(mine, origin(mine, publisher=owner), origin(theirs, publisher=owner),
                   peers=(theirs,))  # fmt: skip
    assert alone[0] == "package.typosquat"
    assert shared[0] is None  # its score falls below the weak threshold too


def test_established_names_and_known_pairs_are_quiet() -> None:
    for purl in ("pkg:npm/preact@10.28.1", "pkg:npm/nuxt@3.0.0", "pkg:pypi/zai-sdk@0.1.0"):
        assert _rule(purl)[0] is None, purl
    found = score("npm", "preact", None, TODAY)
    assert found is not None and found.score == 0
    assert any("established" in r for r in found.reasons)


def test_an_npm_scope_is_a_namespace_its_owner_holds() -> None:
    bare = score("npm", "loadsh", None, TODAY)
    scoped = score("npm", "@acme/loadsh", None, TODAY)
    assert bare is not None and (scoped is None or scoped.score < bare.score)


def test_the_threshold_is_the_policys(tmp_path: Path) -> None:
    from tests.policy.helpers import policy_from

    purl = "pkg:pypi/numpyy@2.0"
    strict = policy_from(tmp_path, "typosquat_min_score = 90\n")
    judged = judge(scan([component(purl)]), strict)
    assert rules_on(judged, purl) >= {"package.typosquat-weak"}
    weak = next(f for f in judged.findings if f.rule == "package.typosquat-weak")
    assert weak.severity is Severity.LOW and "score 75 of 100" in weak.message


def test_recall_on_documented_typosquats() -> None:
    """Names only, as a scan without registry answers sees them. Typos (a slip of the target's
    name) are the rule's job; combosquats (a decoration added) are counted apart, and
    brandjacks (another word: `bzip` for bz2file) no name check can see."""
    found: Counter[tuple[str, bool]] = Counter()
    for entry in DOCUMENTED["names"]:
        hit = score(entry["ecosystem"], entry["name"], None, TODAY)
        reported = hit is not None and hit.score >= 25
        found[(entry["kind"], reported)] += 1
    typos = found[("typo", True)] / (found[("typo", True)] + found[("typo", False)])
    combos = found[("combosquat", True)] / (
        found[("combosquat", True)] + found[("combosquat", False)]
    )
    assert typos >= 0.8, found
    assert combos >= 0.7, found


@given(st.text("abcde-_.", max_size=9), st.text("abcde-_.", max_size=9))
@settings(max_examples=500)
def test_the_candidate_check_is_rapidfuzz_osa(a: str, b: str) -> None:
    """The few index candidates are checked without rapidfuzz: the same distance."""
    from rapidfuzz.distance import OSA

    from auditor.policy.typosquat import osa_distance

    assert osa_distance(a, b) == OSA.distance(a, b)


def test_near_misses_found_through_the_index_are_the_ones_a_full_comparison_finds() -> None:
    """Every popular name one edit away from a real near miss, found by the deletion index
    and checked by `osa_distance`, is the most popular one rapidfuzz finds among all names."""
    from rapidfuzz.distance import OSA

    from auditor.policy.typosquat import near_miss, ranked

    names = ranked("pypi")
    probes = [n[:2] + n[3:] for n in names[:300]] + [n[1] + n[0] + n[2:] for n in names[:300]]
    probes += [n + "s" for n in names[:300]] + [n.replace("e", "a", 1) for n in names[:300]]
    for probe in probes:
        found = near_miss("pypi", probe)
        if probe in names or len(probe) < 4:
            assert found is None
            continue
        expected = next((n for n in names if OSA.distance(probe, n) <= 1), None)
        assert found == expected, probe
