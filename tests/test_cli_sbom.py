"""SBOMs as scan targets through the CLI: `sbom:FILE`, a file named without prefix (by name or
content), an SBOM met while walking a folder, and the exit 2 of an unusable one."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import REPO, Ran

Auditor = Callable[..., Ran]
Validate = Callable[[str], dict[str, Any]]
DATA = REPO / "tests" / "data" / "sbom"


def test_sbom_prefix_and_content_detection_agree(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    shutil.copy(DATA / "python-app.syft.cdx.json", tmp_path / "vendor.json")  # no telling name
    by_prefix = validate(
        auditor("scan", "--no-resolve", "--no-store", "--format", "json",
                f"sbom:{tmp_path / 'vendor.json'}").stdout
    )  # fmt: skip
    by_content = validate(
        auditor("scan", "--no-resolve", "--no-store", "--format", "json",
                tmp_path / "vendor.json").stdout
    )  # fmt: skip
    for doc in (by_prefix, by_content):
        assert [t["kind"] for t in doc["scan"]["targets"]] == ["sbom"]
        assert len(doc["components"]) == 9
    assert [c["purl"] for c in by_prefix["components"]] == [
        c["purl"] for c in by_content["components"]
    ]


def test_sbom_only_components_say_why_they_are_not_resolved(
    auditor: Auditor, validate: Validate
) -> None:
    doc = validate(
        auditor("scan", "--offline", "--no-store", "--format", "json",
                DATA / "python-app.trivy.cdx.json").stdout
    )  # fmt: skip
    kept = [c for c in doc["components"] if "auditor_source=sbom" in c["purl"]]
    assert {c["name"] for c in kept} == {"requirements.txt", "uv.lock"}
    for c in kept:
        assert c["origin"]["status"] == "skipped"
        assert c["origin"]["reason"] == "the SBOM gives no package URL; kept as the SBOM states it"


def test_an_sbom_in_a_walked_folder_is_read(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    shutil.copy(DATA / "npm-v3.syft.cdx.xml", tmp_path / "bom.xml")
    ran = auditor("scan", "--no-resolve", "--no-store", "--format", "json", tmp_path)
    doc = validate(ran.stdout)
    assert doc["scan"]["targets"][0]["kind"] == "directory"
    assert len({c["purl"] for c in doc["components"]}) == 29


def test_a_schema_invalid_sbom_exits_2_naming_the_violation(auditor: Auditor) -> None:
    ran = auditor("scan", "--no-resolve", "--no-store",
                  DATA / "published" / "invalid-component-type-1.6.json")  # fmt: skip
    assert ran.code == 2
    assert "not a valid CycloneDX 1.6 document: components/0/type:" in ran.stderr
    assert "Traceback" not in ran.stderr + ran.stdout


def test_sbom_prefix_on_a_lockfile_exits_2(auditor: Auditor) -> None:
    ran = auditor("scan", "--no-resolve", "--no-store",
                  f"sbom:{REPO / 'examples' / 'python-app' / 'requirements.txt'}")  # fmt: skip
    assert ran.code == 2
    assert "not an SBOM this version reads" in ran.stderr


def test_a_bad_sbom_met_while_walking_is_a_diagnostic(
    auditor: Auditor, validate: Validate, tmp_path: Path
) -> None:
    (tmp_path / "bom.json").write_text('{"bomFormat": "CycloneDX", "specVersion": "9.9"}')
    (tmp_path / "requirements.txt").write_text("click==8.1.7\n")
    ran = auditor("scan", "--no-resolve", "--no-store", "--format", "json", tmp_path)
    doc = validate(ran.stdout)
    assert ran.code == 0
    assert any("specVersion '9.9'" in d["message"] for d in doc["diagnostics"])


def test_ml_bom_findings_leave_sbom_only_models_alone(auditor: Auditor, validate: Validate) -> None:
    """model.unpinned-revision asks for a hub commit; a dataset the SBOM names without a purl
    has no hub revision to pin to. The Hub model at `main` is still unpinned."""
    doc = validate(
        auditor("scan", "--no-resolve", "--no-store", "--format", "json",
                DATA / "quantised-llama.mlbom.cdx.json").stdout
    )  # fmt: skip
    unpinned = {f["purl"] for f in doc["findings"] if f["rule"] == "model.unpinned-revision"}
    assert unpinned == {"pkg:huggingface/TheBloke/Llama-2-7B-GGUF"}
    edges = {(d["from"], d["to"], d["kind"]) for d in doc["dependencies"]}
    assert (
        "pkg:huggingface/TheBloke/Llama-2-7B-GGUF",
        "pkg:huggingface/meta-llama/Llama-2-7b-hf",
        "derived_from",
    ) in edges
