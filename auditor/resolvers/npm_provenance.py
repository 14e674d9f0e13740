"""npm provenance: Sigstore bundles from the registry's attestations endpoint, verified.

The registry answers `GET /-/npm/v1/attestations/<name>@<version>` with
`{"attestations": [{"predicateType": …, "bundle": <Sigstore bundle>}]}` (npm's
provenance docs; pacote's test fixtures). The SLSA provenance bundle is signed with a
Fulcio certificate whose extensions name the source repository, owner and workflow
(fulcio docs/oid-info.md). We verify it with the `sigstore` library against the public-good
trust root it ships (offline: no trust-root refresh during a scan), then bind it to the
package: the in-toto subject must be `pkg:npm/<name>@<version>` with the sha512 the
registry's `dist.integrity` states. Anything that cannot be verified is reported as such,
with the reason, and its claims are never stronger than `declared`.

Kept self-contained on purpose: issue 9 verifies PyPI's PEP 740 bundles separately; the two
may later share the certificate-extension reader below.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sigstore.verify import Verifier

SLSA_PREFIX = "https://slsa.dev/provenance/"
OID_PREFIX = "1.3.6.1.4.1.57264.1."
EXTENSIONS = {
    "8": "issuer",
    "9": "build_signer_uri",
    "12": "source_repository_uri",
    "13": "source_repository_digest",
    "14": "source_repository_ref",
    "16": "source_repository_owner_uri",
    "17": "source_repository_owner_id",
    "21": "run_invocation_uri",
}
"""Fulcio OIDs (1.3.6.1.4.1.57264.1.N, all DER UTF8String) this module reports."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """What one provenance bundle says, and whether it was verified."""

    predicate_type: str
    verified: bool
    reason: str | None
    """Why it could not be verified; None when verified."""
    facts: tuple[tuple[str, str], ...] = ()
    """(name, value): certificate extensions when verified, else the statement's claims."""

    def fact(self, name: str) -> str | None:
        """The first value of `name`, if present."""
        return next((v for k, v in self.facts if k == name), None)


def provenance_bundles(doc: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """(predicateType, bundle) for the SLSA provenance entries of an attestations answer."""
    items = doc.get("attestations") if isinstance(doc, dict) else None
    return [
        (str(item["predicateType"]), item["bundle"])
        for item in items or ()
        if isinstance(item, dict)
        and str(item.get("predicateType", "")).startswith(SLSA_PREFIX)
        and isinstance(item.get("bundle"), dict)
    ]


def verify(
    predicate_type: str,
    bundle: Mapping[str, Any],
    subject: str,
    digest: tuple[str, str] | None,
) -> Provenance:
    """Verify `bundle` and bind it to `subject` (npm: the version's purl) and `digest`
    ((algorithm, hex); npm: the sha512 of `dist.integrity`). No digest: never bound."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle

    claimed = tuple(_statement_claims(bundle))
    try:
        parsed = Bundle.from_json(json.dumps(_without_nulls(bundle)))
        _, payload = _verifier().verify_dsse(parsed, _no_identity_policy())
    except (SigstoreError, ValueError) as exc:
        return Provenance(predicate_type, False, _first_line(exc), claimed)
    statement = json.loads(payload)
    if not _binds(statement, subject, digest):
        algorithm = digest[0] if digest else "digest"
        reason = f"signed statement is not about {subject} with the registry's {algorithm}"
        return Provenance(predicate_type, False, reason, claimed)
    facts = tuple(_certificate_facts(parsed.signing_certificate))
    return Provenance(predicate_type, True, None, facts)


@cache
def _verifier() -> Verifier:
    """The public-good verifier with the trust root shipped in the sigstore wheel; built once
    per process (it parses the trust root), never refreshed over the network mid-scan."""
    import logging

    from sigstore.verify import Verifier

    # Offline is our choice (a scan never refreshes the trust root); sigstore warns about it
    # on every construction, which would reach the user's terminal as noise.
    logging.getLogger("sigstore._internal.tuf").setLevel(logging.ERROR)
    return Verifier.production(offline=True)


def _no_identity_policy() -> Any:
    """No identity is pinned: *which* repository signed is the answer we are after, read
    from the verified certificate, and compared with the declared one by the caller."""
    import logging

    from sigstore.verify.policy import UnsafeNoOp

    logging.getLogger("sigstore.verify.policy").setLevel(logging.ERROR)
    return UnsafeNoOp()


def _without_nulls(value: Any) -> Any:
    """Protobuf JSON: a null field is an absent field (older bundles write `null`)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _binds(statement: Any, subject: str, digest: tuple[str, str] | None) -> bool:
    subjects = statement.get("subject") if isinstance(statement, dict) else None
    for item in subjects or ():
        if not isinstance(item, dict) or item.get("name") != subject:
            continue
        signed = item.get("digest")
        if digest is not None and isinstance(signed, dict):
            return str(signed.get(digest[0], "")).lower() == digest[1].lower()
    return False


def _statement_claims(bundle: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the unverified statement claims (SLSA v0.2 and v1 layouts)."""
    envelope = bundle.get("dsseEnvelope")
    try:
        raw = base64.b64decode(envelope["payload"]) if isinstance(envelope, dict) else b""
        statement = json.loads(raw) if raw else {}
    except (KeyError, TypeError, ValueError, binascii.Error):
        return []
    predicate = statement.get("predicate") if isinstance(statement, dict) else None
    if not isinstance(predicate, dict):
        return []
    materials = predicate.get("materials") or predicate.get("buildDefinition", {}).get(
        "resolvedDependencies"
    )
    claims = [
        ("source_repository_uri", material["uri"].split("@", 1)[0])
        for material in materials or ()
        if isinstance(material, dict) and isinstance(material.get("uri"), str)
    ]
    source = predicate.get("invocation", {}).get("configSource", {})
    if isinstance(source, dict) and isinstance(source.get("entryPoint"), str):
        claims.append(("build_signer_uri", source["entryPoint"]))
    return claims


def _certificate_facts(certificate: Any) -> list[tuple[str, str]]:
    facts = []
    for extension in certificate.extensions:
        oid = extension.oid.dotted_string
        name = EXTENSIONS.get(oid.removeprefix(OID_PREFIX)) if oid.startswith(OID_PREFIX) else None
        raw = getattr(extension.value, "value", None)
        if name is not None and isinstance(raw, bytes):
            text = _der_utf8(raw)
            if text:
                facts.append((name, text))
    return facts


def _der_utf8(raw: bytes) -> str | None:
    """A DER UTF8String (tag 0x0c) as text; None for anything else."""
    if len(raw) < 2 or raw[0] != 0x0C:
        return None
    length, offset = raw[1], 2
    if length & 0x80:  # long form: the next (length & 0x7f) bytes hold the length
        size = length & 0x7F
        length, offset = int.from_bytes(raw[2 : 2 + size], "big"), 2 + size
    body = raw[offset : offset + length]
    try:
        return body.decode("utf-8") if len(body) == length else None
    except UnicodeDecodeError:
        return None


def _first_line(exc: Exception) -> str:
    # pydantic puts the failing field on the next lines: keep the first three, joined.
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()][:3]
    text = "; ".join(lines)[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
