"""Renderers on hand-built scans: the JSON contract, the table and Markdown escaping."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from auditor.errors import Diagnostic
from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
    Dependency,
    Evidence,
    Finding,
    Location,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Severity,
    Strength,
    Target,
    TargetKind,
)
from auditor.render import RENDERERS, renderer

HOSTILE = "<script>alert(1)</script> | `rm -rf` [x](javascript:alert(1)) \x1b[2J"


def _scan() -> Scan:
    evidence = Evidence(
        "metadata", "Author", HOSTILE, "site-packages/x.dist-info/METADATA", Strength.DECLARED
    )
    lib = Component(
        "pkg:pypi/evil@1.0",
        ComponentKind.LIBRARY,
        "evil",
        "1.0",
        ("sha256:" + "a" * 64,),
        HOSTILE,
        (Location("t", "requirements.txt", 3),),
        True,
        (evidence,),
        "requirements-txt",
    )
    model = Component("pkg:huggingface/org/m@" + "b" * 40, ComponentKind.MODEL, "org/m", "b" * 40)
    return Scan(
        id="scan-1",
        started_at="2026-11-28T12:00:00.000Z",
        finished_at="2026-11-28T12:00:01.000Z",
        status=ScanStatus.PARTIAL,
        tool_version="0.1.0",
        targets=(Target("t", TargetKind.DIRECTORY, "directory:/t", "sha256:" + "c" * 64),),
        components=(lib, model),
        origins=(
            Origin(
                lib.purl,
                OriginStatus.SKIPPED,
                "--no-resolve",
                repository=Claim("https://github.com/o/r", Strength.DECLARED),
                evidence=(evidence,),
            ),
            Origin(
                model.purl,
                OriginStatus.RESOLVED,
                organisation=Claim("Org", Strength.INFERRED),
                country=Claim("FR", Strength.INFERRED),
                roots=(Root("pkg:huggingface/base/m@" + "d" * 40, "finetune", "Base", "US"),),
            ),
        ),
        dependencies=(Dependency("pkg:pypi/root@0", lib.purl),),
        findings=(Finding("package.unpinned", Severity.LOW, Action.WARN, lib.purl, HOSTILE),),
        diagnostics=(Diagnostic("bad/uv.lock:3", HOSTILE),),
    )


def test_json_contract(validate: Callable[[str], dict[str, Any]]) -> None:
    doc = validate(renderer("json").render(_scan()))
    lib, model = doc["components"]
    # No lineage: the component is its own root, with its own organisation and country.
    assert lib["origin"]["roots"] == [
        {"purl": lib["purl"], "relation": "self", "organisation": None, "country": None}
        | {"strength": None, "retrieved_at": None, "path": [lib["purl"]], "license": HOSTILE}
    ]
    assert model["origin"]["roots"][0]["relation"] == "finetune"
    assert lib["origin"]["repository"] == {
        "value": "https://github.com/o/r",
        "strength": "declared",
    }
    assert doc["dependencies"][0]["from"] == "pkg:pypi/root@0"
    assert doc["findings"][0]["waived"] is False


def test_every_renderer_handles_hostile_metadata() -> None:
    for r in RENDERERS:
        text = r.render(_scan())
        # Terminal escapes could rewrite a reader's screen; markup matters where it renders.
        assert "\x1b" not in text or r.name == "json", r.name
        # JSON formats (json, cyclonedx, sarif, spdx) keep values exactly; consumers escape.
        data_formats = ("json", "table", "cyclonedx", "sarif", "spdx", "spdx3")
        assert "<script>" not in text or r.name in data_formats, r.name
    # JSON keeps the value exactly (escaping is the consumer's job) but as valid JSON.
    doc = json.loads(renderer("json").render(_scan()))
    assert doc["findings"][0]["message"] == HOSTILE


def test_markdown_neutralises_links_and_tables() -> None:
    md = renderer("markdown").render(_scan())
    assert "](javascript:" not in md
    finding_rows = [line for line in md.splitlines() if "package.unpinned" in line]
    assert len(finding_rows) == 1
    # The row keeps its six column separators: a `|` from metadata cannot add cells.
    assert finding_rows[0].count("|") - finding_rows[0].count("\\|") == 6


def test_table_summarises_counts() -> None:
    table = renderer("table").render(_scan())
    assert "2 components (1 library, 1 model), 1 direct, 1 dependency edges" in table
    assert "1 findings (1 low)" in table
    assert "1 diagnostics" in table
