"""CycloneDX 1.6 ML-BOM on hand-built scans (no collector reads models yet): models with
supplier, manufacturer, pedigree, model cards and evidence; vulnerabilities; strict schema
validation and a parse back with cyclonedx-python-lib."""

from __future__ import annotations

import json
from typing import Any

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import ComponentType

from auditor.model import (
    Action,
    Claim,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Finding,
    Origin,
    OriginStatus,
    Root,
    Severity,
    Strength,
)
from auditor.render.cyclonedx import CycloneDxRenderer
from tests.render.test_cyclonedx import _props, _scan, check

SHA = "a" * 40
MODEL = f"pkg:huggingface/acme/tuned@{SHA}"
BASE = f"pkg:huggingface/bigco/base@{'b' * 40}"
DATA = f"pkg:huggingface/acme/corpus@{'c' * 40}?repository_type=dataset"
ATTESTATION = "https://attest.example.invalid/acme/tuned/provenance.json"
EVIDENCE = (
    Evidence(
        "hub", "pipeline_tag", "text-generation", "hub:/api/models/acme/tuned", Strength.REGISTRY
    ),
    Evidence("hub", "model_type", "llama", "hub:/api/models/acme/tuned", Strength.DECLARED),
    Evidence("sigstore", "provenance", "signed", ATTESTATION, Strength.ATTESTED),
)
COMPONENTS = (
    Component(MODEL, ComponentKind.MODEL, "acme/tuned", SHA, direct=True, found_by="hf-cache"),
    Component(BASE, ComponentKind.MODEL, "bigco/base", "b" * 40),
    Component(DATA, ComponentKind.DATASET, "acme/corpus", "c" * 40),
    Component("pkg:pypi/torch@2.5.0", ComponentKind.LIBRARY, "torch", "2.5.0"),
)
ORIGINS = (
    Origin(
        MODEL,
        OriginStatus.RESOLVED,
        publisher=Claim("acme", Strength.REGISTRY),
        organisation=Claim("Acme Labs", Strength.INFERRED),
        country=Claim("FR", Strength.INFERRED),
        roots=(Root(BASE, "finetune", "BigCo Inc", "US"),),
        evidence=EVIDENCE,
    ),
    Origin(
        BASE,
        OriginStatus.RESOLVED,
        publisher=Claim("bigco", Strength.REGISTRY),
        organisation=Claim("BigCo Inc", Strength.INFERRED),
        country=Claim("US", Strength.INFERRED),
    ),
)
DEPS = (
    Dependency(MODEL, BASE, DependencyKind.DERIVED_FROM),
    Dependency(MODEL, DATA, DependencyKind.DERIVED_FROM),
)
VULN = Finding(
    "vuln.osv",
    Severity.HIGH,
    Action.BLOCK,
    "pkg:pypi/torch@2.5.0",
    "remote code execution in torch.load",
    (Evidence("osv", "id", "GHSA-xxxx-yyyy-zzzz", "osv:/v1/query", Strength.REGISTRY),),
)
POLICY = Finding("package.unpinned", Severity.LOW, Action.WARN, "pkg:pypi/torch@2.5.0", "m")


def _bom() -> tuple[dict[str, Any], str]:
    scan = _scan(COMPONENTS, origins=ORIGINS, dependencies=DEPS, findings=(VULN, POLICY))
    text = CycloneDxRenderer().render(scan)
    return check(text, scan), text


def test_models_carry_supplier_manufacturer_pedigree_and_card() -> None:
    bom, _ = _bom()
    by_ref = {c["bom-ref"]: c for c in bom["components"]}
    model = by_ref[MODEL]
    assert model["type"] == "machine-learning-model"
    assert model["supplier"] == {"name": "acme", "address": {"country": "FR"}}
    # The lineage root's organisation, not the fine-tuner's.
    assert model["manufacturer"] == {"name": "BigCo Inc", "address": {"country": "US"}}
    ancestors = {a["purl"] for a in model["pedigree"]["ancestors"]}
    assert ancestors == {BASE, DATA}
    assert {"type": "attestation", "url": ATTESTATION} in model["externalReferences"]
    evidence = _props(model)["auditor:evidence"]
    assert any("registry hub pipeline_tag=text-generation" in e for e in evidence)
    card = model["modelCard"]["modelParameters"]
    assert card["task"] == "text-generation"
    assert card["architectureFamily"] == "llama"
    assert card["datasets"] == [{"ref": DATA}]
    # A model without lineage is its own root: its organisation is the manufacturer.
    base = by_ref[BASE]
    assert base["manufacturer"] == {"name": "BigCo Inc", "address": {"country": "US"}}
    assert "pedigree" not in base and "modelCard" not in base
    assert by_ref[DATA]["type"] == "data"
    assert "supplier" not in by_ref["pkg:pypi/torch@2.5.0"]


def test_vulnerability_findings_become_vulnerabilities() -> None:
    bom, _ = _bom()
    [vuln] = bom["vulnerabilities"]
    assert vuln["id"] == "GHSA-xxxx-yyyy-zzzz"
    assert vuln["source"] == {"name": "osv"}
    assert vuln["ratings"] == [{"severity": "high"}]
    assert vuln["affects"] == [{"ref": "pkg:pypi/torch@2.5.0"}]


def test_parses_back_with_the_library() -> None:
    _, text = _bom()
    # The library does not know modelCard; everything it does know must read back.
    doc = json.loads(text)
    for component in doc["components"]:
        component.pop("modelCard", None)
    bom = Bom.from_json(doc)  # type: ignore[attr-defined]
    models = {
        str(c.bom_ref): c for c in bom.components if c.type is ComponentType.MACHINE_LEARNING_MODEL
    }
    assert set(models) == {MODEL, BASE}
    assert models[MODEL].supplier is not None and models[MODEL].supplier.name == "acme"
    assert models[MODEL].pedigree is not None and len(models[MODEL].pedigree.ancestors) == 2
    assert [str(v.id) for v in bom.vulnerabilities] == ["GHSA-xxxx-yyyy-zzzz"]


def test_deterministic() -> None:
    assert _bom()[1] == _bom()[1]
