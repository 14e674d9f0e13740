"""signature.required: which components must be signed, and whether they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.model import Claim, Component, ComponentKind, Evidence, Origin, OriginStatus, Strength
from auditor.policy.signatures import SignatureRequirement, signature_required_findings
from tests.conftest import write_files

COMMIT = "a" * 40
SIGNED = Evidence(
    "model-signing", "signer", "public key qwen.pub", "m/model.sig", Strength.ATTESTED
)


def model(purl: str, *evidence: Evidence) -> Component:
    return Component(purl, ComponentKind.MODEL, purl.split("/")[-1], None, evidence=evidence)


def origin(purl: str, publisher: str | None = None, organisation: str | None = None) -> Origin:
    return Origin(
        purl,
        OriginStatus.RESOLVED,
        publisher=Claim(publisher, Strength.REGISTRY) if publisher else None,
        organisation=Claim(organisation, Strength.INFERRED) if organisation else None,
    )


def test_required_publisher_without_signature_is_a_finding() -> None:
    unsigned = model(f"pkg:huggingface/Qwen/Qwen2.5-0.5B@{COMMIT}")
    signed = model(f"pkg:huggingface/Qwen/Qwen2.5-7B@{COMMIT}", SIGNED)
    other = model(f"pkg:huggingface/someone/tiny@{COMMIT}")
    requirement = SignatureRequirement(publishers=frozenset({"qwen"}))
    [found] = signature_required_findings([unsigned, signed, other], {}, requirement)
    assert (found.rule, found.purl, found.severity) == ("signature.required", unsigned.purl, "high")
    assert "publisher Qwen" in found.message


def test_required_organisation_is_matched_from_the_origin() -> None:
    image = Component("pkg:oci/app@sha256:" + "0" * 64, ComponentKind.APPLICATION, "app", None)
    origins = {image.purl: origin(image.purl, organisation="Acme Corp")}
    requirement = SignatureRequirement(organisations=frozenset({"acme corp"}))
    [found] = signature_required_findings([image], origins, requirement)
    assert "organisation Acme Corp" in found.message


def test_declared_or_unverified_evidence_does_not_count_as_signed() -> None:
    weak = Evidence("cosign", "signer", "someone", "x", Strength.DECLARED)
    component = model(f"pkg:huggingface/Qwen/x@{COMMIT}", weak)
    requirement = SignatureRequirement(publishers=frozenset({"Qwen"}))
    assert len(signature_required_findings([component], {}, requirement)) == 1
    assert signature_required_findings([component], {}, SignatureRequirement()) == ()


def test_require_signatures_in_the_policy_file(auditor: Any, validate: Any, tmp_path: Path) -> None:
    """`require_signatures` in [tool.auditor] reaches the scan: an unsigned model from a named
    publisher is a `signature.required` finding; other publishers' models are not."""
    project = write_files(
        tmp_path / "p",
        {
            "app.py": "from transformers import AutoModel\n"
            'AutoModel.from_pretrained("Qwen/Qwen2.5-7B")\n'
            'AutoModel.from_pretrained("mistralai/Mistral-7B-v0.1")\n',
            "pyproject.toml": '[tool.auditor]\nrequire_signatures = ["qwen"]\n',
        },
    )
    doc = validate(auditor("scan", project, "--no-resolve", "--format", "json").stdout)
    required = [f["purl"] for f in doc["findings"] if f["rule"] == "signature.required"]
    assert required == ["pkg:huggingface/Qwen/Qwen2.5-7B"]
    (project / "pyproject.toml").write_text("[tool.auditor]\n")
    doc = validate(auditor("scan", project, "--no-resolve", "--format", "json").stdout)
    assert not [f for f in doc["findings"] if f["rule"] == "signature.required"]
