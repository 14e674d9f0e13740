"""Sigstore bundles and PEP 740 provenance: verified offline, and the signer's identity read.

Two layers. `verify_dsse_bundle` verifies any Sigstore DSSE bundle (PEP 740 attestations
here; npm provenance and model signatures carry the same kind) for one artifact digest
against the Sigstore trust root in effect (`auditor.sigstore_trust`: the one the sigstore
wheel ships, or the user's), with no network, and returns what the signing certificate says
about who built it. `check_provenance` reads an Integrity API
provenance object (shapes: warehouse `docs/user/api/integrity.md`, see
../shared/reference/registries.md §4.3) and verifies each attestation in it with
`pypi-attestations`, which also checks that the certificate matches the Trusted Publisher.

Certificate facts are the Fulcio extensions (fulcio `docs/oid-info.md`): the numeric
repository and owner ids (.15, .17) survive renames and transfers, which is what makes an
owner change between releases detectable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.sigstore_trust import verifier

if TYPE_CHECKING:
    from sigstore.models import Bundle
    from sigstore.verify.policy import VerificationPolicy

FULCIO = "1.3.6.1.4.1.57264.1."
_OIDS = {
    FULCIO + "8": "issuer",
    FULCIO + "9": "build_signer_uri",
    FULCIO + "12": "source_repository_uri",
    FULCIO + "13": "source_repository_digest",
    FULCIO + "14": "source_repository_ref",
    FULCIO + "15": "source_repository_id",
    FULCIO + "16": "source_repository_owner_uri",
    FULCIO + "17": "source_repository_owner_id",
    FULCIO + "21": "run_invocation_uri",
}


class Unverifiable(Exception):
    """A bundle that is present but does not verify (or cannot be read)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What a Fulcio signing certificate says about the build that signed."""

    identity: str | None = None
    """The Subject Alternative Name (workflow URI, e-mail …)."""
    issuer: str | None = None
    build_signer_uri: str | None = None
    source_repository_uri: str | None = None
    source_repository_digest: str | None = None
    source_repository_ref: str | None = None
    source_repository_id: str | None = None
    source_repository_owner_uri: str | None = None
    source_repository_owner_id: str | None = None
    run_invocation_uri: str | None = None

    def items(self) -> Iterator[tuple[str, str]]:
        """(name, value) for every fact present."""
        for f in fields(self):
            value = getattr(self, f.name)
            if value:
                yield f.name, value


def certificate_facts(der: bytes) -> CertificateFacts:
    """Decode a DER certificate's identity and Fulcio extensions; Unverifiable if unreadable."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise Unverifiable(f"unreadable signing certificate: {exc}") from None
    found: dict[str, str] = {}
    for ext in cert.extensions:
        name = _OIDS.get(ext.oid.dotted_string)
        if name is not None and isinstance(ext.value, x509.UnrecognizedExtension):
            text = _der_utf8(ext.value.value)
            if text is not None:
                found[name] = text
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(v) for v in san.get_values_for_type(x509.UniformResourceIdentifier)]
        names += [str(v) for v in san.get_values_for_type(x509.RFC822Name)]
        found["identity"] = names[0] if names else ""
    except x509.ExtensionNotFound:
        pass
    return CertificateFacts(**found)


def _der_utf8(raw: bytes) -> str | None:
    """A DER UTF8String (the V2 extensions, .8 on) or, for the V1 ones, the raw text."""
    if len(raw) >= 2 and raw[0] == 0x0C:
        length, offset = raw[1], 2
        if length & 0x80:
            width = length & 0x7F
            length, offset = int.from_bytes(raw[2 : 2 + width], "big"), 2 + width
        body = raw[offset : offset + length]
        if len(body) != length:
            return None
    else:
        body = raw
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


class _AnySigner:
    """A policy accepting every signer: the caller compares the identity afterwards.

    (sigstore's own UnsafeNoOp does the same but logs a warning on every use.)
    """

    def verify(self, cert: object) -> None:
        """Accept."""


@dataclass(frozen=True, slots=True)
class Verified:
    """A bundle that verified: the signer's certificate facts and the statement's subject."""

    facts: CertificateFacts
    predicate_type: str
    subjects: tuple[str, ...]
    """The names the statement gives these bytes: its subjects whose digest is the one
    asked about (file names for PEP 740, purls for npm)."""


def verify_dsse_bundle(
    bundle: Bundle,
    digest: tuple[str, str],
    trust: Path | None = None,
    policy: VerificationPolicy | None = None,
) -> Verified:
    """Verify a DSSE bundle signs an in-toto statement about the artifact with this digest
    ((algorithm, hex): `sha256` for PyPI, `sha512` for npm).

    Checks the signature, certificate chain, transparency-log inclusion and the statement's
    subject digest, offline, against `trust` (a Sigstore trust config; None: the public-good
    root). The identity policy defaults to accepting any signer: callers compare the returned
    certificate facts with what they were told. Raises Unverifiable with the reason.
    """
    import sigstore.errors
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        payload_type, payload = verifier(trust).verify_dsse(bundle, policy or _AnySigner())
    except sigstore.errors.Error as exc:
        raise Unverifiable(f"signature does not verify: {exc}") from None
    if payload_type != "application/vnd.in-toto+json":
        raise Unverifiable(f"not an in-toto statement: {payload_type}")
    algorithm, expected = digest[0], digest[1].lower()
    try:
        statement = json.loads(payload)
        subjects = [(str(s.get("name", "")), s["digest"]) for s in statement["subject"]]
        predicate_type = str(statement["predicateType"])
        # Only the names given to *these* bytes count: in a statement about several
        # artifacts, a name paired with another artifact's digest says nothing about ours.
        bound = tuple(n for n, d in subjects if str(d.get(algorithm, "")).lower() == expected)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Unverifiable("malformed in-toto statement") from None
    if not bound:
        raise Unverifiable(f"the statement is about other bytes (subject {algorithm} differs)")
    der = bundle.signing_certificate.public_bytes(Encoding.DER)
    return Verified(certificate_facts(der), predicate_type, bound)


@dataclass(frozen=True, slots=True)
class Publisher:
    """A Trusted Publisher as the provenance object names it."""

    kind: str
    repository: str | None = None
    workflow: str | None = None
    environment: str | None = None
    email: str | None = None

    @property
    def repository_url(self) -> str | None:
        """The code-host URL for GitHub and GitLab publishers."""
        hosts = {"GitHub": "github.com", "GitLab": "gitlab.com"}
        host = hosts.get(self.kind)
        return f"https://{host}/{self.repository}" if host and self.repository else None


@dataclass(frozen=True, slots=True)
class Attested:
    """One attestation of a file: who published it and whether it verifies."""

    publisher: Publisher
    predicate_type: str | None
    facts: CertificateFacts
    verified: bool
    reason: str | None = None
    """Why it does not verify."""

    def to_json(self) -> dict[str, Any]:
        """A JSON value `from_json` reads back (for kept verdicts)."""
        return {
            "publisher": asdict(self.publisher),
            "predicate_type": self.predicate_type,
            "facts": asdict(self.facts),
            "verified": self.verified,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, value: Any) -> Attested:
        """The inverse of `to_json`; TypeError or KeyError for anything else."""
        return cls(
            Publisher(**value["publisher"]),
            value["predicate_type"],
            CertificateFacts(**value["facts"]),
            value["verified"] is True,
            value["reason"],
        )


def check_provenance(
    body: bytes, filename: str, sha256: str, trust: Path | None = None
) -> tuple[Attested, ...]:
    """Every attestation in an Integrity API provenance object, verified for this file.

    Each must verify (`verify_dsse_bundle`), name this file and be signed by the Trusted
    Publisher the object names. A provenance object that cannot be parsed raises
    Unverifiable; an attestation that does not verify is returned with the reason.
    """
    from pydantic import ValidationError
    from pypi_attestations import Provenance

    try:
        provenance = Provenance.model_validate_json(body)
    except ValidationError as exc:
        raise Unverifiable(f"malformed provenance object ({exc.error_count()} errors)") from None
    results: list[Attested] = []
    for bundle in provenance.attestation_bundles:
        raw = bundle.publisher.model_dump()
        publisher = Publisher(
            kind=str(raw.get("kind")),
            repository=raw.get("repository") or raw.get("vcs_origin"),
            workflow=raw.get("workflow") or raw.get("workflow_filepath"),
            environment=raw.get("environment") or None,
            email=raw.get("email"),
        )
        for attestation in bundle.attestations:
            facts = CertificateFacts()
            try:
                facts = certificate_facts(bytes(attestation.verification_material.certificate))
                verified = verify_dsse_bundle(attestation.to_bundle(), ("sha256", sha256), trust)
                if filename not in verified.subjects:
                    raise Unverifiable(f"the statement names {', '.join(verified.subjects)}")
                mismatch = _publisher_mismatch(publisher, verified.facts)
                if mismatch:
                    raise Unverifiable(mismatch)
            except Unverifiable as exc:
                results.append(Attested(publisher, None, facts, False, exc.reason))
            except Exception as exc:  # a malformed bundle can fail deep inside sigstore
                results.append(Attested(publisher, None, facts, False, repr(exc)))
            else:
                results.append(Attested(publisher, verified.predicate_type, facts, True))
    return tuple(results)


def _publisher_mismatch(publisher: Publisher, facts: CertificateFacts) -> str | None:
    """Why the certificate was not issued to this Trusted Publisher; None when it was."""
    if publisher.kind in ("GitHub", "GitLab"):
        expected = (publisher.repository_url or "").lower()
        if (facts.source_repository_uri or "").lower() != expected:
            return f"signed by {facts.source_repository_uri}, not the publisher {expected}"
        signer = facts.build_signer_uri or facts.identity or ""
        if (
            publisher.kind == "GitHub"
            and publisher.workflow
            and (f"/.github/workflows/{publisher.workflow}@" not in signer)
        ):
            return f"signed by workflow {signer}, not {publisher.workflow}"
    elif publisher.kind == "Google" and publisher.email != facts.identity:
        return f"signed by {facts.identity}, not the publisher {publisher.email}"
    return None
