"""`--format sarif`: valid under the OASIS SARIF 2.1.0 schema (tests/data/schemas) and within
GitHub code scanning's documented constraints; fingerprints stable across scans."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import Config
from auditor.model import (
    Action,
    Component,
    ComponentKind,
    Finding,
    Location,
    Scan,
    ScanStatus,
    Severity,
    Target,
    TargetKind,
)
from auditor.pipeline import run_scan
from auditor.policy.builtin import builtin_rules
from auditor.render.sarif import FINGERPRINT, SarifRenderer
from tests.conftest import DATA, REPO, Ran

SCHEMA = json.loads((DATA / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft4Validator(
    SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
)
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def render(scan: Scan) -> dict[str, Any]:
    """Render, validate against the schema, and check GitHub's constraints."""
    log: dict[str, Any] = json.loads(SarifRenderer().render(scan))
    errors = sorted(VALIDATOR.iter_errors(log), key=str)
    assert not errors, "\n".join(str(e) for e in errors[:3])
    github_constraints(log, scan)
    return log


def github_constraints(log: dict[str, Any], scan: Scan) -> None:
    """What GitHub code scanning reads or requires (its "SARIF support" page)."""
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "origin-auditor"
    rules = {r["id"]: r for r in driver["rules"]}
    assert len(rules) == len(driver["rules"])
    for r in driver["rules"]:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["help"]["text"] and r["help"]["markdown"]
        score = r["properties"]["security-severity"]
        assert re.fullmatch(r"\d+\.\d", score) and 0.0 <= float(score) <= 10.0
        assert "security" in r["properties"]["tags"]
    assert len(run["results"]) == len(scan.findings)
    for result, f in zip(run["results"], scan.findings, strict=True):
        assert result["ruleId"] == f.rule
        assert driver["rules"][result["ruleIndex"]]["id"] == f.rule
        assert result["level"] == LEVELS[f.severity.value]
        assert f.purl in result["message"]["text"]
        assert result["locations"], "GitHub rejects a result without a location"
        for loc in result["locations"]:
            artifact = loc["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%"
            assert not artifact["uri"].startswith("/") and ":" not in artifact["uri"]
            assert loc["physicalLocation"].get("region", {"startLine": 1})["startLine"] >= 1
        assert re.fullmatch(r"[0-9a-f]{64}", result["partialFingerprints"][FINGERPRINT])
        assert ("suppressions" in result) == f.waived


# --- hand-built scans ---------------------------------------------------------------------

LOCK = Target("app/uv.lock", TargetKind.LOCKFILE, "lockfile:/w/app/uv.lock", "sha256:" + "a" * 64)
DIR = Target("proj", TargetKind.DIRECTORY, "directory:/w/proj", "sha256:" + "b" * 64)
IMAGE = Target("img:1", TargetKind.IMAGE, "image:img:1", "sha256:" + "c" * 64)
FOO = Component(
    "pkg:pypi/foo@1.0",
    ComponentKind.LIBRARY,
    "foo",
    "1.0",
    locations=(Location("app/uv.lock", "uv.lock", 12), Location("proj", "sub dir/req.txt", 3)),
)
BAR = Component(
    "pkg:deb/debian/bar@2?arch=amd64",
    ComponentKind.OS_PACKAGE,
    "bar",
    "2",
    locations=(Location("img:1", "var/lib/dpkg/status", None, "sha256:" + "d" * 64),),
)
NOWHERE = Component("pkg:npm/%40s/n@1", ComponentKind.LIBRARY, "@s/n", "1")
FINDINGS = (
    Finding("package.unpinned", Severity.LOW, Action.WARN, FOO.purl, "not pinned"),
    Finding("pypi.hash-mismatch", Severity.HIGH, Action.WARN, BAR.purl, "hash <b>"),
    Finding("policy.custom", Severity.CRITICAL, Action.BLOCK, NOWHERE.purl, "custom rule"),
    Finding("pypi.yanked", Severity.MEDIUM, Action.WARN, "pkg:pypi/ghost@1", "gone", waiver="ok"),
    Finding("package.editable", Severity.INFO, Action.REPORT, FOO.purl, "editable"),
)


def _scan(**kw: Any) -> Scan:
    fields: dict[str, Any] = {
        "id": "scan-1",
        "started_at": "2026-11-28T12:00:00.000Z",
        "finished_at": "2026-11-28T12:00:01.000Z",
        "status": ScanStatus.COMPLETE,
        "tool_version": "0.1.0",
        "targets": (LOCK, DIR, IMAGE),
        "components": (FOO, BAR, NOWHERE),
        "findings": FINDINGS,
    }
    return Scan(**(fields | kw))


def test_results_rules_and_locations() -> None:
    log = render(_scan())
    [run] = log["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    known = {r.id: r for r in builtin_rules()}
    # Built-in rules carry the registry's description and default severity.
    assert (
        rules["pypi.hash-mismatch"]["fullDescription"]["text"]
        == known["pypi.hash-mismatch"].description
    )
    assert rules["pypi.hash-mismatch"]["properties"]["security-severity"] == "8.0"
    assert rules["package.unpinned"]["defaultConfiguration"]["level"] == "note"
    # An unknown rule still renders, with the finding's severity.
    assert rules["policy.custom"]["properties"]["security-severity"] == "9.5"
    unpinned, mismatch, custom, yanked, _ = run["results"]
    uris = [
        (x["physicalLocation"]["artifactLocation"]["uri"], x["physicalLocation"].get("region"))
        for x in unpinned["locations"]
    ]
    assert uris == [
        ("app/uv.lock", {"startLine": 12}),
        ("proj/sub%20dir/req.txt", {"startLine": 3}),
    ]
    [in_image] = mismatch["locations"]
    assert in_image["physicalLocation"]["artifactLocation"]["uri"] == "var/lib/dpkg/status"
    assert in_image["properties"] == {"target": "img:1", "layer": "sha256:" + "d" * 64}
    # No location of its own: located at the first target (the lockfile).
    [at_target] = custom["locations"]
    assert at_target["physicalLocation"]["artifactLocation"]["uri"] == "app/uv.lock"
    assert yanked["suppressions"] == [{"kind": "external", "justification": "ok"}]


def test_fingerprints_are_stable_across_scans() -> None:
    first = render(_scan())
    # Another scan: new id and times, the lockfile line moved, findings in another order.
    moved = dataclasses.replace(FOO, locations=(Location("app/uv.lock", "uv.lock", 40),))
    second = render(
        _scan(
            id="scan-2",
            started_at="2026-11-29T08:00:00.000Z",
            components=(moved, BAR, NOWHERE),
            findings=FINDINGS[::-1],
        )
    )

    def prints(log: dict[str, Any]) -> dict[tuple[str, str], str]:
        return {
            (r["ruleId"], r["properties"]["purl"]): r["partialFingerprints"][FINGERPRINT]
            for r in log["runs"][0]["results"]
        }

    assert prints(first) == prints(second)
    assert len(set(prints(first).values())) == len(FINDINGS)


def test_absolute_targets_and_empty_scans() -> None:
    absolute = Target(
        "/abs/proj", TargetKind.DIRECTORY, "directory:/abs/proj", "sha256:" + "e" * 64
    )
    comp = dataclasses.replace(FOO, locations=(Location("/abs/proj", "x/uv.lock", 2),))
    log = render(_scan(targets=(absolute,), components=(comp,), findings=FINDINGS[:1]))
    [loc] = log["runs"][0]["results"][0]["locations"]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "x/uv.lock"
    render(_scan(targets=(), components=(), findings=FINDINGS[2:3]))
    render(_scan(findings=()))


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(texts, texts, texts, st.sampled_from(list(Severity)), st.none() | texts),
        max_size=5,
    ),
    texts,
    st.none() | st.integers(1, 10**6),
)
def test_any_findings_give_a_valid_log(
    raw: list[tuple[str, str, str, Severity, str | None]], path: str, line: int | None
) -> None:
    comp = dataclasses.replace(FOO, locations=(Location("proj", path or "x", line),))
    findings = tuple(
        Finding(rule or "r", sev, Action.REPORT, purl or comp.purl, msg, waiver=waiver)
        for rule, purl, msg, sev, waiver in raw
    )
    render(_scan(targets=(DIR,), components=(comp,), findings=findings))


# --- real scans and the command line -------------------------------------------------------


def test_real_scan_of_the_test_data() -> None:
    scan = run_scan([str(DATA)], Config(no_resolve=True, store=False))
    assert scan.findings, "the test data has unpinned and direct-reference requirements"
    log = render(scan)
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
        for loc in r["locations"]
    }
    # Every location is a file below the scanned directory, as the repository holds it.
    root = Path(str(DATA))
    for uri in uris:
        assert (root / uri.replace("%20", " ")).is_file() or "%" in uri, uri


def test_cli_report_renders_the_stored_scan_identically(
    auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    out = tmp_path / "scan.sarif"
    data = REPO / "tests" / "data"
    ran = auditor("scan", data, "--no-resolve", "--format", "sarif", "-o", out)
    assert ran.code == 0, ran.stderr
    log = json.loads(out.read_text(encoding="utf-8"))
    assert not sorted(VALIDATOR.iter_errors(log), key=str)
    scan_id = log["runs"][0]["properties"]["scanId"]
    again = auditor("report", scan_id, "--format", "sarif")
    assert again.code == 0, again.stderr
    assert again.stdout == out.read_text(encoding="utf-8")


@pytest.mark.parametrize("severity", list(Severity))
def test_level_mapping(severity: Severity) -> None:
    finding = Finding("x.y", severity, Action.REPORT, FOO.purl, "m")
    log = render(_scan(findings=(finding,)))
    assert log["runs"][0]["results"][0]["level"] == LEVELS[severity.value]
