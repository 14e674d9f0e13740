"""Verify an OpenSSF model signature (`model.sig`) and return the manifest it signs.

The signature is a Sigstore bundle (media type v0.3) whose DSSE envelope carries an in-toto
statement with predicate `https://model_signing/signature/v1.0`: one resource (path or
`path:start:end` shard, algorithm, digest) per file. model_signing's own verifiers check the
envelope against a public key, a certificate chain or a Sigstore identity and expand it to a
Manifest; re-hashing the files is left to the caller (it works over a Tree, not a folder).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum, unique
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from cryptography.x509.oid import NameOID
from model_signing import manifest as ms_manifest
from model_signing._signing import sign_certificate, sign_ec_key, sign_sigstore, sign_sigstore_pb
from model_signing._signing import signing as ms_signing

from auditor.bounded import load_json
from auditor.errors import ConfigError
from auditor.signatures import SignatureTrust
from auditor.sigstore_trust import verifier as sigstore_verifier

T = TypeVar("T")
S = TypeVar("S", bound=ms_signing.Signature)

BUNDLE_MEDIA_PREFIX = "application/vnd.dev.sigstore.bundle"


@unique
class SignatureKind(StrEnum):
    """How the bundle says it was signed (its verification material)."""

    KEY = "key"
    CERTIFICATE = "certificate"
    SIGSTORE = "sigstore"


class SignatureInvalid(Exception):
    """The signature does not verify (or is no signature at all); `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureUnverifiable(Exception):
    """Nothing is configured that could verify this kind of signature."""

    def __init__(self, kind: SignatureKind) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class SignedResource:
    """One entry of the signed manifest."""

    identifier: str
    """A path (`files` serialisation) or `path:start:end` (`shards`), relative to the model."""
    algorithm: str
    digest: str
    """Lower-case hex."""


@dataclass(frozen=True, slots=True)
class SignedManifest:
    """What a verified signature vouches for."""

    signer: str
    kind: SignatureKind
    model_name: str
    method: str
    """`files` or `shards`."""
    hash_type: str
    shard_size: int | None
    ignore_paths: tuple[str, ...]
    resources: tuple[SignedResource, ...]


class ModelSignatureVerifier:
    """Verifies model.sig bundles against one SignatureTrust; build once per scan."""

    def __init__(self, trust: SignatureTrust, now: datetime) -> None:
        self.trust = trust
        self.now = now
        self._keys = tuple((p, _load(p, sign_ec_key.Verifier)) for p in trust.keys)
        self._chain = (
            _load(trust.certificate_chains, sign_certificate.Verifier)
            if trust.certificate_chains
            else None
        )
        self._sigstore: dict[str, sign_sigstore.Verifier] = {}

    def verify(self, data: bytes) -> SignedManifest:
        """The signed manifest; SignatureInvalid or SignatureUnverifiable otherwise."""
        kind = signature_kind(data)
        if kind is SignatureKind.KEY:
            return self._by_key(data)
        if kind is SignatureKind.CERTIFICATE:
            return self._by_certificate(data)
        return self._by_identity(data)

    def _by_key(self, data: bytes) -> SignedManifest:
        if not self._keys:
            raise SignatureUnverifiable(SignatureKind.KEY)
        signature = _read(data, sign_sigstore_pb.Signature.read)
        key_id = signature.bundle.verification_material.public_key
        hint = (key_id.hint if key_id is not None else None) or ""
        reasons = []
        for path, verifier in self._keys:
            try:
                found = _verified(verifier, signature)
            except SignatureInvalid as exc:
                reasons.append(f"{path.name}: {exc.reason}")
                continue
            return _signed(found, f"public key {path.name} (sha256:{hint})", SignatureKind.KEY)
        raise SignatureInvalid("no configured key verifies it: " + "; ".join(reasons))

    def _by_certificate(self, data: bytes) -> SignedManifest:
        if self._chain is None:
            raise SignatureUnverifiable(SignatureKind.CERTIFICATE)
        signature = _read(data, sign_sigstore_pb.Signature.read)
        found = _verified(self._chain, signature)
        chain = signature.bundle.verification_material.x509_certificate_chain
        assert chain is not None  # the verifier has just checked it
        leaf = x509.load_der_x509_certificate(chain.certificates[0].raw_bytes)
        # model_signing checks the chain at the leaf's notBefore. These bundles carry no
        # trusted timestamp, so nothing proves the signing happened before the leaf expired:
        # like cosign without a timestamp, an expired leaf is not accepted.
        if leaf.not_valid_after_utc < self.now:
            raise SignatureInvalid(
                f"signing certificate expired on {leaf.not_valid_after_utc.date().isoformat()}"
                " and the bundle has no trusted timestamp"
            )
        return _signed(found, certificate_signer(leaf), SignatureKind.CERTIFICATE)

    def _by_identity(self, data: bytes) -> SignedManifest:
        if not self.trust.identities or self.trust.issuer is None:
            raise SignatureUnverifiable(SignatureKind.SIGSTORE)
        signature = _read(data, sign_sigstore.Signature.read)
        reasons = []
        for identity in self.trust.identities:
            try:
                found = _verified(self._sigstore_verifier(identity), signature)
            except SignatureInvalid as exc:
                reasons.append(exc.reason)
                continue
            signer = f"{identity} (issuer {self.trust.issuer})"
            return _signed(found, signer, SignatureKind.SIGSTORE)
        raise SignatureInvalid("; ".join(dict.fromkeys(reasons)))

    def _sigstore_verifier(self, identity: str) -> sign_sigstore.Verifier:
        if identity not in self._sigstore:
            issuer, config = self.trust.issuer, self.trust.trust_config
            assert issuer is not None  # checked by the caller
            self._sigstore[identity] = _OfflineSigstoreVerifier(identity, issuer, config)
        return self._sigstore[identity]


def signature_kind(data: bytes) -> SignatureKind:
    """What verification material the bundle carries; SignatureInvalid when it is no bundle."""
    try:
        bundle = load_json(data)
    except ValueError as exc:
        raise SignatureInvalid(f"not a Sigstore bundle: invalid JSON ({exc})") from None
    if not isinstance(bundle, dict) or not str(bundle.get("mediaType", "")).startswith(
        BUNDLE_MEDIA_PREFIX
    ):
        raise SignatureInvalid("not a Sigstore bundle: no bundle mediaType")
    material = bundle.get("verificationMaterial")
    if not isinstance(material, dict):
        raise SignatureInvalid("not a Sigstore bundle: no verificationMaterial")
    if "publicKey" in material:
        return SignatureKind.KEY
    if "x509CertificateChain" in material:
        return SignatureKind.CERTIFICATE
    if "certificate" in material:
        return SignatureKind.SIGSTORE
    raise SignatureInvalid("verificationMaterial names no key, certificate or chain")


def certificate_signer(leaf: x509.Certificate) -> str:
    """The leaf's identity (SAN email/URI, else subject CN) and its issuer's CN."""
    names: list[str] = []
    with contextlib.suppress(x509.ExtensionNotFound):
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*san.get_values_for_type(x509.RFC822Name)]
        names += san.get_values_for_type(x509.UniformResourceIdentifier)
    if not names:
        names = [str(a.value) for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    issuer = [str(a.value) for a in leaf.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)]
    who = ", ".join(names) or leaf.subject.rfc4514_string()
    return f"{who} (certificate issued by {', '.join(issuer) or leaf.issuer.rfc4514_string()})"


def _load(arg: Any, factory: Callable[[Any], T]) -> T:
    try:
        return factory(arg)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"{arg}: not a usable EC public key or PEM certificate chain: {exc}",
            hint="model signatures use EC P-256/384/521 keys in PEM form",
        ) from None


def _read(data: bytes, reader: Callable[[Path], S]) -> S:
    """The library reads bundles from paths only; a temporary copy keeps its parsing ours."""
    with tempfile.TemporaryDirectory(prefix="auditor-sig-") as scratch:
        path = Path(scratch) / "model.sig"
        path.write_bytes(data)
        try:
            return reader(path)
        except Exception as exc:  # pydantic/protobuf/KeyError: any parse failure is invalid
            raise SignatureInvalid(f"malformed bundle: {_first_line(exc)}") from None


def _verified(
    verifier: ms_signing.Verifier, signature: ms_signing.Signature
) -> ms_manifest.Manifest:
    # Verifiers raise ValueError, cryptography's InvalidSignature, OpenSSL's store errors or
    # sigstore's VerificationError; every one means "not verified", so all are caught here.
    # The library prints a warning for old key bundles; output belongs to the CLI alone.
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return verifier.verify(signature)
    except Exception as exc:
        raise SignatureInvalid(_first_line(exc) or type(exc).__name__) from None


def _signed(found: ms_manifest.Manifest, signer: str, kind: SignatureKind) -> SignedManifest:
    params = found.serialization_type
    shard = params.get("shard_size")
    return SignedManifest(
        signer=signer,
        kind=kind,
        model_name=found.model_name,
        method=str(params.get("method", "files")),
        hash_type=str(params.get("hash_type", "sha256")),
        shard_size=int(shard) if shard is not None else None,
        ignore_paths=tuple(str(p) for p in params.get("ignore_paths", ())),
        resources=tuple(_resources(found)),
    )


def _resources(found: ms_manifest.Manifest) -> Iterator[SignedResource]:
    for descriptor in found.resource_descriptors():
        digest = descriptor.digest
        yield SignedResource(descriptor.identifier, digest.algorithm, digest.digest_hex)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class _OfflineSigstoreVerifier(sign_sigstore.Verifier):
    """model_signing's Sigstore verifier on our trust root: the one the sigstore wheel
    ships (model_signing's own constructor would refresh the public root over the network
    on every scan) or the user's trust config, bare trusted roots included
    (`auditor.sigstore_trust`); the identity policy is model_signing's."""

    def __init__(self, identity: str, issuer: str, config: Path | None) -> None:
        # Not super().__init__: what it would build is exactly these two attributes, from a
        # trust root it fetches itself.
        from sigstore.verify import policy

        self._verifier = sigstore_verifier(config)
        self._policy = policy.Identity(identity=identity, issuer=issuer)
