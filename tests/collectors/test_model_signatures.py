"""OpenSSF model signatures, made with model_signing itself and local keys (no Fulcio)."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import model_signing
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.collectors import CollectContext, Collected
from auditor.collectors.model_signatures import ModelSignatureCollector, model_roots
from auditor.model import Strength
from auditor.signatures import SignatureTrust
from auditor.signatures.model_signature import SignatureInvalid, signature_kind
from auditor.sources.directory import DirectoryTree
from tests.signatures.pki import chain, key_pair
from tests.sigstore_local import public_trust_config

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def make_model(folder: Path) -> Path:
    """A small model folder: weights in a subfolder, a config, a tokenizer."""
    (folder / "onnx").mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "bert"}')
    (folder / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " * 50)
    # An ONNX ModelProto starts with field 1 (ir_version, varint): weights by content.
    (folder / "onnx" / "model.onnx").write_bytes(b"\x08\x07\x12\x07pytorch" + os.urandom(3000))
    (folder / "tokenizer.json").write_text('{"version": "1.0"}')
    return folder


def sign_with_key(model: Path, private: Path, hashing: object | None = None) -> Path:
    config = model_signing.signing.Config().use_elliptic_key_signer(private_key=private)
    if hashing is not None:
        config = config.set_hashing_config(hashing)  # type: ignore[arg-type]
    config.sign(model, model / "model.sig")
    return model / "model.sig"


def collect(root: Path, trust: SignatureTrust, ref: str | None = None) -> Collected:
    tree = DirectoryTree(ref or str(root), root)
    return ModelSignatureCollector().collect(tree, CollectContext(signatures=trust))


def rules(result: Collected) -> list[str]:
    return [f.rule for f in result.findings]


def subject_digest(signature: Path) -> str:
    bundle = json.loads(signature.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    return str(statement["subject"][0]["digest"]["sha256"])


def test_valid_key_signature_is_attested_evidence_naming_the_signer(tmp_path: Path) -> None:
    keys = key_pair(tmp_path / "keys", "publisher")
    model = make_model(tmp_path / "scan" / "bert-tiny")
    signature = sign_with_key(model, keys.private)
    result = collect(tmp_path / "scan", SignatureTrust(keys=(keys.public,)))
    assert rules(result) == []
    [component] = result.components
    # The directory purl's checksum is model_signing's own root digest of the same bytes.
    assert component.purl == (f"pkg:generic/bert-tiny?checksum=sha256:{subject_digest(signature)}")
    [evidence] = component.evidence
    assert evidence.strength is Strength.ATTESTED
    assert evidence.field == "signer"
    assert "publisher.pub" in evidence.value
    assert evidence.where == "bert-tiny/model.sig"
    assert [f.path for f in component.files] == [
        "config.json", "model.safetensors", "onnx/model.onnx", "tokenizer.json",
    ]  # fmt: skip


def test_the_library_agrees_the_signature_is_valid(tmp_path: Path) -> None:
    """Guards the fixture: model_signing itself verifies what our collector accepts."""
    keys = key_pair(tmp_path / "keys", "publisher")
    model = make_model(tmp_path / "m")
    signature = sign_with_key(model, keys.private)
    moved = tmp_path / "model.sig"
    signature.rename(moved)
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=keys.public).verify(
        model, moved
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: (m / "onnx" / "model.onnx").write_bytes(b"swapped"), "changed: onnx/model.onnx"),
        (lambda m: (m / "tokenizer.json").unlink(), "missing: tokenizer.json"),
        (lambda m: (m / "extra.pt").write_bytes(b"x"), "not covered by the signature: extra.pt"),
    ],
    ids=["tampered", "removed", "added"],
)
def test_files_that_differ_from_the_signed_manifest_are_critical(
    tmp_path: Path, change: object, expected: str
) -> None:
    keys = key_pair(tmp_path / "keys", "publisher")
    model = make_model(tmp_path / "scan" / "m")
    sign_with_key(model, keys.private)
    change(model)  # type: ignore[operator]
    result = collect(tmp_path / "scan", SignatureTrust(keys=(keys.public,)))
    [found] = result.findings
    assert found.rule == "signature.file-mismatch"
    assert found.severity == "critical"
    assert expected in found.message
    assert all(not c.evidence for c in result.components)


def test_a_signature_by_another_key_is_invalid(tmp_path: Path) -> None:
    signer = key_pair(tmp_path / "keys", "attacker")
    trusted = key_pair(tmp_path / "keys", "publisher")
    model = make_model(tmp_path / "scan" / "m")
    sign_with_key(model, signer.private)
    result = collect(tmp_path / "scan", SignatureTrust(keys=(trusted.public,)))
    [found] = result.findings
    assert found.rule == "signature.invalid"
    assert found.severity == "critical"
    assert "publisher.pub" in found.message
    assert not result.components[0].evidence


def test_a_forged_payload_is_invalid(tmp_path: Path) -> None:
    """Editing the signed manifest (to cover tampered bytes) breaks the DSSE signature."""
    keys = key_pair(tmp_path / "keys", "publisher")
    model = make_model(tmp_path / "scan" / "m")
    signature = sign_with_key(model, keys.private)
    bundle = json.loads(signature.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"]["resources"][0]["digest"] = "00" * 32
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    signature.write_text(json.dumps(bundle))
    result = collect(tmp_path / "scan", SignatureTrust(keys=(keys.public,)))
    assert rules(result) == ["signature.invalid"]


def test_no_signature_next_to_weights_is_reported_on_each_weight_file(tmp_path: Path) -> None:
    import hashlib

    model = make_model(tmp_path / "scan" / "m")
    result = collect(tmp_path / "scan", SignatureTrust())
    assert [(f.rule, f.severity, f.action) for f in result.findings] == [
        ("signature.missing", "info", "report")
    ] * 2
    onnx = hashlib.sha256((model / "onnx" / "model.onnx").read_bytes()).hexdigest()
    assert {f.purl for f in result.findings} == {c.purl for c in result.components}
    assert f"pkg:generic/model.onnx?checksum=sha256:{onnx}" in {c.purl for c in result.components}
    # Only weights are hashed for an unsigned folder: config.json and tokenizer.json are not.
    assert sorted(c.name for c in result.components) == ["model.onnx", "model.safetensors"]


def test_folders_without_weights_or_signatures_are_not_models(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "config.json").write_text("{}")
    assert collect(tmp_path, SignatureTrust()) == Collected()


def test_a_signature_without_configured_trust_is_unverified(tmp_path: Path) -> None:
    keys = key_pair(tmp_path / "keys", "publisher")
    model = make_model(tmp_path / "scan" / "m")
    sign_with_key(model, keys.private)
    [found] = collect(tmp_path / "scan", SignatureTrust()).findings
    assert found.rule == "signature.unverified"
    assert "--signature-key" in found.message


def test_malformed_signature_file_is_invalid(tmp_path: Path) -> None:
    model = make_model(tmp_path / "scan" / "m")
    (model / "model.sig").write_text('{"mediaType": "application/vnd.dev.sigstore.bundle')
    [found] = collect(tmp_path / "scan", SignatureTrust()).findings
    assert found.rule == "signature.invalid"
    assert "m/model.sig" in found.message and "invalid JSON" in found.message


def test_no_verify_checks_nothing(tmp_path: Path) -> None:
    make_model(tmp_path / "m")
    tree = DirectoryTree(str(tmp_path), tmp_path)
    assert ModelSignatureCollector().collect(tree, CollectContext(verify=False)) == Collected()


def _sign_with_certificate(model: Path, folder: Path, **validity: datetime) -> Path:
    pki = chain(folder, **validity)
    model_signing.signing.Config().use_certificate_signer(
        private_key=pki.leaf_key, signing_certificate=pki.leaf_cert, certificate_chain=[pki.root]
    ).sign(model, model / "model.sig")
    return pki.root


def test_certificate_signature_names_the_certificate_identity(tmp_path: Path) -> None:
    model = make_model(tmp_path / "scan" / "m")
    root = _sign_with_certificate(model, tmp_path / "pki")
    result = collect(tmp_path / "scan", SignatureTrust(certificate_chains=(root,)))
    assert rules(result) == []
    [evidence] = result.components[0].evidence
    assert evidence.value == "signer@example.test (certificate issued by ca Root)"


def test_certificate_from_another_ca_is_invalid(tmp_path: Path) -> None:
    model = make_model(tmp_path / "scan" / "m")
    _sign_with_certificate(model, tmp_path / "pki")
    other = chain(tmp_path / "other", name="other").root
    result = collect(tmp_path / "scan", SignatureTrust(certificate_chains=(other,)))
    assert rules(result) == ["signature.invalid"]


def test_expired_signing_certificate_is_invalid(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    model = make_model(tmp_path / "scan" / "m")
    root = _sign_with_certificate(
        model, tmp_path / "pki",
        root_not_before=now - timedelta(days=60),
        leaf_not_before=now - timedelta(days=30), leaf_not_after=now - timedelta(days=1),
    )  # fmt: skip
    [found] = collect(tmp_path / "scan", SignatureTrust(certificate_chains=(root,))).findings
    assert found.rule == "signature.invalid"
    assert "expired" in found.message


def test_leaf_issued_after_its_ca_expired_is_invalid(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    model = make_model(tmp_path / "scan" / "m")
    root = _sign_with_certificate(
        model, tmp_path / "pki",
        root_not_before=now - timedelta(days=60), root_not_after=now - timedelta(days=10),
        leaf_not_before=now - timedelta(days=5),
    )  # fmt: skip
    found = collect(tmp_path / "scan", SignatureTrust(certificate_chains=(root,))).findings
    assert [f.rule for f in found] == ["signature.invalid"]
    assert "expired" in found[0].message


@pytest.mark.parametrize(
    "hashing",
    [
        lambda: model_signing.hashing.Config().use_shard_serialization(shard_size=1024),
        lambda: model_signing.hashing.Config().use_file_serialization(hashing_algorithm="blake2"),
        lambda: model_signing.hashing.Config().use_file_serialization(hashing_algorithm="blake3"),
    ],
    ids=["sha256-shards", "blake2", "blake3"],
)
def test_other_serialisations_are_rehashed_the_same_way(tmp_path: Path, hashing: object) -> None:
    keys = key_pair(tmp_path / "keys", "publisher")
    model = make_model(tmp_path / "scan" / "m")
    sign_with_key(model, keys.private, hashing())  # type: ignore[operator]
    trust = SignatureTrust(keys=(keys.public,))
    assert rules(collect(tmp_path / "scan", trust)) == []
    (model / "onnx" / "model.onnx").write_bytes(os.urandom(3000))
    [found] = collect(tmp_path / "scan", trust).findings
    assert found.rule == "signature.file-mismatch"
    assert "onnx/model.onnx" in found.message


def hf_cache(root: Path, repo: str, files: dict[str, bytes]) -> Path:
    """A cache laid out as huggingface_hub writes it: blobs, refs/main, symlinked snapshot."""
    import hashlib

    repo_dir = root / f"models--{repo.replace('/', '--')}"
    snapshot = repo_dir / "snapshots" / COMMIT
    (repo_dir / "blobs").mkdir(parents=True)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(COMMIT)
    for name, data in files.items():
        blob = hashlib.sha256(data).hexdigest()
        (repo_dir / "blobs" / blob).write_bytes(data)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        depth = name.count("/")
        link.symlink_to(Path("../" * (depth + 2)) / "blobs" / blob)
    return snapshot


def test_hub_cache_snapshot_is_checked_under_its_hub_purl(tmp_path: Path) -> None:
    keys = key_pair(tmp_path / "keys", "publisher")
    published = make_model(tmp_path / "published")
    signature = sign_with_key(published, keys.private)
    files = {
        p.relative_to(published).as_posix(): p.read_bytes()
        for p in sorted(published.rglob("*"))
        if p.is_file()
    }
    hf_cache(tmp_path / "hub", "acme/bert-tiny", files)
    hf_cache(tmp_path / "hub", "acme/unsigned", {"model.safetensors": b"weights"})
    assert "model.sig" in files and signature.exists()
    result = collect(tmp_path / "hub", SignatureTrust(keys=(keys.public,)))
    by_purl = {c.purl: c for c in result.components}
    signed = by_purl[f"pkg:huggingface/acme/bert-tiny@{COMMIT}"]
    assert [e.strength for e in signed.evidence] == [Strength.ATTESTED]
    assert signed.version == COMMIT
    [missing] = result.findings
    assert missing.rule == "signature.missing"
    assert missing.purl == f"pkg:huggingface/acme/unsigned@{COMMIT}"


def test_tampered_hub_blob_is_a_mismatch(tmp_path: Path) -> None:
    keys = key_pair(tmp_path / "keys", "publisher")
    published = make_model(tmp_path / "published")
    sign_with_key(published, keys.private)
    files = {
        p.relative_to(published).as_posix(): p.read_bytes()
        for p in published.rglob("*")
        if p.is_file()
    }
    files["config.json"] = b'{"model_type": "evil"}'
    hf_cache(tmp_path / "hub", "acme/bert-tiny", files)
    [found] = collect(tmp_path / "hub", SignatureTrust(keys=(keys.public,))).findings
    assert found.rule == "signature.file-mismatch"
    assert found.purl == f"pkg:huggingface/acme/bert-tiny@{COMMIT}"
    assert "changed: config.json" in found.message


def test_dataset_snapshot_purl_carries_its_repository_type() -> None:
    [root] = model_roots([f"datasets--org--data/snapshots/{COMMIT}/train.safetensors"], "hub")
    assert root.purl == f"pkg:huggingface/org/data@{COMMIT}?repository_type=dataset"


def test_model_at_the_tree_root_is_named_after_the_target() -> None:
    [root] = model_roots(["model.sig", "weights.gguf"], "/models/llama-tiny")
    assert (root.path, root.name, root.weights) == ("", "llama-tiny", True)


@given(st.binary(max_size=400))
def test_signature_kind_rejects_any_bytes_cleanly(data: bytes) -> None:
    try:
        signature_kind(data)
    except SignatureInvalid as exc:
        assert exc.reason


_segment = st.text(st.characters(categories=("Ll", "Nd"), include_characters="-._"), min_size=1)


@given(st.lists(st.lists(_segment, min_size=1, max_size=5).map("/".join), max_size=20))
def test_model_roots_never_overlap_and_contain_their_files(paths: list[str]) -> None:
    roots = model_roots(paths, "target")
    assert len({r.path for r in roots}) == len(roots)
    for root in roots:
        assert root.purl is None or root.purl.startswith("pkg:huggingface/")


def test_keyless_signature_is_checked_by_sigstore_against_identity(tmp_path: Path) -> None:
    """A bundle that claims a keyless (Fulcio) certificate, here from our own CA: with an
    identity configured, sigstore-python checks it against the public trust root and refuses
    it; without one, it is reported as unverified."""
    from cryptography.hazmat.primitives import serialization

    pki = chain(tmp_path / "pki")
    model = make_model(tmp_path / "scan" / "m")
    signature = sign_with_key(model, pki.leaf_key)
    bundle = json.loads(signature.read_text())
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(pki.leaf_cert.read_bytes())
    raw = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    bundle["verificationMaterial"] = {"certificate": {"rawBytes": raw}, "tlogEntries": []}
    signature.write_text(json.dumps(bundle))
    [unverified] = collect(tmp_path / "scan", SignatureTrust()).findings
    assert (
        unverified.rule == "signature.unverified" and "--signature-identity" in unverified.message
    )
    trust = SignatureTrust(
        identities=("signer@example.test",),
        issuer="https://issuer.invalid",
        trust_config=public_trust_config(tmp_path / "trust.json"),
    )
    [found] = collect(tmp_path / "scan", trust).findings
    assert found.rule == "signature.invalid"
    # Without a trust config: the public root the sigstore wheel ships, read offline.
    shipped = SignatureTrust(identities=trust.identities, issuer=trust.issuer)
    [again] = collect(tmp_path / "scan", shipped).findings
    assert again.rule == "signature.invalid" and again.message == found.message


def test_partial_hub_download_is_attested_for_the_files_present(tmp_path: Path) -> None:
    keys = key_pair(tmp_path / "keys", "publisher")
    published = make_model(tmp_path / "published")
    sign_with_key(published, keys.private)
    files = {
        p.relative_to(published).as_posix(): p.read_bytes()
        for p in published.rglob("*")
        if p.is_file() and p.name != "model.onnx"  # downloaded with allow_patterns
    }
    hf_cache(tmp_path / "hub", "acme/bert-tiny", files)
    result = collect(tmp_path / "hub", SignatureTrust(keys=(keys.public,)))
    assert result.findings == ()
    [component] = result.components
    assert [e.field for e in component.evidence] == ["signer", "signature.partial"]
    assert "missing: onnx/model.onnx" in component.evidence[1].value
    # In a plain folder the same absence is a mismatch: a copy of a model must be whole.
    (published / "onnx" / "model.onnx").unlink()
    [found] = collect(published.parent, SignatureTrust(keys=(keys.public,))).findings
    assert found.rule == "signature.file-mismatch"
