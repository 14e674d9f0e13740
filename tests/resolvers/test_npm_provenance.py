"""Sigstore bundle verification with real bundles (no network: the sigstore wheel's trust root).

tests/data/npm/pypi_attestation_models-0.0.4a2.tar.gz.sigstore is a real v0.3 DSSE bundle
from the pypi-attestations test assets (Apache-2.0, see the README there): it verifies
offline, so it exercises the verified path, the certificate-extension reader and the
subject binding. The npm attestations fixture (pacote) exercises the unverifiable path.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from auditor.resolvers.npm_provenance import SLSA_PREFIX, provenance_bundles, verify
from tests.servers.jsonapi import load

MODELS = "pypi_attestation_models-0.0.4a2.tar.gz"
MODELS_SHA256 = "c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef"


def _bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = load(f"npm/{MODELS}.sigstore")
    return bundle


def test_verified_bundle_gives_the_certificate_facts() -> None:
    result = verify(SLSA_PREFIX + "v1", _bundle(), MODELS, ("sha256", MODELS_SHA256))
    assert result.verified, result.reason
    assert (
        result.fact("source_repository_uri")
        == "https://github.com/trailofbits/pypi-attestation-models"
    )
    assert result.fact("source_repository_owner_uri") == "https://github.com/trailofbits"
    assert result.fact("source_repository_owner_id") == "2314423"
    assert result.fact("issuer") == "https://token.actions.githubusercontent.com"
    signer = result.fact("build_signer_uri") or ""
    assert signer.startswith(
        "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/"
    )


def test_a_valid_bundle_for_another_subject_is_not_attested() -> None:
    """The real code path: a verified signature about a different artifact proves nothing."""
    other = "pkg:npm/left-pad@1.3.0"
    result = verify(SLSA_PREFIX + "v1", _bundle(), other, ("sha256", MODELS_SHA256))
    assert not result.verified
    assert result.reason == f"signed statement is not about {other} with the registry's sha256"
    # Right name, wrong digest: not bound either.
    result = verify(SLSA_PREFIX + "v1", _bundle(), MODELS, ("sha256", "00" * 32))
    assert not result.verified
    assert "subject sha256 differs" in (result.reason or "")
    # No digest from the registry: nothing to bind to.
    assert not verify(SLSA_PREFIX + "v1", _bundle(), MODELS, None).verified


def test_a_tampered_statement_fails_verification() -> None:
    bundle = copy.deepcopy(_bundle())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["subject"][0]["name"] = "evil.tar.gz"
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    result = verify(SLSA_PREFIX + "v1", bundle, "evil.tar.gz", None)
    assert not result.verified and result.reason is not None
    assert "evil.tar.gz" not in result.reason  # the reason is the signature failure


def test_garbage_is_unverifiable_not_a_crash() -> None:
    for bundle in ({}, {"mediaType": "nonsense"}, {"dsseEnvelope": {"payload": "%%%"}}):
        result = verify(SLSA_PREFIX + "v1", bundle, "pkg:npm/x@1", None)
        assert not result.verified and result.reason


def test_only_slsa_entries_are_provenance() -> None:
    doc = load("npm/sigstore-0.4.0.attestations.json")
    publish = {"predicateType": "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
               "bundle": {}}  # fmt: skip
    doc["attestations"].append(publish)
    found = provenance_bundles(doc)
    assert [t for t, _ in found] == ["https://slsa.dev/provenance/v0.2"]
    assert provenance_bundles({"attestations": "nope"}) == []
    assert provenance_bundles([1, 2]) == []
