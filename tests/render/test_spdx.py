"""`--format spdx`: every document parses and validates with spdx-tools (the SPDX project's
own library) and, parsed back, says the same as the scan: purls, suppliers, checksums,
licences and the dependency graph."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from spdx_tools.spdx.model.actor import Actor
from spdx_tools.spdx.model.document import Document
from spdx_tools.spdx.model.relationship import RelationshipType
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from auditor.config import Config
from auditor.model import DependencyKind, Scan
from auditor.pipeline import run_scan
from auditor.render.spdx import SpdxRenderer, spdx_id
from tests.conftest import DATA, REPO, Ran
from tests.render.test_cyclonedx import FULL_ORIGIN, TRICKY, TRICKY_DEPS, _scan, scans


def parse(text: str) -> Document:
    """spdx-tools reads files only; the suffix tells it the format."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.spdx.json"
        path.write_text(text, encoding="utf-8")
        return parse_file(str(path))


def render(scan: Scan) -> tuple[Document, dict[str, Any]]:
    """Render, parse back, validate fully, and check the graph against the scan."""
    text = SpdxRenderer().render(scan)
    document = parse(text)
    messages = validate_full_spdx_document(document)
    assert messages == [], "\n".join(m.validation_message for m in messages[:5])
    purls = {ref.locator: p for p in document.packages for ref in p.external_references}
    assert {c.purl for c in scan.components} <= set(purls)
    relations = {
        (r.spdx_element_id, r.relationship_type, r.related_spdx_element_id)
        for r in document.relationships
    }
    for d in scan.dependencies:
        kind = {
            DependencyKind.DEPENDS_ON: RelationshipType.DEPENDS_ON,
            DependencyKind.DERIVED_FROM: RelationshipType.DESCENDANT_OF,
            DependencyKind.CONTAINS: RelationshipType.CONTAINS,  # vendored copies
        }[d.kind]
        assert (purls[d.source].spdx_id, kind, purls[d.target].spdx_id) in relations
    described = {r[2] for r in relations if r[1] is RelationshipType.DESCRIBES}
    assert len(described) == max(1, len(scan.targets))
    return document, json.loads(text)


def test_tricky_content_round_trips() -> None:
    scan = _scan(TRICKY, dependencies=TRICKY_DEPS, origins=(FULL_ORIGIN,))
    document, raw = render(scan)
    assert raw["documentNamespace"] == f"https://spdx.invalid/origin-auditor/{scan.id}"
    assert raw["creationInfo"]["created"] == "2026-11-28T12:00:00Z"
    by_purl = {ref.locator: p for p in document.packages for ref in p.external_references}
    first = by_purl[TRICKY[0].purl]
    assert isinstance(first.supplier, Actor) and first.supplier.name == "psf"
    assert isinstance(first.originator, Actor) and first.originator.name == "Org «GmbH»"
    assert {(c.algorithm.name, c.value) for c in first.checksums} == {
        ("MD5", "d" * 32),
        ("SHA256", "a" * 64),
        ("SHA384", "b" * 96),
    }
    assert str(first.license_declared) == "MIT OR Apache-2.0"
    # Not an SPDX id: a LicenseRef- whose extracted text is the declared text, kept whole.
    proprietary = by_purl[TRICKY[2].purl]
    ref = str(proprietary.license_declared)
    assert ref.startswith("LicenseRef-")
    [extracted] = [x for x in document.extracted_licensing_info if x.license_id == ref]
    assert extracted.extracted_text == TRICKY[2].license
    assert by_purl[TRICKY[3].purl].checksums == [
        c for c in by_purl[TRICKY[3].purl].checksums if c.algorithm.name == "SHA1"
    ]
    ids = [p.spdx_id for p in document.packages]
    assert len(ids) == len(set(ids))


def test_spdx_ids_are_valid_and_distinct() -> None:
    one, two = spdx_id("Package", "pkg:pypi/a@1"), spdx_id("Package", "pkg:pypi/a_1")
    assert one != two
    for value in (one, two, spdx_id("Package", "«ü» / ?")):
        assert value.startswith("SPDXRef-")
        assert all(ch.isascii() and (ch.isalnum() or ch in ".-") for ch in value[8:])


def test_empty_scan_and_no_targets() -> None:
    render(_scan(()))
    render(_scan((), targets=()))


@settings(max_examples=30, deadline=None)
@given(scans())
def test_any_scan_gives_a_valid_document(scan: Scan) -> None:
    render(scan)


@pytest.mark.parametrize("target", [REPO / "examples", DATA], ids=["examples", "tests-data"])
def test_real_scans(target: Path) -> None:
    scan = run_scan([str(target)], Config(no_resolve=True, store=False))
    document, _ = render(scan)
    assert any(p.checksums for p in document.packages)


def test_cli_report_renders_the_stored_scan_identically(
    auditor: Callable[..., Ran], tmp_path: Path
) -> None:
    out = tmp_path / "scan.spdx.json"
    ran = auditor("scan", REPO / "examples", "--no-resolve", "--format", "spdx", "-o", out)
    assert ran.code == 0, ran.stderr
    text = out.read_text(encoding="utf-8")
    assert validate_full_spdx_document(parse(text)) == []
    scan_id = json.loads(text)["documentNamespace"].rsplit("/", 1)[1]
    again = auditor("report", scan_id, "--format", "spdx")
    assert again.code == 0, again.stderr
    assert again.stdout == text


def test_download_location_from_a_direct_reference() -> None:
    from auditor.model import Component, ComponentKind

    vcs = "pkg:pypi/x@1?vcs_url=git%2Bhttps://github.com/a/b%40abc"
    local = "pkg:pypi/y@1?download_url=file:../y"
    components = tuple(Component(p, ComponentKind.LIBRARY, p[9], "1") for p in (vcs, local))
    _, raw = render(_scan(components))
    locations = {p["name"]: p["downloadLocation"] for p in raw["packages"]}
    assert locations["x"] == "git+https://github.com/a/b@abc"
    assert locations["y"] == "NOASSERTION"
