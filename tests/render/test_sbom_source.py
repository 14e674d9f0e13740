"""Finding the vendor's document behind a scan again: by content, the scan's one `sbom`
target only, and only while its bytes still match the digest the scan stored."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.model import Target, TargetKind
from auditor.render.sbom_source import Original, Refused, family_of, original_for
from tests.conftest import DATA
from tests.render.sbom_scans import WRITEBACK, scan_of

FAMILIES = {
    WRITEBACK / "syft-app.cdx.json": ("cyclonedx", "json"),
    WRITEBACK / "syft-poetry-1.4.cdx.xml": ("cyclonedx", "xml"),
    WRITEBACK / "syft-app.spdx.json": ("spdx", "json"),
    WRITEBACK / "syft-npm.spdx": ("spdx", "tag-value"),
    DATA / "sbom" / "python-app.syft.json": ("syft", "json"),
    DATA / "sbom" / "spdx" / "published" / "sentimentdemo.spdx3.json": ("spdx3", "json"),
    DATA / "python" / "poetry" / "project" / "poetry.lock": None,
}


@pytest.mark.parametrize("path", list(FAMILIES), ids=lambda p: p.name)
def test_family_by_content(path: Path) -> None:
    assert family_of(path.read_bytes()) == FAMILIES[path]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_have_a_family_or_none(data: bytes) -> None:
    found = family_of(data)
    assert found is None or found[0] in ("cyclonedx", "spdx", "spdx3", "syft")


def test_the_scans_one_unchanged_sbom(tmp_path: Path) -> None:
    path = tmp_path / "vendor.cdx.json"
    path.write_bytes((WRITEBACK / "syft-app.cdx.json").read_bytes())
    scan = scan_of(path, "cyclonedx")
    found = original_for(scan, "cyclonedx", ("json",))
    assert isinstance(found, Original) and found.path == path and found.syntax == "json"
    assert found.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    other = original_for(scan, "spdx", ("json",))
    assert isinstance(other, Refused) and "the SBOM is CycloneDX" in other.reason
    xml_only = original_for(scan, "cyclonedx", ("xml",))
    assert isinstance(xml_only, Refused) and "json is not written back" in xml_only.reason
    path.write_bytes(path.read_bytes() + b"\n")
    changed = original_for(scan, "cyclonedx", ("json",))
    assert isinstance(changed, Refused) and "changed since scan" in changed.reason
    path.unlink()
    gone = original_for(scan, "cyclonedx", ("json",))
    assert isinstance(gone, Refused) and "cannot read the SBOM again" in gone.reason


def test_not_one_sbom_is_none() -> None:
    scan = scan_of(WRITEBACK / "syft-app.cdx.json", "cyclonedx")
    target = scan.targets[0]
    lockfile = dataclasses.replace(target, kind=TargetKind.LOCKFILE)
    assert (
        original_for(dataclasses.replace(scan, targets=(lockfile,)), "cyclonedx", ("json",)) is None
    )
    two = dataclasses.replace(scan, targets=(target, Target("x", TargetKind.SBOM, "sbom:/x", "")))
    assert original_for(two, "cyclonedx", ("json",)) is None
