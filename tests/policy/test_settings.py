"""Configuration: discovery near the target, then the working directory; --policy overlays."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import discover_policy_file
from auditor.model import Action, Severity
from auditor.policy.engine import load_policy
from auditor.policy.settings import load_settings
from auditor.policy.yamlnodes import PolicyError
from tests.conftest import write_files


def test_nearest_to_the_target_then_cwd(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "repo/pyproject.toml": '[project]\nname = "x"\n[tool.auditor]\nreview_countries = ["AQ"]\n',  # noqa: E501
            "repo/sub/app/requirements.txt": "click==8.5.1\n",
            "repo/sub/pyproject.toml": '[project]\nname = "no-auditor-table"\n',
            "elsewhere/auditor.toml": "young_release_days = 3\n",
            "bare/requirements.txt": "",
        },
    )
    target = str(tmp_path / "repo/sub/app/requirements.txt")
    assert (
        discover_policy_file((target,), tmp_path / "elsewhere") == tmp_path / "repo/pyproject.toml"
    )
    bare = str(tmp_path / "bare/requirements.txt")
    assert (
        discover_policy_file((bare,), tmp_path / "elsewhere") == tmp_path / "elsewhere/auditor.toml"
    )
    write_files(tmp_path, {"repo/sub/auditor.toml": ""})
    assert discover_policy_file((target,), tmp_path) == tmp_path / "repo/sub/auditor.toml"


def test_every_key(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "auditor.toml": """
packs = ["default", "extra.yaml"]
disable = ["release.young"]
vetted_publishers = ["meta-llama"]
vetted_models = ["mistralai/*"]
review_countries = ["AQ"]
young_release_days = 14
typosquat_distance = 2
vulnerabilities = true
[severity]
"origin.unknown" = "high"
[action]
"model.unvetted" = "warn"
[lists]
our_orgs = ["Acme Corp"]
""",
            "extra.yaml": """
rules:
  - id: org.ours
    title: Ours
    severity: info
    action: report
    when: {traces_to: {organisation: $our_orgs}}
    message: ours
""",
        },
    )
    policy = load_policy(load_settings(tmp_path / "auditor.toml", None))
    ids = {r.id for r in policy.rules}
    assert "org.ours" in ids and "release.young" not in ids
    rule = {r.id: r for r in policy.rules}
    assert rule["origin.unknown"].severity is Severity.HIGH
    assert rule["model.unvetted"].action is Action.WARN
    assert policy.names["young_release_days"] == 14 and policy.names["typosquat_distance"] == 2
    assert policy.names["vetted_models"] == ["mistralai/*"]
    assert policy.settings.vulnerabilities is True


def test_policy_flag_overlays(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "auditor.toml": 'review_countries = ["AQ"]\ndisable = ["release.young"]\n',
            "ci/auditor.toml": 'review_countries = ["BV"]\ndisable = ["origin.unknown"]\n',
            "ci/more.yaml": "rules:\n  - {id: a.b, title: t, severity: low, action: warn, when: {fact: component.kind, eq: model}, message: m}\n",  # noqa: E501
        },
    )
    settings = load_settings(tmp_path / "auditor.toml", tmp_path / "ci")
    assert settings.names["review_countries"] == ["BV"]
    assert set(settings.disable) == {"release.young", "origin.unknown"}
    policy = load_policy(settings)
    assert {"a.b", "origin.changed"} <= {r.id for r in policy.rules}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ('review_countries = "AQ"\n', "review_countries: must be a list"),
        ("young_release_days = -1\n", "young_release_days"),
        ('[severity]\n"a.b" = "huge"\n', "'huge' is not one of"),
        ('packs = ["nope"]\n', "no such rule pack"),
        ("x = [\n", "not valid TOML"),
    ],
)
def test_bad_settings_name_their_file(tmp_path: Path, body: str, message: str) -> None:
    path = write_files(tmp_path, {"auditor.toml": body}) / "auditor.toml"
    with pytest.raises(PolicyError) as caught:
        load_policy(load_settings(path, None))
    assert message in caught.value.message
    assert "auditor.toml" in caught.value.message or "nope" in caught.value.message
