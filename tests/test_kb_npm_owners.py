"""Issue 24: the knowledge base covers the organisations behind the most-used npm packages.

tests/data/kb/popular-npm-owners.csv is the evidence, one row a package of
rules/data/popular-npm.txt (ranked): the package's npm `@scope` or the owner of its own
repository (`platform:account`, as its recorded answer in tests/data/realworld/npm/ names it,
else its project's repository), the organisation behind it (a knowledge-base id) or
`community`, `individual`, `unknown`, and the public page that says so. Every organisation
row must be what rules/publishers.yaml says of that owner, and no person's or community's
account may belong to an organisation.
"""

from __future__ import annotations

import pytest

from auditor.resolvers.publishers import lineage, load, registry_hosts
from bench.kb_coverage import (
    NOT_ORGANISATIONS,
    Row,
    disagreement,
    problems,
    read_rows,
    tables,
)
from bench.kb_coverage import ranked as ranked_names

TABLE = tables()["npm"]
FULLY_RECORDED = 1000
"""The top this many names all have a row."""


def ranked() -> list[str]:
    return ranked_names("npm")


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return read_rows(TABLE)


def test_rows_are_popular_packages_once_each_and_the_top_all_recorded(rows: list[Row]) -> None:
    names = ranked()
    packages = [row.package for row in rows]
    assert len(packages) == len(set(packages))
    assert set(packages) <= set(names)
    assert not [n for n in names[:FULLY_RECORDED] if n not in set(packages)]


def test_every_organisation_is_in_the_knowledge_base_and_owns_the_listed_owner(
    rows: list[Row],
) -> None:
    assert not problems(rows, load())


def test_owners_are_scopes_or_code_host_accounts_with_a_public_page(rows: list[Row]) -> None:
    hosts = registry_hosts()
    for row in rows:
        if row.organisation == "unknown" and not row.owner:
            continue  # nothing recorded names a repository
        platform, _, account = row.owner.partition(":")
        assert platform in ("npm", "github") and account, row
        assert (platform == "npm") == account.startswith("@"), row
        assert (platform == "npm") == row.package.startswith(account + "/"), row
        assert row.source.startswith("https://"), row
        host = row.source.split("/")[2]
        assert not any(host == h or host.endswith("." + h) for h in hosts), row


def test_the_check_bites_on_a_wrong_organisation_and_on_a_claimed_person() -> None:
    kb = load()
    wrong = Row("typescript", "github:microsoft", "google", "https://github.com/microsoft/x")
    assert disagreement(wrong, kb) == "github:microsoft maps to microsoft, not google"
    claimed = Row("semver", "github:npm", "community", "https://github.com/npm/node-semver")
    assert (
        disagreement(claimed, kb)
        == "github:npm is github-inc's in the knowledge base, not community"
    )
    nobody = Row("chalk", "github:chalk", "vercel", "https://github.com/chalk/chalk")
    assert disagreement(nobody, kb) == "github:chalk maps to no organisation, not vercel"


def test_hosted_is_not_published(rows: list[Row]) -> None:
    """Judgements the table makes, each from the project's own pages."""
    by_name = {row.package: row for row in rows}
    # DefinitelyTyped's declarations are written by their contributors; Microsoft only runs
    # the publishing tool (github.com/microsoft/DefinitelyTyped-tools): @types is community.
    assert {by_name[n].organisation for n in ("@types/node", "@types/react")} == {"community"}
    # OpenJS Foundation projects run by their own teams (ESLint, Express, Jest, webpack) are
    # community; Node.js's own organisation is the foundation's (as in the labelled set).
    for name in ("eslint", "express", "pretty-format", "@jest/types", "tapable"):
        assert by_name[name].organisation == "community", name
    for name in ("readable-stream", "undici-types", "@opentelemetry/core"):
        assert by_name[name].organisation == "linux-foundation", name
    # Company repositories: React (Meta), TypeScript (Microsoft), the AWS SDK's scopes.
    assert by_name["react"].organisation == "meta"
    assert by_name["typescript"].organisation == "microsoft"
    assert by_name["@smithy/types"].organisation == "amazon"


def test_npm_inc_rolls_up_to_github_and_microsoft(rows: list[Row]) -> None:
    kb = load()
    semver = next(row for row in rows if row.package == "semver")
    org = kb.lookup("github", semver.owner.partition(":")[2])
    assert org is not None and lineage(kb, org) == ("github-inc", "microsoft")
    remix = kb.lookup("npm", "@remix-run")
    assert remix is not None and remix.key == "shopify"


def test_the_top_300_are_all_answered(rows: list[Row]) -> None:
    kb = load()
    top = set(ranked()[:300])
    mine = [row for row in rows if row.package in top]
    kinds = [row.organisation for row in mine]
    assert len(mine) == 300
    assert kinds.count("unknown") <= 5
    assert sum(kind not in NOT_ORGANISATIONS for kind in kinds) >= 20
    assert not [row for row in mine if disagreement(row, kb)]
