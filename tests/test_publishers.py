"""The publisher knowledge base: the shipped file is valid and broad; the validator bites."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pip._internal.models.index import PyPI

from auditor.errors import ConfigError
from auditor.resolvers.publishers import default_path, load, parse
from tests.conftest import Ran

GOOD = """organisations:
  - id: acme
    name: Acme Corporation
    country: de
    source: https://en.wikipedia.org/wiki/Acme_Corporation
    checked: 2026-01-31
    accounts:
      github: [Acme-Corp]
      huggingface: [acme]
      email: [acme.example]
"""


def test_shipped_knowledge_base_is_valid_and_covers_the_world() -> None:
    kb, problems = parse(default_path().read_text(encoding="utf-8"))
    assert problems == ()
    assert len(kb.organisations) >= 120
    countries = Counter(o.country for o in kb.organisations)
    # Model publishers of every region the issue names, not only one.
    for country in ("US", "CN", "FR", "DE", "GB", "JP", "KR", "IN", "AE", "IL", "CA", "CH"):
        assert countries[country] >= 1, country
    # Chinese cloud and AI vendors' SDK accounts, incl. torch_npu's home on gitcode/gitee.
    for platform, account, key in (
        ("github", "aliyun", "alibaba"),
        ("github", "TencentCloud", "tencent"),
        ("github", "baidubce", "baidu"),
        ("github", "volcengine", "bytedance"),
        ("gitee", "ascend", "huawei"),
        ("gitcode", "Ascend", "huawei"),
        ("huggingface", "zai-org", "zhipu"),
        ("github", "iflytek", "iflytek"),
    ):
        found = kb.lookup(platform, account)
        assert found is not None and found.key == key, (platform, account)


def test_lookup_is_case_insensitive_and_domains_match_subdomains() -> None:
    kb, problems = parse(GOOD)
    assert problems == ()
    [acme] = kb.organisations
    assert acme.country == "DE"
    assert kb.lookup("github", "acme-corp") is acme
    assert kb.lookup("email", "Mail.ACME.example") is acme
    assert kb.lookup("email", "notacme.example") is None
    assert kb.lookup("gitlab", "acme-corp") is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("country: de", "country: XX"), "not an ISO 3166-1 alpha-2 code"),
        (("https://en.wikipedia", "http://en.wikipedia"), "must be an https URL"),
        (("2026-01-31", "2026-13-01"), "must be a date"),
        (("[acme.example]", "[gmail.com]"), "shared by unrelated people"),
        (("github:", "myspace:"), "unknown platform"),
        (("    checked: 2026-01-31\n", ""), "must be a date"),
        (("[Acme-Corp]", "['not an account']"), "is not a valid account"),
    ],
)
def test_validator_reports_each_problem(change: tuple[str, str], problem: str) -> None:
    _, problems = parse(GOOD.replace(*change))
    assert any(problem in p for p in problems), problems


def test_accounts_must_be_unique_across_organisations() -> None:
    other = GOOD.replace("id: acme", "id: acme-2").split("\n", 1)[1]
    _, problems = parse(GOOD + other)
    assert any("also belongs to acme" in p for p in problems)


def test_a_registry_page_is_not_a_source() -> None:
    _, problems = parse(GOOD.replace("https://en.wikipedia.org/wiki", PyPI.url + "project"))
    assert any("package registry's page" in p for p in problems)


def test_not_yaml_or_wrong_shape_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"kb.yaml:2: not valid YAML"):
        parse("organisations: [\n", "kb.yaml")
    with pytest.raises(ConfigError, match="organisations"):
        parse("- just a list\n", "kb.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("country: de", "country: XX"))
    with pytest.raises(ConfigError, match=r"broken\.yaml: organisation 1") as caught:
        load(broken)
    assert "auditor publishers validate" in (caught.value.hint or "")


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_problems_or_a_config_error(text: str) -> None:
    try:
        kb, problems = parse(GOOD + text)
    except ConfigError:
        return
    assert isinstance(problems, tuple)
    assert all(isinstance(p, str) and p for p in problems)
    assert len(kb.organisations) <= 1 + text.count("id:")


def test_cli_validate(auditor: Callable[..., Ran], tmp_path: Path) -> None:
    ran = auditor("publishers", "validate")
    assert ran.code == 0, ran.stderr
    assert "0 problem(s)" in ran.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD + GOOD.split("\n", 1)[1].replace("id: acme", "id: other"))
    ran = auditor("publishers", "validate", bad)
    assert ran.code == 1
    assert "github account 'Acme-Corp' also belongs to acme" in ran.stdout
    ran = auditor("publishers", "validate", tmp_path / "missing.yaml")
    assert ran.code == 2 and "cannot read" in ran.stderr and "Traceback" not in ran.stderr
