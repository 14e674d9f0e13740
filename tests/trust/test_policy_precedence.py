"""A scanned repository's own configuration never loosens an explicit policy (issue 28).

With `--policy` (or AUDITOR_POLICY) the target's `auditor.toml` / `[tool.auditor]` may only
tighten: the property test throws arbitrary target files at an organisation policy and
checks that no rule ends up disabled, lower or waived that the policy alone would keep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.model import Action, Severity
from auditor.policy.builtin import builtin_rules
from auditor.policy.engine import Policy, load_policy
from auditor.policy.precedence import POLICY_ENV, settings_in_effect, tighten
from auditor.policy.settings import load_settings

ORG = """
review_countries = ["AQ"]
young_release_days = 7
typosquat_distance = 1
vulnerabilities = false
disable = ["package.editable"]
[severity]
"package.typosquat" = "critical"
"""
RULES = [b.id for b in builtin_rules()]
PATTERNS = st.sampled_from([*RULES, "*", "package.*", "weights.*", "no.such-rule"])
SEVERITY = st.sampled_from([s.value for s in Severity])
ACTION = st.sampled_from([a.value for a in Action])
WAIVER = st.fixed_dictionaries(
    {
        "rule": PATTERNS,
        "purl": st.sampled_from(["*", "pkg:pypi/*"]),
        "reason": st.just("ours"),
        "approver": st.just("the repo"),
        "expires": st.just("2099-01-01"),
    }
)
TABLES = st.fixed_dictionaries(
    {},
    optional={
        "disable": st.lists(PATTERNS, max_size=3),
        "severity": st.dictionaries(PATTERNS, SEVERITY, max_size=3),
        "action": st.dictionaries(PATTERNS, ACTION, max_size=3),
        "vetted_publishers": st.lists(st.sampled_from(["evil", "Acme"]), max_size=2),
        "vetted_models": st.lists(st.sampled_from(["*", "org/*"]), max_size=2),
        "review_countries": st.lists(st.sampled_from(["CN", "RU", "AQ"]), max_size=2),
        "young_release_days": st.integers(0, 30),
        "typosquat_distance": st.integers(0, 3),
        "vulnerabilities": st.booleans(),
        "waivers": st.lists(WAIVER, max_size=2),
        "packs": st.just(["default"]),
        "allow_target_waivers": st.booleans(),
    },
)


def _judged(policy: Policy) -> dict[str, tuple[int, int] | None]:
    order = list(Action)
    out: dict[str, tuple[int, int] | None] = {}
    for b in builtin_rules():
        stamped = policy.stamp(b.id, b.severity, b.action)
        out[b.id] = None if stamped is None else (stamped[0].rank, order.index(stamped[1]))
    for r in policy.rules:
        out[r.id] = (r.severity.rank, order.index(r.action))
    return out


def _org(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "org.toml"
    path.write_text(extra + ORG, encoding="utf-8")
    return path


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=TABLES, allow=st.booleans())
def test_a_target_file_only_tightens(tmp_path: Path, table: dict[str, Any], allow: bool) -> None:
    org = _org(tmp_path, "allow_target_waivers = true\n" if allow else "")
    alone = load_policy(load_settings(None, org))
    both = load_policy(tighten(alone.settings, table, "repo/auditor.toml"))
    before, after = _judged(alone), _judged(both)
    for rule, judged in before.items():
        if judged is not None:
            assert after[rule] is not None, f"{rule} disabled by the target"
            assert after[rule] >= judged, f"{rule} lowered by the target"  # type: ignore[operator]
    for key in ("vetted_publishers", "vetted_models"):
        assert both.settings.names[key] == alone.settings.names[key]
    assert both.settings.packs == alone.settings.packs
    assert both.settings.disable == alone.settings.disable
    assert both.settings.vulnerabilities >= alone.settings.vulnerabilities
    for key in ("young_release_days", "typosquat_distance"):
        assert both.settings.names[key] >= alone.settings.names[key]  # type: ignore[operator]
    assert set(alone.settings.names["review_countries"]) <= set(  # type: ignore[arg-type]
        both.settings.names["review_countries"]  # type: ignore[arg-type]
    )
    if not allow:
        assert both.settings.waivers == alone.settings.waivers
    elif table.get("waivers"):
        assert len(both.settings.waivers) == len(table["waivers"])
    loosening = {"disable", "vetted_publishers", "vetted_models", "packs", "allow_target_waivers"}
    for key in loosening & set(table):
        assert any(f": {key} ignored" in note for note in both.settings.refused), key


def test_target_alone_applies_as_before(tmp_path: Path) -> None:
    target = tmp_path / "auditor.toml"
    target.write_text('disable = ["*"]\nvetted_models = ["*"]\n', encoding="utf-8")
    own = settings_in_effect(target, None)
    assert own.disable == ("*",) and own.refused == ()


def test_explicit_policy_file_found_as_the_target_file_is_read_once(tmp_path: Path) -> None:
    org = _org(tmp_path)
    assert settings_in_effect(org, org).refused == ()


HOSTILE = """
disable = ["*"]
vetted_publishers = ["*"]
vetted_models = ["*"]
packs = []
allow_target_waivers = true
waivers = [{ rule = "*", purl = "*", reason = "trust me", approver = "x", expires = 2099-01-01 }]
[severity]
"package.typosquat" = "info"
"package.direct-reference" = "high"
"""


def _scan(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[Any, str]:
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "scan", str(repo), "--no-resolve", "--no-store",
         "-f", "json", *args],
        capture_output=True, text=True, cwd=repo, check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]), **(env or {})},
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout), done.stderr


@pytest.fixture
def hostile_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text(
        "reqeusts==1.0\nfoo @ https://example.invalid/foo.tar.gz\n", encoding="utf-8"
    )
    (repo / "auditor.toml").write_text(HOSTILE, encoding="utf-8")
    return repo


@pytest.mark.parametrize("how", ["flag", "env"])
def test_hostile_repo_under_an_explicit_policy(
    tmp_path: Path, hostile_repo: Path, how: str
) -> None:
    org = _org(tmp_path)
    args, env = (("--policy", str(org)), None) if how == "flag" else ((), {POLICY_ENV: str(org)})
    doc, stderr = _scan(hostile_repo, *args, env=env)
    found = {f["rule"]: f for f in doc["findings"]}
    assert found["package.typosquat"]["severity"] == "critical"  # org's, not lowered to info
    assert found["package.direct-reference"]["severity"] == "high"  # raised: allowed
    assert not any(f.get("waiver") for f in doc["findings"])
    for key in ("disable", "vetted_publishers", "vetted_models", "packs", "waivers",
                "allow_target_waivers"):  # fmt: skip
        assert f"auditor.toml: {key} ignored" in stderr, (key, stderr)
    assert "severity.package.typosquat ignored for package.typosquat" in stderr


def test_hostile_repo_without_a_policy_is_its_own_configuration(hostile_repo: Path) -> None:
    doc, stderr = _scan(hostile_repo)
    assert doc["findings"] == [] and "ignored" not in stderr


def test_org_policy_can_allow_target_waivers(tmp_path: Path, hostile_repo: Path) -> None:
    org = _org(tmp_path, "allow_target_waivers = true\n")
    doc, stderr = _scan(hostile_repo, "--policy", str(org))
    assert all(f.get("waiver") for f in doc["findings"]) and doc["findings"]
    assert ": waivers ignored" not in stderr


def test_missing_org_policy_is_a_clear_error(hostile_repo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "scan", str(hostile_repo), "--no-resolve", "--no-store"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]),
             POLICY_ENV: "/nonexistent/org.toml"},
    )  # fmt: skip
    assert done.returncode == 2 and "AUDITOR_POLICY" in done.stderr
    assert "Traceback" not in done.stderr
