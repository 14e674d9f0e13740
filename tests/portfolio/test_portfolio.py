"""Portfolio answers, checked against each latest scan's own `auditor origins` summed by
hand, and against the stored components and findings themselves."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jsonschema
import pytest

from auditor.model import Location, Scan, Target, TargetKind
from auditor.store import open_store
from tests.big_lineage import big_model_scan
from tests.conftest import Ran
from tests.store.test_store import make_scan

SCHEMA = json.loads((resources.files("auditor") / "schema" / "portfolio-v1.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def models(ident: str, started: str, families: int, quants: int, scan_id: str) -> Scan:
    scan, _ = big_model_scan(families, quants)
    ref = ident.partition(":")[2]
    comps = tuple(
        replace(c, locations=(Location(ref, f"hf-cache/{c.name}", None, None),))
        for c in scan.components
    )
    return replace(
        scan,
        id=scan_id,
        started_at=started,
        finished_at=started,
        targets=(Target(ref, TargetKind.HF_CACHE, ident, "sha256:00"),),
        components=comps,
    )


SCANS = (
    models("hf-cache:/srv/a", "2026-09-01T10:00:00+00:00", 8, 2, "a-old"),
    models("hf-cache:/srv/a", "2026-12-01T10:00:00+00:00", 12, 3, "a-new"),
    models("hf-cache:/srv/b", "2026-11-15T10:00:00+00:00", 5, 1, "b-only"),
    make_scan("c-only", "2026-10-01T10:00:00+00:00", ("directory:/srv/c",), 6, 3),
)
LATEST = ("a-new", "b-only", "c-only")
AS_OF_OCTOBER = ("a-old", "c-only")


@pytest.fixture
def stored(db_url: str) -> str:
    with open_store(db_url) as store:
        for scan in SCANS:
            store.save_scan(scan)
    return db_url


def doc(ran: Ran) -> dict[str, Any]:
    assert ran.code == 0, ran.stderr
    found: dict[str, Any] = json.loads(ran.stdout)
    errors = list(VALIDATOR.iter_errors(found))
    assert not errors, errors[0].message
    return found


def by_hand(auditor: Callable[..., Ran], scan_ids: tuple[str, ...], by: str) -> dict[Any, Any]:
    """Each scan's `auditor origins --format json`, summed: per value, targets holding it
    and its counts; lineage-root-organisation is the organisation groups' models."""
    facet = "organisation" if by == "lineage-root-organisation" else by
    sums: dict[Any, Counter[str]] = {}
    for scan_id in scan_ids:
        one = doc_any(auditor("origins", scan_id, "--by", facet, "--format", "json"))
        for g in one["groups"]:
            if by == "lineage-root-organisation":
                if g["models"] == 0:
                    continue
                counts = {"total": g["models"], "models": g["models"], "packages": 0}
                counts |= {"direct": 0, "transitive": 0}  # every model here is direct=None
            else:
                counts = {k: g[k] for k in ("total", "direct", "transitive", "packages", "models")}
            into = sums.setdefault(g["value"], Counter())
            into.update(counts)
            into["targets"] += 1
    return {value: dict(c) for value, c in sums.items()}


def doc_any(ran: Ran) -> dict[str, Any]:
    assert ran.code == 0, ran.stderr
    found: dict[str, Any] = json.loads(ran.stdout)
    return found


def answered(found: dict[str, Any]) -> dict[Any, Any]:
    return {
        g["value"]: {k: v for k, v in g.items() if k != "value" and (v or k == "targets")}
        for g in found["groups"]
    }


def _nonzero(sums: dict[Any, Any]) -> dict[Any, Any]:
    return {v: {k: n for k, n in c.items() if n or k == "targets"} for v, c in sums.items()}


@pytest.mark.parametrize("by", ["country", "organisation", "lineage-root-organisation"])
def test_origins_are_the_per_scan_origins_summed(
    stored: str, auditor: Callable[..., Ran], by: str
) -> None:
    found = doc(auditor("portfolio", "origins", "--by", by, "--format", "json"))
    assert found["targets"] == 3
    assert answered(found) == _nonzero(by_hand(auditor, LATEST, by))
    assert found["groups"][-1]["value"] is None or by == "lineage-root-organisation"
    # The lineage view is about models: the package-only target adds nothing to it.
    if by == "lineage-root-organisation":
        assert sum(g["packages"] for g in found["groups"]) == 0


def test_as_of_answers_from_the_scans_of_that_day(stored: str, auditor: Callable[..., Ran]) -> None:
    found = doc(auditor("portfolio", "origins", "--by", "country", "--as-of", "2026-10-15",
                        "--format", "json"))  # fmt: skip
    assert found["targets"] == 2
    assert answered(found) == _nonzero(by_hand(auditor, AS_OF_OCTOBER, "country"))
    before = doc(auditor("portfolio", "origins", "--as-of", "2026-01-01", "--format", "json"))
    assert (before["targets"], before["groups"]) == (0, [])


def test_where_lists_every_target_and_path(stored: str, auditor: Callable[..., Ran]) -> None:
    found = doc(auditor("portfolio", "where", "pkg:huggingface/Qwen/*", "--format", "json"))
    expected = sorted(
        (s.targets[0].ref, c.purl, c.locations[0].path)
        for s in SCANS
        if s.id in LATEST
        for c in s.components
        if c.purl.startswith("pkg:huggingface/Qwen/")
    )
    got = sorted((m["target"], m["purl"], m["paths"][0]) for m in found["matches"])
    assert got == expected and len(got) > 2
    assert {m["target"] for m in found["matches"]} == {"/srv/a", "/srv/b"}
    # Case matters (purl namespaces on the Hub are case-sensitive), on every database.
    assert (
        doc(auditor("portfolio", "where", "pkg:huggingface/qwen/*", "-f", "json"))["matches"] == []
    )


def test_where_a_package_at_any_version(stored: str, auditor: Callable[..., Ran]) -> None:
    by_purl = doc(auditor("portfolio", "where", "pkg:pypi/pkg1", "--format", "json"))
    by_name = doc(auditor("portfolio", "where", "pkg1", "--format", "json"))
    assert [m["purl"] for m in by_purl["matches"]] == ["pkg:pypi/pkg1@1.1"]
    assert by_name["matches"] == by_purl["matches"]
    assert by_name["matches"][0]["target"] == "/srv/c"
    pinned = doc(auditor("portfolio", "where", "pkg:pypi/pkg1@9.9", "--format", "json"))
    assert pinned["matches"] == []
    # `pkg1` does not match pkg10..: a name is whole.
    assert doc(auditor("portfolio", "where", "pkg:pypi/pkg", "-f", "json"))["matches"] == []
    table = auditor("portfolio", "where", "pkg:pypi/pkg*")
    assert "pkg:pypi/pkg: in 1 of 3 targets" not in table.stdout
    assert "pkg:pypi/pkg*: in 1 of 3 targets" in table.stdout


def test_findings_of_a_rule(stored: str, auditor: Callable[..., Ran]) -> None:
    found = doc(auditor("portfolio", "findings", "--rule", "origin.unknown", "--format", "json"))
    c_scan = next(s for s in SCANS if s.id == "c-only")
    assert len(found["findings"]) == len(c_scan.findings) == 3
    assert {f["target"] for f in found["findings"]} == {"/srv/c"}
    markdown = auditor("portfolio", "findings", "--rule", "origin.*", "--format", "markdown")
    assert markdown.stdout.startswith("## origin.\\*: 3 findings in 1 of 3 targets")


def test_trend_points_are_as_of_answers(stored: str, auditor: Callable[..., Ran]) -> None:
    found = doc(auditor("portfolio", "trend", "--by", "country", "--since", "400d",
                        "--points", "4", "--format", "json"))  # fmt: skip
    points = found["points"]
    assert len(points) == 5
    for point in points:
        at = datetime.fromisoformat(point["as_of"])
        same = doc(auditor("portfolio", "origins", "--as-of", at.isoformat(), "-f", "json"))
        assert point["groups"] == same["groups"] and point["targets"] == same["targets"]
    assert points[-1]["targets"] == 3 and points[0]["targets"] == 0
    assert datetime.fromisoformat(points[-1]["as_of"]) <= datetime.now(UTC)


def test_scans_saved_by_auditor_scan_are_indexed_once(
    stored: str, auditor: Callable[..., Ran]
) -> None:
    first = auditor("portfolio", "origins")
    assert "note: indexing 3 scans for portfolio questions" in first.stderr
    second = auditor("portfolio", "origins")
    assert second.stderr == "" and second.stdout == first.stdout
    older = auditor("portfolio", "origins", "--as-of", "2026-10-15")
    assert "indexing 1 scans" in older.stderr  # a-old answers then, and was not indexed


def test_bad_questions_are_usage_errors(stored: str, auditor: Callable[..., Ran]) -> None:
    ran = auditor("portfolio", "origins", "--as-of", "last tuesday")
    assert ran.code == 2 and "error: --as-of 'last tuesday': not a date" in ran.stderr
    ran = auditor("portfolio", "trend", "--since", "90 days")
    assert ran.code == 2 and "not an age" in ran.stderr
    ran = auditor("portfolio", "where", "*")
    assert ran.code == 2 and "too broad" in ran.stderr


def test_metadata_is_escaped_in_tables(db_url: str, auditor: Callable[..., Ran]) -> None:
    scan = make_scan("evil", "2026-10-01T10:00:00+00:00", ("directory:/srv/\x1b[31mred",), 1, 0)
    with open_store(db_url) as store:
        store.save_scan(scan)
    ran = auditor("portfolio", "where", "pkg1*")
    assert "\x1b" not in ran.stdout
    md = auditor("portfolio", "where", "pkg*", "--format", "markdown")
    assert "\x1b" not in md.stdout


def _words(node: object) -> set[str]:
    if isinstance(node, dict):
        found = set(node.get("properties", {}))
        found |= {str(v) for v in node.get("enum", ())}
        for value in node.values():
            found |= _words(value)
        return found
    if isinstance(node, list):
        return set().union(*(_words(v) for v in node)) if node else set()
    return set()


def test_json_page_names_every_portfolio_field_and_value() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "json.md").read_text("utf-8")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    missing = sorted(w for w in _words(SCHEMA) if f"`{w}`" not in page)
    assert not missing, f"docs/json.md does not name {missing}"
