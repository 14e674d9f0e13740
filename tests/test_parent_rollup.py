"""Roll-ups either way through the knowledge base's `parent`: a subsidiary is its own row, or
(`--ultimate`) counted under the top of its chain. Real shipped entries: Volcengine and Lark
are ByteDance's, GitHub is Microsoft's."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from auditor.attribution import attribute
from auditor.attribution.parents import ultimate_parents
from auditor.graph.queries import origin_groups
from auditor.model import (
    Claim,
    Component,
    Evidence,
    Origin,
    OriginStatus,
    Root,
    Scan,
    Strength,
)
from auditor.render.json import JsonRenderer
from auditor.resolvers.local import local_origin
from auditor.resolvers.publishers import Organisation, load
from auditor.store import open_store
from tests.conftest import REPO, Ran
from tests.test_graph import lib, make_scan, model

Auditor = Callable[..., Ran]


def _org(key: str) -> Organisation:
    return next(o for o in load().organisations if o.key == key)


BYTEDANCE, VOLCENGINE, LARK = _org("bytedance"), _org("volcengine"), _org("larksuite")
SCHEMA = json.loads((REPO / "auditor" / "schema" / "scan-v1.json").read_text("utf-8"))

# Each package's own Source link, as the projects publish it.
SOURCES = {
    "volcengine-python-sdk": "https://github.com/volcengine/volcengine-python-sdk",
    "lark-oapi": "https://github.com/larksuite/oapi-sdk-python",
    "ui-tars": "https://github.com/bytedance/UI-TARS",
    "octokit": "https://github.com/octokit/octokit.js",
    "requests": "https://github.com/psf/requests",
}


def _attributed(name: str) -> tuple[Component, Origin]:
    c = lib(name, direct=True)
    source = Evidence("pypi", "info.project_urls.Source", SOURCES[name], "pypi:/pypi/x/json",
                      Strength.DECLARED)  # fmt: skip
    c = replace(c, evidence=(source,))
    return c, attribute(c, local_origin(c, OriginStatus.RESOLVED, None), load())


def bytedance_scan() -> Scan:
    """Three ByteDance-group packages, GitHub's client, an unknown one, and a fine-tune whose
    two bases (not in the inventory) a resolver named: one Volcengine's, one ByteDance's."""
    attributed = [_attributed(n) for n in SOURCES]
    ft = model("doubao-ft", direct=True)
    roots = (
        Root("pkg:huggingface/volcengine/base-v@1", "merge", VOLCENGINE.name,
             "CN", Strength.REGISTRY),
        Root("pkg:huggingface/ByteDance/base-b@1", "merge", BYTEDANCE.name,
             "CN", Strength.REGISTRY),
    )  # fmt: skip
    merged = Origin(ft.purl, OriginStatus.RESOLVED, roots=roots)
    components = [c for c, _ in attributed] + [ft, lib("six")]
    return make_scan(components, [], (*(o for _, o in attributed), merged))


def test_the_kb_entries_the_tests_rely_on() -> None:
    assert VOLCENGINE.parent is not None and VOLCENGINE.parent.key == "bytedance"
    assert LARK.parent is not None and LARK.parent.key == "bytedance"


def test_the_origin_records_its_parent_chain_with_its_source() -> None:
    _, origin = _attributed("volcengine-python-sdk")
    assert origin.organisation is not None
    assert origin.organisation.value == VOLCENGINE.name
    [step] = origin.parents
    assert (step.field, step.value) == ("parent[volcengine]", BYTEDANCE.name)
    assert step.where == "https://en.wikipedia.org/wiki/Volcano_Engine"
    assert step.strength is origin.organisation.strength
    # A top-level organisation has no chain; attributing again adds no second step.
    assert _attributed("ui-tars")[1].parents == ()
    assert attribute(lib("x"), origin, load()).parents == origin.parents
    # GitHub, Inc. is Microsoft's.
    _, octokit = _attributed("octokit")
    assert [s.value for s in octokit.parents] == ["Microsoft Corporation"]


def test_json_origin_names_the_parent_and_the_ultimate_parent() -> None:
    scan = bytedance_scan()
    scan = replace(
        scan, targets=tuple(replace(t, digest="sha256:" + "0" * 64) for t in scan.targets)
    )
    doc = json.loads(JsonRenderer().render(scan))
    jsonschema.validate(doc, SCHEMA)
    by_name = {c["name"]: c["origin"] for c in doc["components"]}
    expected = {"value": BYTEDANCE.name, "strength": "declared"}
    for name in ("volcengine-python-sdk", "lark-oapi"):
        assert by_name[name]["parent"] == by_name[name]["ultimate_parent"] == expected
    for name in ("ui-tars", "requests", "six"):
        assert by_name[name]["parent"] is None and by_name[name]["ultimate_parent"] is None


def _totals(scan: Scan, ultimate: bool) -> dict[str | None, int]:
    tops = ultimate_parents(scan) if ultimate else None
    return {g.value: g.total for g in origin_groups(scan, "organisation", tops)}


def test_roll_ups_go_either_way() -> None:
    scan = bytedance_scan()
    own = _totals(scan, ultimate=False)
    # Each subsidiary its own row; the fine-tune under both of its bases' organisations.
    assert own[VOLCENGINE.name] == 2 and own[LARK.name] == 1 and own[BYTEDANCE.name] == 2
    assert own["GitHub, Inc."] == 1
    top = _totals(scan, ultimate=True)
    # Under ByteDance: its package, Volcengine's, Lark's and the fine-tune, once.
    assert top[BYTEDANCE.name] == 4
    assert VOLCENGINE.name not in top and LARK.name not in top
    assert top["Microsoft Corporation"] == 1 and "GitHub, Inc." not in top
    assert top[None] == own[None] == 1  # six
    assert sum(top.values()) < sum(own.values())
    ft = next(g for g in origin_groups(scan, "organisation", ultimate_parents(scan))
              if g.value == BYTEDANCE.name)  # fmt: skip
    via = {m.component.name: m.via for m in ft.members}
    assert via["doubao-ft"] == ("pkg:huggingface/volcengine/base-v@1",
                                "pkg:huggingface/ByteDance/base-b@1")  # fmt: skip


def test_only_organisations_roll_up() -> None:
    with pytest.raises(ValueError, match="only organisations"):
        origin_groups(bytedance_scan(), "country", {})


def test_cli_origins_ultimate(auditor: Auditor, db_url: str) -> None:
    scan = bytedance_scan()
    with open_store(db_url) as store:
        store.save_scan(scan)
    ran = auditor("origins", scan.id, "--by", "organisation", "--ultimate", "--format", "json")
    assert ran.code == 0, ran.stderr
    doc = json.loads(ran.stdout)
    assert doc["ultimate"] is True and doc["by"] == "organisation"
    groups = {g["value"]: g["total"] for g in doc["groups"]}
    assert groups[BYTEDANCE.name] == 4 and groups["Microsoft Corporation"] == 1
    plain = json.loads(auditor("origins", scan.id, "--by", "organisation", "-f", "json").stdout)
    assert plain["ultimate"] is False and len(plain["groups"]) > len(doc["groups"])
    table = auditor("origins", scan.id, "--by", "organisation", "--ultimate")
    assert table.stdout.splitlines()[0].split()[:2] == ["ULTIMATE", "ORGANISATION"]
    assert f"4 components trace to {BYTEDANCE.name}, 1 of them models:" in table.stdout
    lark = auditor("show", scan.id, "lark-oapi")
    assert f"part of       {BYTEDANCE.name}" in lark.stdout, lark.stdout
    wrong = auditor("origins", scan.id, "--by", "country", "--ultimate")
    assert wrong.code == 2 and "--ultimate" in wrong.stderr and "Traceback" not in wrong.stderr


def test_portfolio_origins_ultimate(auditor: Auditor, db_url: str) -> None:
    scan = bytedance_scan()
    with open_store(db_url) as store:
        store.save_scan(scan)
    ran = auditor("portfolio", "origins", "--by", "organisation", "--ultimate", "-f", "json")
    assert ran.code == 0, ran.stderr
    doc = json.loads(ran.stdout)
    assert doc["by"] == "ultimate-organisation"
    groups = {g["value"]: g["total"] for g in doc["groups"]}
    assert groups[BYTEDANCE.name] == 4 and groups["Microsoft Corporation"] == 1
    trend = auditor("portfolio", "trend", "--by", "organisation", "--ultimate", "-f", "json")
    assert trend.code == 0 and json.loads(trend.stdout)["by"] == "ultimate-organisation"
    wrong = auditor("portfolio", "origins", "--by", "country", "--ultimate")
    assert wrong.code == 2 and "Traceback" not in wrong.stderr


def test_a_scan_indexed_before_the_ultimate_facet_is_indexed_again(db_url: str) -> None:
    from sqlalchemy import delete

    from auditor.portfolio import ULTIMATE
    from auditor.portfolio.db import StoreAccess
    from auditor.portfolio.index import rollup_rows, unindexed, write_rollup
    from auditor.store.models import portfolio_rollups as r

    scan = bytedance_scan()
    with StoreAccess.open(db_url) as access:
        access.store.save_scan(scan)
        with access.begin() as conn:
            write_rollup(conn, rollup_rows(scan), scan.id)
            assert unindexed(conn, [scan.id]) == []
            conn.execute(delete(r).where(r.c.facet == ULTIMATE))  # as an older version wrote
            assert unindexed(conn, [scan.id]) == [scan.id]


CHAIN = """organisations:
  - id: vendor
    name: Vendor Ltd
    country: GB
    source: https://vendor.example/about
    checked: 2026-01-31
    accounts: {github: [vendor-new]}
    former:
      - platform: github
        account: vendor-old
        source: https://vendor.example/rename
        checked: 2026-01-31
  - id: labs
    name: Vendor Labs Ltd
    country: GB
    source: https://vendor.example/labs
    checked: 2026-01-31
    parent: {id: vendor, source: "https://vendor.example/labs", checked: 2026-01-31}
    accounts: {github: [vendor-labs]}
  - id: studio
    name: Labs Studio SAS
    country: FR
    source: https://vendor.example/studio
    checked: 2026-01-31
    parent: {id: labs, source: "https://vendor.example/studio", checked: 2026-01-31}
    accounts: {github: [labs-studio]}
"""


def test_a_two_step_chain_is_recorded_nearest_first() -> None:
    from auditor.resolvers.publishers import parse

    kb, problems = parse(CHAIN)
    assert problems == ()
    c = replace(lib("studio-sdk"), evidence=(
        Evidence("pypi", "info.project_urls.Source", "https://github.com/labs-studio/sdk",
                 "pypi:/pypi/x/json", Strength.DECLARED),
    ))  # fmt: skip
    origin = attribute(c, local_origin(c, OriginStatus.RESOLVED, None), kb)
    assert [(s.field, s.value, s.where) for s in origin.parents] == [
        ("parent[studio]", "Vendor Labs Ltd", "https://vendor.example/studio"),
        ("parent[labs]", "Vendor Ltd", "https://vendor.example/labs"),
    ]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (("{id: vendor,", "{id: studio,"), "parent cycle labs -> studio -> labs"),
        (("{id: labs,", "{id: studio,"), "parent cycle studio -> studio"),
        (("{id: vendor,", "{id: nobody,"), "parent 'nobody' is not an organisation"),
        (("[labs-studio]", "[labs-studio, vendor-old]"), "'vendor-old' also belongs to vendor"),
    ],
)
def test_publishers_validate_refuses_bad_parents_and_renamed_accounts(
    auditor: Auditor, tmp_path: Path, edit: tuple[str, str], problem: str
) -> None:
    bad = tmp_path / "publishers.yaml"
    bad.write_text(CHAIN.replace(*edit))
    ran = auditor("publishers", "validate", bad)
    assert ran.code == 1 and problem in ran.stdout, ran.stdout
    assert "Traceback" not in ran.stderr
    good = tmp_path / "good.yaml"
    good.write_text(CHAIN)
    assert auditor("publishers", "validate", good).code == 0


def test_a_stored_scan_rolls_up_as_it_was_attributed() -> None:
    """The chain recorded in the origin's evidence wins over today's knowledge base: an
    organisation since renamed or removed still rolls up to the parent it had."""
    c = lib("legacy-sdk")
    step = Evidence("knowledge-base", "parent[old-labs]", "Old Group plc",
                    "https://old.example/about", Strength.DECLARED)  # fmt: skip
    origin = Origin(c.purl, OriginStatus.RESOLVED, organisation=Claim("Old Labs Ltd",
                    Strength.DECLARED), evidence=(step,))  # fmt: skip
    scan = make_scan([c, lib("six")], [], (origin,))
    assert ultimate_parents(scan) == {"Old Labs Ltd": "Old Group plc"}
    assert _totals(scan, ultimate=True) == {"Old Group plc": 1, None: 1}
