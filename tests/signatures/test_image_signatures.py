"""Image signatures and attestations in real OCI layouts, signed with local keys (no Fulcio)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from auditor.collectors import CollectContext
from auditor.collectors.image_signatures import ImageSignatureCollector, image_name
from auditor.model import Strength
from auditor.signatures import SignatureTrust
from auditor.signatures.image import image_signature_evidence
from auditor.signatures.slsa import slsa_provenance
from auditor.sources.directory import DirectoryTree
from tests.signatures import oci
from tests.signatures.pki import chain, key_pair
from tests.sigstore_local import public_trust_config

REFERENCE = "registry.invalid/acme/app:1.0"


@pytest.fixture
def layout(tmp_path: Path) -> oci.Layout:
    return oci.Layout(tmp_path / "layout")


def check(layout: oci.Layout, digest: str, trust: SignatureTrust) -> tuple[Any, Any]:
    return image_signature_evidence(layout.root, digest, f"pkg:oci/app@{digest}", trust)


def fields(evidence: tuple[Any, ...]) -> dict[str, str]:
    return {e.field: e.value for e in evidence}


def test_key_signed_image_is_attested(tmp_path: Path, layout: oci.Layout) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    oci.sign_tag(layout, digest, keys.key)
    evidence, findings = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert findings == ()
    [signer] = evidence
    assert (signer.source, signer.field, signer.strength) == ("cosign", "signer", Strength.ATTESTED)
    assert signer.value == "public key release.pub"
    assert signer.where.startswith("blobs/sha256/")


def test_signature_by_another_key_is_invalid(tmp_path: Path, layout: oci.Layout) -> None:
    attacker = key_pair(tmp_path / "keys", "attacker")
    trusted = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    oci.sign_tag(layout, digest, attacker.key)
    evidence, [found] = check(layout, digest, SignatureTrust(keys=(trusted.public,)))
    assert evidence == ()
    assert (found.rule, found.severity) == ("signature.invalid", "critical")
    assert "no configured key verifies" in found.message


def test_signature_of_another_image_is_invalid(tmp_path: Path, layout: oci.Layout) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    other = "sha256:" + "ab" * 32
    payload = oci.simple_signing_payload(other, REFERENCE)
    oci.sign_tag(layout, digest, keys.key, payload=payload)
    _, [found] = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert found.rule == "signature.invalid"
    assert f"signs {other}, not this image" in found.message


def test_tampered_signature_blob_is_invalid(tmp_path: Path, layout: oci.Layout) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    oci.sign_tag(layout, digest, keys.key)
    manifest = json.loads(
        (layout.root / "blobs/sha256" / layout.entries[-1]["digest"][7:]).read_bytes()
    )
    payload_blob = layout.root / "blobs/sha256" / manifest["layers"][0]["digest"][7:]
    payload_blob.write_bytes(payload_blob.read_bytes().replace(b"acme", b"evil"))
    _, [found] = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert found.rule == "signature.invalid"
    assert "does not match its digest" in found.message


def test_unverifiable_without_trust(tmp_path: Path, layout: oci.Layout) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    oci.sign_tag(layout, digest, keys.key)
    evidence, [found] = check(layout, digest, SignatureTrust())
    assert evidence == ()
    assert found.rule == "signature.unverified"


def test_slsa_v02_attestation_names_builder_repository_and_commit(
    tmp_path: Path, layout: oci.Layout
) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    oci.attest_tag(
        layout, digest, keys.key,
        oci.statement(digest, "https://slsa.dev/provenance/v0.2", oci.SLSA_V02),
    )  # fmt: skip
    evidence, findings = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert findings == ()
    assert all(e.strength is Strength.ATTESTED for e in evidence)
    assert fields(evidence) == {
        "attestation.signer": "public key release.pub",
        "attestation.predicateType": "https://slsa.dev/provenance/v0.2",
        "slsa.builder.id": oci.SLSA_V02["builder"]["id"],  # type: ignore[index]
        "slsa.source.repository": "https://github.com/acme/app",
        "slsa.source.commit": "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c",
    }


def test_attestation_about_another_artifact_is_invalid(tmp_path: Path, layout: oci.Layout) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    other = "sha256:" + "cd" * 32
    oci.attest_tag(
        layout, digest, keys.key, oci.statement(other, "https://slsa.dev/provenance/v1", {})
    )
    evidence, [found] = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert evidence == ()
    assert "subject is another artifact" in found.message


def test_forged_attestation_payload_is_invalid(tmp_path: Path, layout: oci.Layout) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    signed = oci.envelope(keys.key, oci.statement(digest, "https://slsa.dev/provenance/v1", {}))
    forged = oci.statement(digest, "https://slsa.dev/provenance/v1", oci.SLSA_V1)
    signed["payload"] = base64.b64encode(forged).decode()
    bundle = {**oci.key_bundle_dsse(keys.key, b"{}"), "dsseEnvelope": signed}
    oci.refer_bundle(layout, digest, bundle)
    evidence, [found] = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert evidence == () and found.rule == "signature.invalid"


def test_oci11_referrer_bundle_with_slsa_v1(tmp_path: Path, layout: oci.Layout) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    payload = oci.statement(digest, "https://slsa.dev/provenance/v1", oci.SLSA_V1)
    oci.refer_bundle(layout, digest, oci.key_bundle_dsse(keys.key, payload))
    evidence, findings = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert findings == ()
    got = fields(evidence)
    assert got["slsa.builder.id"] == "https://github.com/actions/runner/github-hosted"
    assert got["slsa.source.repository"] == "https://github.com/acme/app"
    assert got["slsa.source.commit"] == "aabbccddeeff00112233445566778899aabbccdd"


def test_referrers_tag_index_with_message_signature(tmp_path: Path, layout: oci.Layout) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    oci.refer_bundle(layout, digest, oci.key_bundle_message(keys.key, digest), tag_index=True)
    evidence, findings = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert findings == ()
    assert fields(evidence) == {"signer": "public key release.pub"}
    other = layout.image("registry.invalid/acme/other:1")
    assert check(layout, other, SignatureTrust(keys=(keys.public,))) == ((), ())


def _leaf_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def test_certificate_signed_image(tmp_path: Path, layout: oci.Layout) -> None:
    pki = chain(tmp_path / "pki")
    digest = layout.image(REFERENCE)
    oci.sign_tag(layout, digest, _leaf_key(pki.leaf_key), certificate=pki.leaf_cert.read_text())
    evidence, findings = check(layout, digest, SignatureTrust(certificate_chains=(pki.root,)))
    assert findings == ()
    assert fields(evidence) == {"signer": "signer@example.test (certificate issued by ca Root)"}
    other = chain(tmp_path / "other", name="other").root
    _, [found] = check(layout, digest, SignatureTrust(certificate_chains=(other,)))
    assert found.rule == "signature.invalid" and "certificate chain" in found.message


def test_expired_signing_certificate_is_invalid(tmp_path: Path, layout: oci.Layout) -> None:
    now = datetime.now(UTC)
    pki = chain(
        tmp_path / "pki", root_not_before=now - timedelta(days=90),
        leaf_not_before=now - timedelta(days=30), leaf_not_after=now - timedelta(days=2),
    )  # fmt: skip
    digest = layout.image(REFERENCE)
    oci.sign_tag(layout, digest, _leaf_key(pki.leaf_key), certificate=pki.leaf_cert.read_text())
    evidence, [found] = check(layout, digest, SignatureTrust(certificate_chains=(pki.root,)))
    assert evidence == ()
    assert found.rule == "signature.invalid" and "expired" in found.message


def test_keyless_bundle_not_from_the_public_ca_is_invalid(
    tmp_path: Path, layout: oci.Layout
) -> None:
    """A bundle claiming a keyless identity with a certificate from our own CA: sigstore-python
    rejects it against the public trust root (it has no Fulcio chain and no Rekor entry)."""
    pki = chain(tmp_path / "pki")
    digest = layout.image(REFERENCE)
    leaf = _leaf_key(pki.leaf_key)
    bundle = oci.key_bundle_dsse(leaf, oci.statement(digest, "https://slsa.dev/provenance/v1", {}))
    cert = x509.load_pem_x509_certificate(pki.leaf_cert.read_bytes())
    raw = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    bundle["verificationMaterial"] = {"certificate": {"rawBytes": raw}, "tlogEntries": []}
    oci.refer_bundle(layout, digest, bundle)
    trust = SignatureTrust(
        identities=("signer@example.test",),
        issuer="https://issuer.invalid",
        trust_config=public_trust_config(tmp_path / "trust.json"),
    )
    evidence, [found] = check(layout, digest, trust)
    assert evidence == ()
    assert found.rule == "signature.invalid"


def test_collector_emits_each_layout_image_with_its_evidence(
    tmp_path: Path, layout: oci.Layout
) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    unsigned = layout.image("registry.invalid/acme/worker:2")
    oci.sign_tag(layout, digest, keys.key)
    tree = DirectoryTree(str(tmp_path), tmp_path)
    context = CollectContext(signatures=SignatureTrust(keys=(keys.public,)))
    result = ImageSignatureCollector().collect(tree, context)
    assert result.findings == () and result.diagnostics == ()
    by_purl = {c.purl: c for c in result.components}
    assert set(by_purl) == {f"pkg:oci/app@{digest}", f"pkg:oci/worker@{unsigned}"}
    assert [e.field for e in by_purl[f"pkg:oci/app@{digest}"].evidence] == ["signer"]
    assert by_purl[f"pkg:oci/worker@{unsigned}"].evidence == ()


def test_malformed_index_is_a_diagnostic(tmp_path: Path, layout: oci.Layout) -> None:
    (layout.root / "index.json").write_text('{"manifests": 3}')
    tree = DirectoryTree(str(tmp_path), tmp_path)
    result = ImageSignatureCollector().collect(tree, CollectContext())
    [diagnostic] = result.diagnostics
    assert "layout/index.json" in diagnostic.location
    assert "no 'manifests' list" in diagnostic.message


@pytest.mark.parametrize(
    ("reference", "name"),
    [
        ("docker.io/library/alpine:3.19", "alpine"),
        ("localhost:5000/Team/App", "app"),
        ("ghcr.io/acme/app@sha256:" + "0" * 64, "app"),
    ],
)
def test_image_name(reference: str, name: str) -> None:
    assert image_name(reference) == name


_keys = st.sampled_from(
    ["builder", "id", "invocation", "configSource", "uri", "digest", "sha1", "gitCommit",
     "materials", "runDetails", "buildDefinition", "resolvedDependencies",
     "externalParameters", "workflow", "repository"]
)  # fmt: skip
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=8,
)


@given(st.sampled_from(["https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v1"]),
       st.dictionaries(_keys, _json, max_size=4))  # fmt: skip
def test_slsa_provenance_reads_any_shape(kind: str, predicate: dict[str, Any]) -> None:
    found = slsa_provenance(kind, predicate)
    assert all(isinstance(v, str) and v for _, v in found)


def test_missing_signature_manifest_blob_is_invalid(tmp_path: Path, layout: oci.Layout) -> None:
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    oci.sign_tag(layout, digest, keys.key)
    (layout.root / "blobs/sha256" / layout.entries[-1]["digest"][7:]).unlink()
    evidence, [found] = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert evidence == () and found.rule == "signature.invalid"
    assert "unreadable" in found.message


_MEDIA = st.sampled_from(
    [
        "application/vnd.dev.cosign.simplesigning.v1+json",
        "application/vnd.dsse.envelope.v1+json",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    ]
)
_LAYER_KEYS = st.sampled_from(
    ["critical", "image", "docker-manifest-digest", "payload", "payloadType", "signatures",
     "sig", "verificationMaterial", "publicKey", "certificate", "x509CertificateChain",
     "dsseEnvelope", "messageSignature", "messageDigest", "digest", "signature", "algorithm"]
)  # fmt: skip
_LAYER_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_LAYER_KEYS, inner, max_size=3),
    max_leaves=10,
)


@given(media=_MEDIA, doc=_LAYER_JSON, annotation=st.text(max_size=12))
def test_any_signature_layer_gives_findings_never_exceptions(
    tmp_path_factory: pytest.TempPathFactory, media: str, doc: Any, annotation: str
) -> None:
    layout = oci.Layout(tmp_path_factory.mktemp("layout"))
    keys = key_pair(tmp_path_factory.mktemp("keys"), "k")
    digest = layout.image(REFERENCE)
    layer = layout.blob(
        json.dumps(doc).encode(), media,
        annotations={"dev.cosignproject.cosign/signature": annotation},
    )  # fmt: skip
    manifest = layout.json_blob(
        {"schemaVersion": 2, "mediaType": oci.MANIFEST, "layers": [layer]}, oci.MANIFEST
    )
    layout.add(manifest, ref=f"{digest.replace(':', '-')}.sig")
    evidence, findings = check(layout, digest, SignatureTrust(keys=(keys.public,)))
    assert evidence == ()
    assert [f.rule for f in findings] in (["signature.invalid"], ["signature.unverified"])


_INDEX_KEYS = st.sampled_from(
    ["manifests", "mediaType", "digest", "annotations", "org.opencontainers.image.ref.name",
     "artifactType", "subject", "size"]
)  # fmt: skip
_INDEX_JSON = st.recursive(
    st.none()
    | st.integers()
    | st.sampled_from(["sha256:" + "0" * 64, oci.MANIFEST, oci.INDEX, "sha256-00.sig", "../x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_INDEX_KEYS, inner, max_size=4),
    max_leaves=12,
)


@given(doc=_INDEX_JSON)
def test_any_index_json_is_read_or_diagnosed(
    tmp_path_factory: pytest.TempPathFactory, doc: Any
) -> None:
    root = tmp_path_factory.mktemp("layout")
    oci.Layout(root)  # oci-layout and blobs/, then an index.json of any shape
    (root / "index.json").write_text(json.dumps(doc))
    result = ImageSignatureCollector().collect(DirectoryTree("t", root), CollectContext())
    assert all(d.location.startswith("t:") for d in result.diagnostics)
    assert len(result.diagnostics) <= 1


def test_scan_of_a_signed_oci_layout_attests_the_image(
    tmp_path: Path, layout: oci.Layout, auditor: Any, validate: Any
) -> None:
    """Through the CLI: the image reader finds the image, and the cosign signature stored
    beside it in the layout becomes attested evidence on that image's component."""
    keys = key_pair(tmp_path / "keys", "release")
    digest = layout.image(REFERENCE)
    oci.sign_tag(layout, digest, keys.key)
    ran = auditor("scan", layout.root, "--no-resolve", "--format", "json",
                  "--signature-key", keys.public)  # fmt: skip
    doc = validate(ran.stdout)
    [image] = [c for c in doc["components"] if c["purl"].startswith("pkg:oci/")]
    assert digest in image["purl"]
    signers = [
        e for e in image["origin"]["evidence"] if (e["source"], e["field"]) == ("cosign", "signer")
    ]
    assert [(e["value"], e["strength"]) for e in signers] == [
        ("public key release.pub", "attested")
    ]
    attacker = key_pair(tmp_path / "keys", "attacker")
    bad = validate(auditor("scan", layout.root, "--no-resolve", "--format", "json",
                           "--signature-key", attacker.public).stdout)  # fmt: skip
    assert any(f["rule"] == "signature.invalid" for f in bad["findings"])
    assert not any(f["rule"] == "signature.invalid" for f in doc["findings"])
