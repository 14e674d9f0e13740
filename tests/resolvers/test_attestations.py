"""Sigstore / PEP 740 verification on real material (tests/data/attestations, see README)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypi_attestations import Attestation

from auditor.resolvers.attestations import (
    Unverifiable,
    certificate_facts,
    check_provenance,
    verify_dsse_bundle,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "attestations"
PYPI_DOC = Path(__file__).resolve().parent.parent / "data" / "pypi" / "pypi-attestations.json"
SDIST = "pypi_attestations-0.0.19.tar.gz"


def provenance(name: str) -> bytes:
    return (DATA / f"{name}.provenance").read_bytes()


def sdist_sha256() -> str:
    """The sdist's digest as the index publishes it (the recorded JSON API document)."""
    doc = json.loads(PYPI_DOC.read_text())
    [entry] = [f for f in doc["releases"]["0.0.19"] if f["filename"] == SDIST]
    return str(entry["digests"]["sha256"])


def first_attestation(body: bytes) -> Attestation:
    doc = json.loads(body)
    return Attestation.model_validate(doc["attestation_bundles"][0]["attestations"][0])


def test_github_provenance_verifies_and_names_the_repository_and_owner() -> None:
    [one] = check_provenance(provenance(SDIST), SDIST, sdist_sha256())
    assert one.verified, one.reason
    assert (one.publisher.kind, one.publisher.repository, one.publisher.workflow) == (
        "GitHub",
        "trailofbits/pypi-attestations",
        "release.yml",
    )
    assert one.publisher.repository_url == "https://github.com/trailofbits/pypi-attestations"
    assert one.predicate_type is not None and one.predicate_type.endswith("/publish/v1")
    # Our decoding of the Fulcio extensions agrees with pypi-attestations' own.
    claims = first_attestation(provenance(SDIST)).certificate_claims
    facts = one.facts
    assert facts.source_repository_uri == claims["1.3.6.1.4.1.57264.1.12"]
    assert facts.source_repository_id == claims["1.3.6.1.4.1.57264.1.15"]
    assert facts.source_repository_owner_uri == claims["1.3.6.1.4.1.57264.1.16"]
    assert facts.source_repository_owner_id == claims["1.3.6.1.4.1.57264.1.17"]
    assert facts.source_repository_owner_uri == "https://github.com/trailofbits"
    assert facts.source_repository_owner_id is not None
    assert facts.source_repository_owner_id.isdigit()


@pytest.mark.parametrize(
    ("artifact", "kind"),
    [
        ("gcb_attestation_test-0.0.0.tar.gz", "Google"),
        ("circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl", "CircleCI"),
    ],
)
def test_other_publishers_verify(artifact: str, kind: str) -> None:
    digest = hashlib.sha256((DATA / artifact).read_bytes()).hexdigest()
    results = check_provenance(provenance(artifact), artifact, digest)
    assert results and all(r.verified for r in results), [r.reason for r in results]
    assert {r.publisher.kind for r in results} == {kind}


def test_other_bytes_do_not_verify() -> None:
    [one] = check_provenance(provenance(SDIST), SDIST, "0" * 64)
    assert not one.verified
    assert "subject sha256 differs" in (one.reason or "")
    # The certificate is still read: the claim is recorded, just not trusted.
    assert one.facts.source_repository_uri == "https://github.com/trailofbits/pypi-attestations"


def test_other_file_name_does_not_verify() -> None:
    other = "pypi_attestations-0.0.19-py3-none-any.whl"
    [one] = check_provenance(provenance(SDIST), other, sdist_sha256())
    assert not one.verified and SDIST in (one.reason or "")


def test_publisher_that_did_not_sign_is_refused() -> None:
    # The `publisher` block is not signed: a server could name anyone there.
    doc = json.loads(provenance(SDIST))
    doc["attestation_bundles"][0]["publisher"]["repository"] = "someone/else"
    [one] = check_provenance(json.dumps(doc).encode(), SDIST, sdist_sha256())
    assert not one.verified
    assert "not the publisher https://github.com/someone/else" in (one.reason or "")


def test_altered_signature_does_not_verify() -> None:
    doc = json.loads(provenance(SDIST))
    envelope = doc["attestation_bundles"][0]["attestations"][0]["envelope"]
    signature = bytearray(base64.b64decode(envelope["signature"]))
    signature[-1] ^= 0x01
    envelope["signature"] = base64.b64encode(bytes(signature)).decode()
    [one] = check_provenance(json.dumps(doc).encode(), SDIST, sdist_sha256())
    assert not one.verified and "does not verify" in (one.reason or "")


def test_reusable_bundle_verification_returns_identity() -> None:
    bundle = first_attestation(provenance(SDIST)).to_bundle()
    verified = verify_dsse_bundle(bundle, ("sha256", sdist_sha256()))
    assert verified.subjects == (SDIST,)
    assert verified.facts.issuer == "https://token.actions.githubusercontent.com"
    with pytest.raises(Unverifiable, match="subject sha256 differs"):
        verify_dsse_bundle(bundle, ("sha256", "f" * 64))


def test_malformed_provenance_is_unverifiable() -> None:
    with pytest.raises(Unverifiable, match="malformed provenance"):
        check_provenance(b'{"version": 1, "attestation_bundles": [{}]}', SDIST, "0" * 64)


def _mutations(doc: dict[str, Any]) -> st.SearchStrategy[bytes]:
    text = json.dumps(doc)
    return st.one_of(
        st.binary(max_size=300),
        st.integers(0, len(text) - 1).map(lambda i: text[:i].encode()),
        st.tuples(st.integers(0, len(text) - 1), st.characters(codec="utf-8")).map(
            lambda p: (text[: p[0]] + p[1] + text[p[0] + 1 :]).encode()
        ),
    )


@settings(max_examples=60, deadline=None)
@given(body=_mutations(json.loads(provenance(SDIST))))
def test_any_bytes_give_results_or_unverifiable(body: bytes) -> None:
    try:
        results = check_provenance(body, SDIST, sdist_sha256())
    except Unverifiable:
        return
    for one in results:
        assert one.verified or one.reason


@settings(max_examples=100, deadline=None)
@given(der=st.binary(max_size=400))
def test_certificate_decoding_never_crashes(der: bytes) -> None:
    try:
        certificate_facts(der)
    except Unverifiable as exc:
        assert exc.reason.startswith("unreadable signing certificate")
