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
        ("github", "volcengine", "volcengine"),  # ByteDance's: see test_shipped_subsidiaries
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


RENAMED = """organisations:
  - id: vendor
    name: Vendor Ltd
    country: GB
    source: https://vendor.example/about
    checked: 2026-01-31
    accounts:
      github: [vendor-new]
    former:
      - platform: github
        account: vendor-old
        source: https://vendor.example/rename
        checked: 2026-01-31
  - id: vendor-labs
    name: Vendor Labs Ltd
    country: GB
    source: https://vendor.example/labs
    checked: 2026-01-31
    parent: {id: vendor, source: "https://vendor.example/labs", checked: 2026-01-31}
    accounts:
      github: [vendor-labs]
"""


CITED = 'source: "https://vendor.example/x", checked: 2026-01-31}\n'


def _after(line: str, added: str) -> str:
    """RENAMED with `added` inserted after `line`."""
    return RENAMED.replace(line, line + added)


def test_former_accounts_still_match_and_parents_are_kept() -> None:
    from auditor.resolvers.publishers import parent_of

    kb, problems = parse(RENAMED)
    assert problems == ()
    assert kb.lookup("github", "Vendor-Old") is kb.lookup("github", "vendor-new")
    labs = kb.lookup("github", "vendor-labs")
    assert labs is not None and labs.parent is not None and labs.parent.key == "vendor"
    parent = parent_of(kb, labs)
    assert parent is not None and parent.name == "Vendor Ltd"


def test_one_account_under_two_organisations_across_a_rename_is_refused() -> None:
    # Someone lists the old name as another organisation's current account.
    clash = RENAMED.replace("github: [vendor-labs]", "github: [vendor-labs, vendor-old]")
    _, problems = parse(clash)
    assert any("'vendor-old' also belongs to vendor" in p for p in problems), problems
    # … or the same former name under two organisations.
    twice = _after(
        "      github: [vendor-labs]\n",
        "    former:\n      - {platform: github, account: vendor-old, " + CITED,
    )
    _, problems = parse(twice)
    assert any("'vendor-old' (former) also belongs to vendor" in p for p in problems), problems


def test_parent_cycles_and_unknown_parents_are_refused() -> None:
    cycle = _after("      github: [vendor-new]\n", "    parent: {id: vendor-labs, " + CITED)
    _, problems = parse(cycle)
    assert any("parent cycle vendor -> vendor-labs -> vendor" in p for p in problems), problems
    _, problems = parse(RENAMED.replace("{id: vendor,", "{id: nobody,"))
    assert any("parent 'nobody' is not an organisation" in p for p in problems), problems
    _, problems = parse(RENAMED.replace("source: https://vendor.example/rename", "source: x"))
    assert any("former: `source` must be an https URL" in p for p in problems), problems


def test_shipped_subsidiaries_and_renames() -> None:
    from auditor.resolvers.publishers import parent_of

    kb = load()
    for platform, account, key, parent in (
        ("github", "volcengine", "volcengine", "bytedance"),
        ("github", "larksuite", "larksuite", "bytedance"),
        ("github", "google-deepmind", "deepmind", "google"),
        ("npm", "@octokit", "github-inc", "microsoft"),
    ):
        org = kb.lookup(platform, account)
        assert org is not None and org.key == key, account
        above = parent_of(kb, org)
        assert above is not None and above.key == parent, account
    # A company's former GitHub organisation (ZEIT, now Vercel) and npm scope.
    for platform, account, key in (("github", "zeit", "vercel"), ("npm", "@zeit", "vercel"),
                                   ("github", "testcontainers", "docker")):  # fmt: skip
        found = kb.lookup(platform, account)
        assert found is not None and found.key == key, account


def test_cli_validate_refuses_a_parent_cycle(auditor: Callable[..., Ran], tmp_path: Path) -> None:
    bad = tmp_path / "cycle.yaml"
    bad.write_text(RENAMED.replace("{id: vendor,", "{id: vendor-labs,"))
    ran = auditor("publishers", "validate", bad)
    assert ran.code == 1 and "parent cycle" in ran.stdout and "Traceback" not in ran.stderr
