"""Waivers around their expiry date, with a fixed clock."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from auditor.model import Action
from auditor.policy.builtin import finding
from auditor.policy.gate import failing
from auditor.policy.yamlnodes import PolicyError
from tests.policy.helpers import component, judge, policy_from, scan

LIB = "pkg:pypi/reqeusts@2.32.3"
WAIVER = """
[[waivers]]
rule = "package.typosquat"
purl = "pkg:pypi/reqeusts@*"
reason = "internal fork, name kept for compatibility"
approver = "security@example.test"
expires = 2026-12-31
"""


@pytest.mark.parametrize(
    ("today", "waived"),
    [(date(2026, 12, 30), True), (date(2026, 12, 31), True), (date(2027, 1, 1), False)],
)
def test_waiver_applies_until_its_expiry_day(tmp_path: Path, today: date, waived: bool) -> None:
    policy = policy_from(tmp_path, WAIVER)
    result = judge(scan([component(LIB)]), policy, today=today)
    (squat,) = [f for f in result.findings if f.rule == "package.typosquat"]
    assert squat.waived is waived
    expired = [f for f in result.findings if f.rule == "policy.waiver-expired"]
    if waived:
        assert "internal fork" in (squat.waiver or "") and "security@example.test" in (
            squat.waiver or ""
        )
        assert not expired
    else:
        (note,) = expired
        assert "2026-12-31" in note.message and "package.typosquat" in note.message
        assert note.purl == "pkg:pypi/reqeusts@*"


def test_waived_findings_stay_visible_and_do_not_gate(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, WAIVER + '[action]\n"package.typosquat" = "block"\n')
    live = judge(scan([component(LIB)]), policy, today=date(2026, 12, 1))
    assert any(f.rule == "package.typosquat" and f.waived for f in live.findings)
    assert not failing(live, None)
    late = judge(scan([component(LIB)]), policy, today=date(2027, 1, 2))
    assert [f.rule for f in failing(late, None)] == ["package.typosquat"]


def test_waiver_matches_rule_and_purl(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, WAIVER)
    other = "pkg:pypi/numpyy@2.0"
    yanked = finding("pypi.yanked", LIB, "yanked")
    result = judge(
        scan([component(LIB), component(other)], findings=[yanked]), policy, today=date(2026, 12, 1)
    )
    by = {(f.rule, f.purl): f for f in result.findings}
    assert by[("package.typosquat", LIB)].waived
    assert not by[("package.typosquat", other)].waived
    assert not by[("pypi.yanked", LIB)].waived
    assert by[("pypi.yanked", LIB)].action is Action.WARN


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[waivers]]\nrule = "x.y"\npurl = "p"\nreason = "r"\napprover = "a"\n',
            "missing expires",
        ),
        (
            '[[waivers]]\nrule = "x.y"\npurl = "p"\nreason = "r"\napprover = "a"\nexpires = "soon"\n',  # noqa: E501
            "not a YYYY-MM-DD",
        ),
        (
            '[[waivers]]\nrule = "x.y"\npurl = "p"\nreason = ""\napprover = "a"\nexpires = 2026-01-01\n',  # noqa: E501
            "reason",
        ),
        (
            '[[waivers]]\nrule = "x.y"\npurl = "p"\nreason = "r"\napprover = "a"\nexpires = 2026-01-01\nwho = 1\n',  # noqa: E501
            "unknown who",
        ),
    ],
)
def test_malformed_waivers_name_file_and_waiver(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        policy_from(tmp_path, body)
    assert "auditor.toml" in caught.value.message and "waivers[1]" in caught.value.message
    assert message in caught.value.message
