"""Issue 25 on the real-world set: every finding the default rules raise on the real lockfiles
(tests/data/realworld/, against loopback registries replaying the recorded answers) is one a
person checked and listed in findings-expected.json with the reason it is true; no high or
critical finding is false."""

from __future__ import annotations

import json
import sys
from datetime import date

import pytest

from tests.conftest import DATA, REPO

EXPECTED = json.loads((DATA / "realworld" / "findings-expected.json").read_text())


@pytest.fixture(scope="module")
def findings() -> list[object]:
    sys.path.insert(0, str(REPO / "bench"))
    import realworld_bench

    result, _ = realworld_bench.scan(today=date.fromisoformat(EXPECTED["today"]))
    return list(result.findings)


def test_every_finding_was_checked_by_a_person(findings: list[object]) -> None:
    seen = {(f.rule, f.purl) for f in findings if f.rule not in EXPECTED["counted"]}  # type: ignore[attr-defined]
    listed = {(f["rule"], f["purl"]) for f in EXPECTED["findings"]}
    assert seen == listed, (sorted(seen - listed), sorted(listed - seen))
    assert all(f["reason"] and f["reason"] != "UNCHECKED" for f in EXPECTED["findings"])
    for rule, count in EXPECTED["counted"].items():
        assert sum(f.rule == rule for f in findings) == count, rule  # type: ignore[attr-defined]


def test_no_high_or_critical_finding_is_false(findings: list[object]) -> None:
    severe = [f for f in findings if f.severity.value in ("high", "critical")]  # type: ignore[attr-defined]
    truth = {(f["rule"], f["purl"]): f["true"] for f in EXPECTED["findings"]}
    assert all(truth.get((f.rule, f.purl)) is True for f in severe), severe  # type: ignore[attr-defined]
