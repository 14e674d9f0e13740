"""Our own SBOMs against the minimum-elements profiles: `auditor scan --format spdx` and
`--format cyclonedx` of a project resolved against the loopback index, read back by the SBOM
readers, checked.

NTIA's fields are there for every package of the inventory (CycloneDX passes whole). What is
left is what we cannot state truthfully: in SPDX the scanned folder itself (a package the
document describes) has no supplier, version or package identifier, and BSI TR-03183-2
asks for facts a registry answer does not give (SHA-512 of the deployable file, its file
name and executable/archive/structured properties, an e-mail or URL of the SBOM's creator
and of each component's)."""

from __future__ import annotations

from pathlib import Path

from auditor.config import Config
from auditor.http import HttpSettings
from auditor.pipeline import run_scan
from auditor.render.spdx import SpdxRenderer
from auditor.sbom.profiles import BSI, NTIA, missing_fields
from auditor.sbom.spdx2 import read_json
from tests.conftest import write_files
from tests.servers.pypi import PyPIState

FAST = HttpSettings(backoff=0.01, connect_timeout=1, read_timeout=0.5, attempts=3)


def test_our_spdx_output_has_ntias_fields_for_every_package(
    pypi: tuple[PyPIState, str], tmp_path: Path
) -> None:
    write_files(tmp_path / "app", {"requirements.txt": "sampleproject==4.0.0\nrequests==2.32.3\n"})
    config = Config(pypi_url=pypi[1], http=FAST, store=False, concurrency=4)
    scan = run_scan([str(tmp_path / "app")], config)
    doc, problems = read_json(SpdxRenderer().render(scan), "ours.spdx.json")
    assert not problems
    assert doc.subject is not None and doc.subject.startswith("SPDXRef-Target-")
    ntia = missing_fields(doc, (NTIA,))
    # only the scanned folder (the subject) lacks a field: supplier, version, identifier
    assert {f.evidence[0].field for f in ntia} == {
        "supplier name", "version", "other unique identifiers",
    }  # fmt: skip
    assert all(f.message.startswith("1 of 3 components") for f in ntia)
    assert all(f.message.endswith(doc.subject) for f in ntia)
    bsi = {f.evidence[0].field for f in missing_fields(doc, (BSI,))}
    assert "timestamp" not in bsi and "dependencies" not in bsi
    assert "component name" not in bsi


def test_our_cyclonedx_output_passes_ntia(pypi: tuple[PyPIState, str], tmp_path: Path) -> None:
    import json

    from auditor.render.cyclonedx import CycloneDxRenderer
    from auditor.sbom.cyclonedx import read_document

    write_files(tmp_path / "app", {"requirements.txt": "sampleproject==4.0.0\nrequests==2.32.3\n"})
    config = Config(pypi_url=pypi[1], http=FAST, store=False, concurrency=4)
    scan = run_scan([str(tmp_path / "app")], config)
    doc = read_document(json.loads(CycloneDxRenderer().render(scan)), "ours.cdx.json")
    assert {e.name for e in doc.entries} == {"sampleproject", "requests"}
    # every package has the registry's publisher as its supplier (render/cyclonedx_components)
    assert missing_fields(doc, (NTIA,)) == ()
    bsi = {f.evidence[0].field for f in missing_fields(doc, (BSI,))}
    assert {"timestamp", "dependencies", "component name", "component version"}.isdisjoint(bsi)
    # the supplier's url: the project's repository
    assert "component creator (e-mail or URL)" not in bsi
