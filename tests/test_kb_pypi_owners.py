"""Issue 24: the knowledge base covers the organisations behind the most-used PyPI packages.

tests/data/kb/popular-pypi-owners.csv is the evidence, one row a package of
rules/data/popular-pypi.txt: the owner of the package's own repository (`platform:account`),
the organisation behind it (a knowledge-base id) or `community`, `individual`, `unknown`,
and the public page that says so. Every organisation row must be what rules/publishers.yaml
says of that owner, and no person's or community's account may belong to an organisation.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.resolvers.publishers import lineage, load, registry_hosts
from bench.kb_coverage import (
    COLUMNS,
    Row,
    disagreement,
    problems,
    ranked,
    read_rows,
    tables,
    tier,
)

TABLE = tables()["pypi"]


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return read_rows(TABLE)


def test_rows_are_popular_packages_once_each_and_the_top_500_all_recorded(rows: list[Row]) -> None:
    names = ranked("pypi")
    packages = [row.package for row in rows]
    assert len(packages) == len(set(packages))
    assert set(packages) <= set(names)
    assert not [name for name in names[:500] if name not in set(packages)]


def test_every_organisation_is_in_the_knowledge_base_and_owns_the_listed_owner(
    rows: list[Row],
) -> None:
    assert not problems(rows, load())


def test_claims_rest_on_a_public_page_never_a_registry(rows: list[Row]) -> None:
    hosts = registry_hosts()
    for row in rows:
        if row.organisation == "unknown":
            continue
        assert row.owner.partition(":")[2], row
        assert row.source.startswith("https://"), row
        host = row.source.split("/")[2]
        assert not any(host == h or host.endswith("." + h) for h in hosts), row


def test_the_check_bites_on_a_wrong_organisation_and_on_a_claimed_person() -> None:
    kb = load()
    wrong = Row("boto3", "github:boto", "google", "https://github.com/boto/boto3")
    assert disagreement(wrong, kb) == "github:boto maps to amazon, not google"
    claimed = Row("requests", "github:psf", "community", "https://github.com/psf/requests")
    assert disagreement(claimed, kb) == "github:psf is psf's in the knowledge base, not community"
    nobody = Row("x", "github:no-such-company-here", "amazon", "https://github.com/x/x")
    assert "maps to no organisation" in (disagreement(nobody, kb) or "")


def test_foundations_are_the_publishers_where_the_projects_moved(rows: list[Row]) -> None:
    by_name = {row.package: row for row in rows}
    # PyTorch (PyTorch Foundation), gRPC (CNCF) and OpenSearch moved to Linux Foundation
    # foundations: the foundation is the publisher, not the company that started them.
    for name in ("torch", "torchvision", "grpcio", "opensearch-py", "opentelemetry-api"):
        assert by_name[name].organisation == "linux-foundation", name
    # A NumFOCUS fiscal sponsorship does not make NumFOCUS the publisher.
    for name in ("numpy", "pandas", "scipy", "matplotlib"):
        assert by_name[name].organisation == "community", name


def test_a_subsidiary_rolls_up_to_its_group() -> None:
    kb = load()
    tableau = kb.lookup("github", "tableau")
    assert tableau is not None
    assert lineage(kb, tableau) == ("tableau", "salesforce")
    segment = kb.lookup("github", "segmentio")  # an acquired brand folded into its owner
    assert segment is not None and segment.key == "twilio"
    # Red Hat (Ansible) and HashiCorp are IBM's; LinkedIn is Microsoft's.
    for account, chain in (
        ("ansible", ("redhat", "ibm")),
        ("hashicorp", ("hashicorp", "ibm")),
        ("linkedin", ("linkedin", "microsoft")),
    ):
        org = kb.lookup("github", account)
        assert org is not None and lineage(kb, org) == chain, account


def test_a_companys_former_github_organisation_still_names_it() -> None:
    kb = load()
    # Old releases of dbt and PyTorch Lightning link the organisations' names before their
    # renames (Fishtown Analytics -> dbt Labs, PyTorchLightning -> Lightning-AI).
    for account, key in (("fishtown-analytics", "dbt-labs"), ("PyTorchLightning", "lightning")):
        org = kb.lookup("github", account)
        assert org is not None and org.key == key, account
        assert [f.account for f in org.former] == [account]
        assert org.former[0].source.startswith("https://")


def test_the_coverage_tiers_count_what_the_table_holds(rows: list[Row]) -> None:
    kb = load()
    top = tier("pypi", rows, ranked("pypi"), 500, kb)
    assert top.recorded == 500
    assert top.organisations + top.community + top.individual + top.unknown == 500
    assert top.disagreements == 0
    assert top.organisations >= 150


def test_a_malformed_table_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "popular-x-owners.csv"
    bad.write_text("package,owner,org\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"popular-x-owners.csv:1: columns"):
        read_rows(bad)
    bad.write_text("package,owner,organisation,source\nonly,three,fields\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"popular-x-owners.csv:2: expected 4 fields"):
        read_rows(bad)


_FIELD = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=20)


@given(st.lists(st.tuples(_FIELD, _FIELD, _FIELD, _FIELD), max_size=8))
def test_any_table_csv_writes_reads_back_unchanged(fields: list[tuple[str, str, str, str]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "popular-x-owners.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(fields)
        assert read_rows(path) == [Row(*f) for f in fields]
