"""The Sigstore trust root in effect, and a verifier that also reads npm's provenance bundles.

Trust: the public-good root shipped in the sigstore wheel (read offline: a scan never
refreshes it over the network), or the user's own Sigstore ClientTrustConfig or trusted-root
JSON (`--signature-trust-config`, for private deployments; it replaces the public root for
every Sigstore check, so a config that should accept both lists both).

npm's provenance bundles record their DSSE envelope in Rekor as `intoto` 0.0.2 entries
(sigstore-js's `toProposedIntotoEntry`). sigstore-python verifies only `dsse` 0.0.1 and
`hashedrekord` 0.0.2 entries (sigstore/sigstore-python#1384, still open), so every real npm
bundle would be "unverifiable". `Verifier` below keeps every check of sigstore's verifier —
certificate chain at the log's signed time, SCT, Fulcio profile, inclusion proof, signed
checkpoint, inclusion promise, DSSE signature — and adds the one step sigstore lacks for
this entry kind: binding the logged entry to the bundle (payload hash, payload type, the one
signature, and the full signing certificate), as sigstore-js does and as
sigstore/sigstore-python#1902 proposed.

This module knows none of its users (resolvers, signature checks): they import it. The
fingerprint a kept verdict is reused under (this module's code among its inputs) is made by
its user, `auditor.resolvers.verdicts`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import ConfigError

if TYPE_CHECKING:
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify import Verifier as _SigstoreVerifier
    from sigstore.verify.policy import VerificationPolicy

_SHIPPED_ROOT = ("_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "trusted_root.json")
INTOTO = ("intoto", "0.0.2")


_MEDIA_TYPES = (
    "application/vnd.dev.sigstore.trustedroot",
    "application/vnd.dev.sigstore.clienttrustconfig",
)


def check_trust_config(config: Path) -> None:
    """ConfigError unless `config` looks like a trust config or trusted root: cheap (the
    sigstore models cost 0.4 s to import, which a scan answered from kept verdicts never
    pays); `trusted_root` parses it fully when a bundle is first verified."""
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _unusable(config, str(exc)) from None
    media = doc.get("mediaType") if isinstance(doc, dict) else None
    if not isinstance(media, str) or not media.startswith(_MEDIA_TYPES):
        raise _unusable(config, "no Sigstore trusted-root or client-trust-config mediaType")


def _unusable(config: Path, why: str) -> ConfigError:
    return ConfigError(
        f"{config}: not a usable Sigstore trust config: {why.splitlines()[0][:200]}",
        hint="check --signature-trust-config / AUDITOR_SIGNATURE_TRUST_CONFIG",
    )


def trusted_root(config: Path | None) -> TrustedRoot:
    """The user's trust config (ClientTrustConfig or bare trusted root), else the shipped
    public-good root; ConfigError (exit 2) when the user's file is unusable."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig, TrustedRoot

    if config is None:
        shipped = resources.files("sigstore").joinpath(*_SHIPPED_ROOT)
        if shipped.is_file():
            return TrustedRoot.from_file(str(shipped))
        # A wheel layout change: sigstore's own offline copy of the same root.
        return ClientTrustConfig.production(offline=True).trusted_root
    try:
        text = config.read_text(encoding="utf-8")
        if "trustedRoot" in json.loads(text):
            return ClientTrustConfig.from_json(text).trusted_root
        return TrustedRoot.from_file(str(config))
    except (OSError, ValueError, TypeError, SigstoreError) as exc:
        raise _unusable(config, str(exc)) from None


@cache
def verifier(config: Path | None = None) -> _SigstoreVerifier:
    """sigstore's verifier on that trust root, with npm's entry kind; one per root and
    process (building it parses the root)."""
    from sigstore.verify import Verifier as SigstoreVerifier

    class Verifier(SigstoreVerifier):
        def _establish_time(self, bundle: Bundle) -> list[Any]:
            if _kind(bundle) != INTOTO:
                return super()._establish_time(bundle)
            return _intoto_times(self, bundle)

        def verify_dsse(self, bundle: Bundle, policy: VerificationPolicy) -> tuple[str, bytes]:
            if _kind(bundle) != INTOTO:
                return super().verify_dsse(bundle, policy)
            return _verify_intoto(self, bundle, policy)

    return Verifier(trusted_root=trusted_root(config))


def _kind(bundle: Bundle) -> tuple[str, str]:
    kind = bundle.log_entry._inner.kind_version
    return kind.kind, kind.version


def _intoto_times(verifier: _SigstoreVerifier, bundle: Bundle) -> list[Any]:
    """As sigstore's own: TSA timestamps, and the log's integrated time when an inclusion
    promise signs it (the promise itself is checked with the entry, later)."""
    from sigstore._internal.timestamp import TimestampSource, TimestampVerificationResult

    times: list[Any] = []
    if bundle.verification_material.timestamp_verification_data:
        times.extend(verifier._verify_timestamp_authority(bundle))
    entry = bundle.log_entry._inner
    if entry.integrated_time and entry.inclusion_promise:
        when = datetime.fromtimestamp(entry.integrated_time, tz=UTC)
        times.append(TimestampVerificationResult(TimestampSource.TRANSPARENCY_SERVICE, when))
    return times


def _verify_intoto(
    verifier: _SigstoreVerifier, bundle: Bundle, policy: VerificationPolicy
) -> tuple[str, bytes]:
    from cryptography.hazmat.primitives.asymmetric import ec
    from sigstore import dsse
    from sigstore.errors import VerificationError

    verifier._verify_common_signing_cert(bundle, policy)  # chain, SCT, profile, log entry
    envelope = bundle._dsse_envelope
    if envelope is None:
        raise VerificationError("an intoto log entry needs a DSSE envelope in the bundle")
    key = bundle.signing_certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise VerificationError("the signing certificate's key is not an EC key")
    dsse._verify(key, envelope)
    _bind_intoto_entry(bundle)
    return envelope._inner.payload_type, envelope._inner.payload


def _bind_intoto_entry(bundle: Bundle) -> None:
    """The logged intoto 0.0.2 entry is about this envelope, signed by this certificate.

    Rekor's canonical form keeps `payloadHash`, the envelope's `payloadType` and its
    signatures (each `sig` base64 of the base64 signature, `publicKey` base64 of the PEM
    certificate); the envelope `hash` is over a JSON form that cannot be rebuilt from a
    parsed bundle, so, as sigstore-js does, it is not recomputed.
    """
    from cryptography import x509
    from sigstore.errors import VerificationError

    envelope = bundle._dsse_envelope
    assert envelope is not None  # checked by the caller
    try:
        body = json.loads(bundle.log_entry._inner.canonicalized_body)
        content = body["spec"]["content"]
        logged = content["envelope"]
        payload_hash = content["payloadHash"]
        signatures = logged["signatures"]
        if (body.get("kind"), body.get("apiVersion")) != INTOTO:
            raise VerificationError("log entry body is not an intoto 0.0.2 entry")
        if len(signatures) != 1 or len(envelope._inner.signatures) != 1:
            raise VerificationError("intoto log entry: exactly one signature is supported")
        signature = base64.b64decode(base64.b64decode(signatures[0]["sig"], validate=True))
        certificate = x509.load_pem_x509_certificate(
            base64.b64decode(signatures[0]["publicKey"], validate=True)
        )
    except VerificationError:
        raise
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise VerificationError(f"malformed intoto log entry: {exc}") from None
    payload = envelope._inner.payload
    if payload_hash.get("algorithm") != "sha256" or not _same_hex(
        payload_hash.get("value"), hashlib.sha256(payload).hexdigest()
    ):
        raise VerificationError("log entry payload hash does not match the bundle")
    if logged.get("payloadType", envelope._inner.payload_type) != envelope._inner.payload_type:
        raise VerificationError("log entry payload type does not match the bundle")
    if signature != envelope._inner.signatures[0].sig:
        raise VerificationError("log entry signature does not match the bundle")
    if certificate != bundle.signing_certificate:
        raise VerificationError("log entry was signed by another certificate")


def _same_hex(value: object, expected: str) -> bool:
    return isinstance(value, str) and value.lower() == expected
