"""`origin.listed-entity`: a component's organisation, its ownership chain, a lineage root's
organisation and an AI service's operator and lab, matched against screening lists — through
the knowledge base's real chains (Volcengine is ByteDance's) and real scans."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from auditor.model import Action, Evidence, Severity, Strength
from auditor.resolvers.publishers import default_path, load, parse
from auditor.screening.check import PATH_FIELD, RULE, listed_ids, rescreened, screen
from tests.screening.lists import one_list
from tests.test_graph import make_scan
from tests.test_parent_rollup import BYTEDANCE, VOLCENGINE, _attributed, bytedance_scan


def test_a_subsidiary_of_a_listed_parent_matches_through_the_chain(tmp_path: Path) -> None:
    listed = one_list(tmp_path, "parents", [("ByteDance Ltd. (as published)", ["bytedance"])])
    component, origin = _attributed("volcengine-python-sdk")
    scan = make_scan([component], [], (origin,))
    [found] = screen(scan, [listed], load())
    assert (found.rule, found.severity, found.action) == (RULE, Severity.HIGH, Action.REPORT)
    assert found.purl == component.purl
    assert origin.organisation is not None
    strength = origin.organisation.strength
    assert found.evidence[0] == Evidence(
        "screening", "list:parents", "ByteDance Ltd. (as published)",
        "https://www.example.gov/parents", strength, "2026-01-02",
    )  # fmt: skip
    path = found.evidence[1]
    assert path.field == PATH_FIELD
    assert path.value.endswith(f"organisation {VOLCENGINE.name} → parent {BYTEDANCE.name}"), (
        path.value
    )
    assert path.value.startswith(component.purl)
    # The chain's own step, with the page that says Volcengine is ByteDance's.
    assert found.evidence[2] == origin.parents[0]
    for part in (
        "Test list parents",
        "(parents, v1)",
        "'ByteDance Ltd. (as published)'",
        f"organisation {VOLCENGINE.name}",
        f"parent {BYTEDANCE.name}",
        strength.value,
    ):
        assert part in found.message, (part, found.message)
    assert listed_ids(found) == ("parents",)


def test_a_listed_subsidiary_does_not_taint_its_parent(tmp_path: Path) -> None:
    listed = one_list(tmp_path, "subs", [("Volcano Engine", ["volcengine"])])
    attributed = [_attributed(n) for n in ("volcengine-python-sdk", "ui-tars", "lark-oapi")]
    scan = make_scan([c for c, _ in attributed], [], tuple(o for _, o in attributed))
    assert [f.purl for f in screen(scan, [listed], load())] == [attributed[0][0].purl]


def test_the_current_chain_counts_and_so_does_the_recorded_one(tmp_path: Path) -> None:
    listed = one_list(tmp_path, "parents", [("ByteDance", ["bytedance"])])
    component, origin = _attributed("volcengine-python-sdk")
    # Attributed before the knowledge base knew the parent: no recorded step, and the
    # knowledge base's current chain still finds it (a re-screen after a KB update).
    bare = replace(origin, evidence=tuple(e for e in origin.evidence if e not in origin.parents))
    assert len(screen(make_scan([component], [], (bare,)), [listed], load())) == 1
    # A knowledge base that no longer names the parent: the chain recorded on the origin
    # when it was attributed still counts.
    text = default_path().read_text(encoding="utf-8")
    parent_line = next(line for line in text.splitlines()
                       if line.strip().startswith("parent: {id: bytedance"))  # fmt: skip
    older, problems = parse(text.replace(parent_line + "\n", "", 1))
    assert not problems
    assert len(screen(make_scan([component], [], (origin,)), [listed], older)) == 1
    assert screen(make_scan([component], [], (bare,)), [listed], older) == ()
    # A knowledge base that renamed the organisation: the recorded chain still leads there.
    renamed, problems = parse(text.replace(f"name: {VOLCENGINE.name}", "name: Volcengine 2", 1))
    assert not problems
    [found] = screen(make_scan([component], [], (origin,)), [listed], renamed)
    assert found.evidence[1].value.endswith(
        f"organisation {VOLCENGINE.name} → parent {BYTEDANCE.name}"
    )
    assert found.evidence[2:] == origin.parents


def test_a_model_whose_lineage_root_is_a_listed_lab(tmp_path: Path) -> None:
    """The fine-tune merges a Volcengine base and a ByteDance base (not in the inventory)."""
    listed = one_list(tmp_path, "labs", [("ByteDance", ["bytedance"])])
    scan = bytedance_scan()
    found = {f.purl: f for f in screen(scan, [listed], load())}
    ft = next(c.purl for c in scan.components if c.name == "doubao-ft")
    assert ft in found
    path = next(e.value for e in found[ft].evidence if e.field == PATH_FIELD)
    assert path.startswith(f"{ft} → lineage root pkg:huggingface/")
    assert found[ft].evidence[0].strength is Strength.REGISTRY  # the root's claim
    # One finding per entry and component, however many paths lead there.
    assert sum(f.purl == ft for f in screen(scan, [listed], load())) == 1


def test_rescreening_replaces_the_old_findings(tmp_path: Path) -> None:
    old = one_list(tmp_path / "a", "parents", [("ByteDance", ["bytedance"])])
    component, origin = _attributed("volcengine-python-sdk")
    scan = rescreened(make_scan([component], [], (origin,)), [old], load())
    assert [f.rule for f in scan.findings] == [RULE]
    assert rescreened(scan, [], load()).findings == ()
    again = rescreened(scan, [old], load())
    assert again.findings == scan.findings


def test_no_list_no_organisation_no_finding(tmp_path: Path) -> None:
    listed = one_list(tmp_path, "parents", [("Listed, unmatched", [])])
    component, origin = _attributed("requests")
    assert screen(make_scan([component], [], (origin,)), [listed], load()) == ()
