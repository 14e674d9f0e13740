"""Cosign-style signatures and in-toto attestations stored with an image in an OCI layout.

Found two ways, as cosign and the OCI 1.1 referrers spec store them:
* tags `sha256-<digest>.sig` / `.att` (the `org.opencontainers.image.ref.name` annotation in
  `index.json`): simple-signing layers signed with ECDSA (`dev.cosignproject.cosign/signature`)
  and DSSE-enveloped in-toto statements;
* manifests whose `subject` is the image (listed in `index.json`, or in the `sha256-<digest>`
  referrers-tag index), each carrying a Sigstore bundle (cosign's BUNDLE_SPEC).
Signatures are checked with `cryptography` against configured keys or certificate chains,
keyless bundles with sigstore-python against identity + issuer. SLSA provenance (v0.2, v1)
in a verified attestation becomes `attested` evidence: builder, source repository, commit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from OpenSSL import crypto

from auditor.bounded import load_json
from auditor.errors import ConfigError, ParseError
from auditor.model import Evidence, Finding, Strength
from auditor.policy.builtin import finding
from auditor.signatures import SignatureTrust
from auditor.signatures.model_signature import certificate_signer
from auditor.signatures.oci_layout import Artifact, artifacts, blob_path
from auditor.signatures.slsa import at, objects, slsa_provenance
from auditor.sigstore_trust import verifier as sigstore_verifier
from auditor.sources import Tree

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
CHAIN_ANNOTATION = "dev.sigstore.cosign/chain"
IN_TOTO = "application/vnd.in-toto+json"
SOURCE = "cosign"


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Unverifiable(Exception):
    """No key, chain or identity is configured that this signature could be checked with."""


def image_signature_evidence(
    layout: Tree | Path,
    manifest_digest: str,
    image_purl: str,
    trust: SignatureTrust,
    root: str = "",
    now: datetime | None = None,
) -> tuple[tuple[Evidence, ...], tuple[Finding, ...]]:
    """Evidence and findings about image `manifest_digest` (`sha256:<hex>`) from the
    signatures and attestations stored next to it in the OCI layout at `root` of `layout`.

    A malformed `index.json` raises ParseError; a malformed signature is a finding.
    """
    if isinstance(layout, Path):
        from auditor.sources.directory import DirectoryTree

        layout = DirectoryTree(str(layout), layout)
    checker = _Checker(layout, root, manifest_digest, image_purl, trust, now or datetime.now(UTC))
    evidence: list[Evidence] = []
    findings: list[Finding] = []
    for artifact in artifacts(layout, root, manifest_digest):
        found, problems = checker.check(artifact)
        evidence += found
        findings += problems
    return tuple(dict.fromkeys(evidence)), tuple(dict.fromkeys(findings))


class _Checker:
    def __init__(
        self,
        tree: Tree,
        root: str,
        digest: str,
        purl: str,
        trust: SignatureTrust,
        now: datetime,
    ) -> None:
        self.tree, self.root, self.digest, self.purl = tree, root, digest, purl
        self.trust, self.now = trust, now
        self.keys = tuple((p, _public_key(p)) for p in trust.keys)

    def check(self, artifact: Artifact) -> tuple[list[Evidence], list[Finding]]:
        evidence: list[Evidence] = []
        findings: list[Finding] = []
        if artifact.problem is not None:
            message = f"{artifact.path}: image signature unreadable: {artifact.problem}"
            return evidence, [finding("signature.invalid", self.purl, message)]
        for layer in objects(artifact.manifest, "layers"):
            media = str(layer.get("mediaType", ""))
            if media not in (SIMPLE_SIGNING, DSSE_ENVELOPE) and not media.startswith(BUNDLE_PREFIX):
                continue
            where = f"{artifact.path}#{layer.get('digest', '')}"
            try:
                data = self._blob(str(layer.get("digest", "")))
                annotations = layer.get("annotations")
                annotations = annotations if isinstance(annotations, dict) else {}
                evidence += self._layer(media, data, annotations, where)
            except _Invalid as exc:
                message = f"{where}: image signature does not verify: {exc.reason}"
                findings.append(finding("signature.invalid", self.purl, message))
            except _Unverifiable as exc:
                message = f"{where}: {exc}; configure --signature-key, --signature-cert-chain "
                message += "or --signature-identity to verify it"
                findings.append(finding("signature.unverified", self.purl, message))
        return evidence, findings

    def _blob(self, digest: str) -> bytes:
        try:
            path = blob_path(self.root, digest)
            data = self.tree.read_bytes(path)
        except ParseError as exc:
            raise _Invalid(f"{exc.path}: {exc.reason}") from None
        if not digest.startswith("sha256:") or hashlib.sha256(data).hexdigest() != digest[7:]:
            raise _Invalid(f"{path}: content does not match its digest")
        return data

    def _layer(
        self, media: str, data: bytes, annotations: dict[str, Any], where: str
    ) -> list[Evidence]:
        if media == SIMPLE_SIGNING:
            payload = _loads(data, "simple-signing payload")
            signed = at(payload, "critical", "image", "docker-manifest-digest")
            if signed != self.digest:
                raise _Invalid(f"signs {signed}, not this image")
            signature = _b64(str(annotations.get(SIGNATURE_ANNOTATION, "")), "signature")
            signer = self._verify(data, signature, annotations, ec.ECDSA(hashes.SHA256()))
            return [Evidence(SOURCE, "signer", signer, where, Strength.ATTESTED)]
        if media == DSSE_ENVELOPE:
            envelope = _loads(data, "DSSE envelope")
            return self._envelope(envelope, lambda m, s: self._verify(
                m, s, annotations, ec.ECDSA(hashes.SHA256())), where)  # fmt: skip
        return self._bundle(_loads(data, "Sigstore bundle"), data, where)

    def _verify(
        self, message: bytes, signature: bytes, annotations: dict[str, Any], algo: Any
    ) -> str:
        """The signer's name once `signature` over `message` verifies."""
        pem = annotations.get(CERTIFICATE_ANNOTATION)
        if pem:
            chain = str(annotations.get(CHAIN_ANNOTATION, "")).encode()
            leaf = self._chained(str(pem).encode(), chain)
            _ec_verify(leaf.public_key(), signature, message, algo)
            return certificate_signer(leaf)
        if not self.keys:
            raise _Unverifiable("key-signed, but no public key is configured")
        for path, key in self.keys:
            try:
                key.verify(signature, message, algo)
            except InvalidSignature:
                continue
            return f"public key {path.name}"
        raise _Invalid("no configured key verifies the signature")

    def _chained(self, leaf_pem: bytes, chain_pem: bytes) -> x509.Certificate:
        if not self.trust.certificate_chains:
            raise _Unverifiable("certificate-signed, but no certificate chain is configured")
        try:
            leaf = x509.load_pem_x509_certificate(leaf_pem)
            intermediates = x509.load_pem_x509_certificates(chain_pem) if chain_pem else []
        except ValueError as exc:
            raise _Invalid(f"unreadable certificate: {exc}") from None
        store = crypto.X509Store()
        for path in self.trust.certificate_chains:
            for cert in x509.load_pem_x509_certificates(path.read_bytes()):
                store.add_cert(crypto.X509.from_cryptography(cert))
        # No Rekor entry or timestamp is read here, so (as cosign does without one) the
        # chain must be valid now: an expired signing certificate is not accepted.
        store.set_time(self.now)
        untrusted = [crypto.X509.from_cryptography(c) for c in intermediates]
        context = crypto.X509StoreContext(store, crypto.X509.from_cryptography(leaf), untrusted)
        try:
            context.verify_certificate()
        except crypto.X509StoreContextError as exc:
            raise _Invalid(f"certificate chain: {exc}") from None
        return leaf

    def _envelope(self, envelope: dict[str, Any], verify: Any, where: str) -> list[Evidence]:
        payload_type = str(envelope.get("payloadType", ""))
        payload = _b64(str(envelope.get("payload", "")), "DSSE payload")
        message = pae(payload_type, payload)
        signer: str | None = None
        reasons: list[str] = []
        for entry in objects(envelope, "signatures"):
            try:
                signer = verify(message, _b64(str(entry.get("sig", "")), "DSSE signature"))
                break
            except _Invalid as exc:
                reasons.append(exc.reason)
        if signer is None:
            raise _Invalid("; ".join(reasons) or "the envelope holds no signature")
        return self._statement(payload_type, payload, signer, where)

    def _statement(
        self, payload_type: str, payload: bytes, signer: str, where: str
    ) -> list[Evidence]:
        if payload_type != IN_TOTO:
            raise _Invalid(f"payload type {payload_type!r} is not an in-toto statement")
        statement = _loads(payload, "in-toto statement")
        hexdigest = self.digest.partition(":")[2]
        if not any(at(s, "digest", "sha256") == hexdigest for s in objects(statement, "subject")):
            raise _Invalid("the attestation's subject is another artifact, not this image")
        predicate_type = str(statement.get("predicateType", ""))
        found = [
            Evidence(SOURCE, "attestation.signer", signer, where, Strength.ATTESTED),
            Evidence(SOURCE, "attestation.predicateType", predicate_type, where, Strength.ATTESTED),
        ]
        for field, value in slsa_provenance(predicate_type, statement.get("predicate")):
            found.append(Evidence(SOURCE, field, value, where, Strength.ATTESTED))
        return found

    def _bundle(self, bundle: dict[str, Any], raw: bytes, where: str) -> list[Evidence]:
        material = at(bundle, "verificationMaterial")
        material = material if isinstance(material, dict) else {}
        if "certificate" in material and self.trust.identities:
            return self._keyless(raw, bundle, where)
        leaf_pem = _bundle_certificate(material)
        annotations = {CERTIFICATE_ANNOTATION: leaf_pem.decode()} if leaf_pem else {}
        if isinstance(bundle.get("dsseEnvelope"), dict):
            envelope = bundle["dsseEnvelope"]
            return self._envelope(envelope, lambda m, s: self._verify(
                m, s, annotations, ec.ECDSA(hashes.SHA256())), where)  # fmt: skip
        digest = _b64(str(at(bundle, "messageSignature", "messageDigest", "digest")), "digest")
        algorithm = at(bundle, "messageSignature", "messageDigest", "algorithm")
        if algorithm != "SHA2_256" or digest.hex() != self.digest.partition(":")[2]:
            raise _Invalid("the bundle signs another artifact, not this image's manifest")
        signature = _b64(str(at(bundle, "messageSignature", "signature")), "signature")
        algo = ec.ECDSA(Prehashed(hashes.SHA256()))
        signer = self._verify(digest, signature, annotations, algo)
        return [Evidence(SOURCE, "signer", signer, where, Strength.ATTESTED)]

    def _keyless(self, raw: bytes, bundle: dict[str, Any], where: str) -> list[Evidence]:
        from sigstore.errors import Error as SigstoreError
        from sigstore.hashes import Hashed
        from sigstore.models import Bundle
        from sigstore.verify import policy
        from sigstore_models.common.v1 import HashAlgorithm

        issuer = self.trust.issuer or ""
        # The shipped public root, offline, unless the user names their own (ConfigError).
        verifier = sigstore_verifier(self.trust.trust_config)
        try:
            parsed = Bundle.from_json(raw)
        except Exception as exc:  # pydantic/protobuf errors: a malformed bundle
            raise _Invalid(f"malformed bundle: {exc}") from None
        reasons = []
        for identity in self.trust.identities:
            rule = policy.Identity(identity=identity, issuer=issuer)
            signer = f"{identity} (issuer {issuer})"
            try:
                if "dsseEnvelope" in bundle:
                    payload_type, payload = verifier.verify_dsse(parsed, rule)
                    return self._statement(payload_type, payload, signer, where)
                hashed = Hashed(
                    algorithm=HashAlgorithm.SHA2_256,
                    digest=bytes.fromhex(self.digest.partition(":")[2]),
                )
                verifier.verify_artifact(hashed, parsed, rule)
                return [Evidence(SOURCE, "signer", signer, where, Strength.ATTESTED)]
            except SigstoreError as exc:
                reasons.append(str(exc))
        raise _Invalid("; ".join(dict.fromkeys(reasons)))


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what an envelope's signatures sign."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _bundle_certificate(material: dict[str, Any]) -> bytes | None:
    chain = objects(material.get("x509CertificateChain"), "certificates")
    raw = at(chain[0] if chain else material.get("certificate"), "rawBytes")
    if not raw:
        return None
    try:
        cert = x509.load_der_x509_certificate(_b64(str(raw), "certificate"))
    except ValueError as exc:
        raise _Invalid(f"unreadable certificate: {exc}") from None
    return cert.public_bytes(serialization.Encoding.PEM)


def _public_key(path: Path) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a PEM public key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigError(f"{path}: cosign signatures need an EC public key")
    return key


def _ec_verify(key: object, signature: bytes, message: bytes, algo: Any) -> None:
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise _Invalid("the signing certificate holds no EC key")
    try:
        key.verify(signature, message, algo)
    except InvalidSignature:
        raise _Invalid("the signature does not match the signing certificate's key") from None


def _loads(data: bytes, what: str) -> dict[str, Any]:
    try:
        doc = load_json(data)
    except ValueError as exc:
        raise _Invalid(f"{what}: invalid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise _Invalid(f"{what}: expected a JSON object")
    return doc


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"{what}: not base64") from None
