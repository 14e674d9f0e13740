"""The SBOM write-back through the CLI, the round trip of issue 31: a vendor's SBOM (made by
syft or trivy, or hand-made) → `auditor scan … --format cyclonedx|spdx` against a loopback
PyPI → the output validates → scanned again as an SBOM it gives the same inventory, with
every bom-ref / SPDXID and every field we do not read kept. And when the write-back cannot
be made (the file changed or is gone, the other family), our own document and a note."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.render.sbom_source import family_of
from tests.conftest import DATA, Ran
from tests.render.sbom_scans import WRITEBACK
from tests.render.test_sbom_writeback_cdx import every_ref, kept, props, validator
from tests.render.test_sbom_writeback_spdx import problems
from tests.servers.pypi import PyPIState

Auditor = Callable[..., Ran]
Validate = Callable[[str], dict[str, Any]]


def inventory(doc: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return sorted((c["purl"], c["name"], c.get("version")) for c in doc["components"])


def round_trip(
    auditor: Auditor, validate: Validate, source: Path, fmt: str, out: Path, *flags: str
) -> tuple[dict[str, Any], dict[str, Any], Ran]:
    """(the first scan's JSON, the rescan of the write-back's JSON, the write-back run: a
    report of the stored scan, which renders it again as `scan` would)."""
    first = auditor("scan", source, "-f", "json", *flags)
    assert first.code == 0, first.stderr
    wrote = auditor("report", json.loads(first.stdout)["scan"]["id"], "-f", fmt, "-o", out)
    assert wrote.code == 0, wrote.stderr
    assert "note:" not in wrote.stderr
    again = auditor("scan", out, "-f", "json", "--no-store", *flags)
    assert again.code == 0, again.stderr
    before, after = validate(first.stdout), validate(again.stdout)
    assert after["scan"]["targets"][0]["kind"] == "sbom"
    assert inventory(after) == inventory(before)
    return before, after, wrote


@pytest.mark.parametrize("name", ["syft-app.cdx.json", "trivy-app.cdx.json"])
def test_cyclonedx_round_trip_with_origins(
    name: str,
    auditor: Auditor,
    validate: Validate,
    pypi: tuple[PyPIState, str],
    tmp_path: Path,
) -> None:
    source = WRITEBACK / name
    out = tmp_path / "enriched.cdx.json"
    before, _, _ = round_trip(auditor, validate, source, "cyclonedx", out, "--pypi-url", pypi[1])
    vendor = json.loads(source.read_text())
    text = out.read_text()
    assert validator(vendor["specVersion"]).validate_str(text) is None
    enriched = json.loads(text)
    kept(vendor, enriched)
    assert set(every_ref(vendor)) <= set(every_ref(enriched))
    resolved = {c["purl"]: c["origin"] for c in before["components"]}
    for component in enriched["components"]:
        purl = component.get("purl")
        if purl not in ("pkg:pypi/click@8.5.1", "pkg:pypi/requests@2.34.2"):
            continue
        origin = resolved[purl]
        assert origin["status"] == "resolved"
        facts = props(component)
        assert facts["auditor:origin:status"] == ["resolved"]
        assert facts["auditor:origin:repository"] == [origin["repository"]["value"]]
        if origin.get("organisation"):
            assert component["supplier"]["name"] == origin["organisation"]["value"]


def test_mlbom_round_trip_keeps_vendor_fields(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    source = WRITEBACK / "acme-assistant.mlbom.cdx.json"
    out = tmp_path / "enriched.cdx.json"
    round_trip(auditor, validate, source, "cyclonedx", out, "--offline")
    vendor = json.loads(source.read_text())
    enriched = json.loads(out.read_text())
    assert validator("1.6").validate_str(out.read_text()) is None
    kept(vendor, enriched)
    for key in ("compositions", "annotations", "dependencies", "services"):
        assert enriched[key][: len(vendor[key])] == vendor[key] or key == "services"
    assert props(enriched["metadata"])["acme:build-id"] == ["b-20261001-7"]
    assert enriched["components"][0]["modelCard"] == vendor["components"][0]["modelCard"]


@pytest.mark.parametrize("name", ["syft-app.spdx.json", "trivy-app.spdx.json", "syft-npm.spdx"])
def test_spdx_round_trip(
    name: str,
    auditor: Auditor,
    validate: Validate,
    pypi: tuple[PyPIState, str],
    tmp_path: Path,
) -> None:
    source = WRITEBACK / name
    out = tmp_path / "enriched.spdx.json"
    round_trip(auditor, validate, source, "spdx", out, "--pypi-url", pypi[1])
    enriched = json.loads(out.read_text())
    version = enriched["spdxVersion"]
    if source.suffix == ".json":
        vendor = json.loads(source.read_text())
        assert problems(out.read_text(), version) <= problems(source.read_text(), version)
        ids = [p["SPDXID"] for p in vendor["packages"]]
    else:
        ids = [
            line.split(":", 1)[1].strip()
            for line in source.read_text().splitlines()
            if line.startswith("SPDXID: SPDXRef-Package")
        ]
    assert set(ids) <= {p["SPDXID"] for p in enriched["packages"]}
    annotated = [
        p
        for p in enriched["packages"]
        if any("origin-auditor" in a["annotator"] for a in p.get("annotations", []))
    ]
    assert annotated


def test_cyclonedx_xml_round_trip(auditor: Auditor, validate: Validate, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.xml import XmlValidator

    source = WRITEBACK / "syft-poetry-1.6.cdx.xml"
    out = tmp_path / "enriched.cdx.xml"
    round_trip(auditor, validate, source, "cyclonedx", out, "--offline")
    assert XmlValidator(SchemaVersion.V1_6).validate_str(out.read_text()) is None


def test_changed_or_gone_file_gives_our_own_bom_and_a_note(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    source = tmp_path / "vendor.cdx.json"
    shutil.copy(WRITEBACK / "syft-app.cdx.json", source)
    scan = validate(auditor("scan", source, "-f", "json", "--offline").stdout)
    scan_id = scan["scan"]["id"]
    enriched = auditor("report", scan_id, "-f", "cyclonedx")
    assert enriched.code == 0 and "note:" not in enriched.stderr
    assert "auditor:source-serial-number" in enriched.stdout
    source.write_text(source.read_text().replace("syft", "tfys"))
    changed = auditor("report", scan_id, "-f", "cyclonedx")
    assert changed.code == 0
    assert "note:" in changed.stderr and "changed since scan" in changed.stderr
    own = json.loads(changed.stdout)
    assert own["serialNumber"] == f"urn:uuid:{scan_id}"  # our own BOM, not the vendor's
    source.unlink()
    gone = auditor("report", scan_id, "-f", "spdx")
    assert gone.code == 0 and "cannot read the SBOM again" in gone.stderr
    assert json.loads(gone.stdout)["spdxVersion"] == "SPDX-2.3"


def test_other_family_gives_our_own_document_and_a_note(auditor: Auditor, tmp_path: Path) -> None:
    ran = auditor("scan", WRITEBACK / "syft-app.cdx.json", "-f", "spdx", "--offline", "--no-store")
    assert ran.code == 0
    assert "note:" in ran.stderr and "the SBOM is CycloneDX" in ran.stderr
    assert json.loads(ran.stdout)["documentNamespace"].startswith("https://spdx.invalid/")
    plain = auditor(
        "scan", WRITEBACK / "syft-app.cdx.json", "-f", "json", "--offline", "--no-store"
    )
    assert "note:" not in plain.stderr


SBOMS = DATA / "sbom"
PUBLISHED = sorted(
    [
        *(p for p in (SBOMS / "published").iterdir() if not p.name.startswith("invalid-")),
        *SBOMS.glob("*.cdx.*"),
        *(SBOMS / "spdx").glob("*.spdx*"),
        *(SBOMS / "spdx" / "published").glob("*.spdx.json"),
        *(SBOMS / "spdx" / "published").glob("*.spdx"),
    ]
)


@pytest.mark.parametrize("source", PUBLISHED, ids=lambda p: p.relative_to(SBOMS).as_posix())
def test_every_readable_sbom_round_trips(
    source: Path, auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    """The readers' own test SBOMs (published examples from the CycloneDX and SPDX
    repositories, and syft, trivy and cyclonedx-py output), written back offline: valid as
    the input was, every id kept, the same inventory when scanned again."""
    family = family_of(source.read_bytes())
    assert family is not None
    fmt, syntax = family
    suffix = (
        {"json": ".cdx.json", "xml": ".cdx.xml"}[syntax] if fmt == "cyclonedx" else ".spdx.json"
    )
    out = tmp_path / f"enriched{suffix}"
    round_trip(auditor, validate, source, fmt, out, "--offline")
    text = out.read_text()
    if fmt == "cyclonedx" and syntax == "json":
        vendor = json.loads(source.read_text())
        assert validator(vendor["specVersion"]).validate_str(text) is None
        kept(vendor, json.loads(text))
        assert set(every_ref(vendor)) <= set(every_ref(json.loads(text)))
    elif fmt == "cyclonedx":
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.xml import XmlValidator

        version = text.partition("cyclonedx.org/schema/bom/")[2][:3]
        schema = SchemaVersion.from_version(version)
        assert XmlValidator(schema).validate_str(text) is None
    elif syntax == "json":
        version = json.loads(text)["spdxVersion"]
        assert problems(text, version) <= problems(source.read_text(), version)
        vendor = json.loads(source.read_text())
        ids = {p["SPDXID"] for p in vendor.get("packages", [])}
        assert ids <= {p["SPDXID"] for p in json.loads(text)["packages"]}
