"""npm provenance: Sigstore bundles from the registry's attestations endpoint, verified.

The registry answers `GET /-/npm/v1/attestations/<name>@<version>` with
`{"attestations": [{"predicateType": …, "bundle": <Sigstore bundle>}]}` (npm's
provenance docs; pacote's test fixtures). The SLSA provenance bundle is signed with a
Fulcio certificate whose extensions name the source repository, owner and workflow
(fulcio docs/oid-info.md). It is verified as PyPI's are (`attestations.verify_dsse_bundle`,
offline, against the Sigstore trust root in effect; npm's `intoto` log entries included),
then bound to the package: the in-toto subject must be `pkg:npm/<name>@<version>` with the
sha512 the registry's `dist.integrity` states. Anything that cannot be verified is reported
as such, with the reason, and its claims are never stronger than `declared`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import AuditorError
from auditor.http import Http, Response
from auditor.resolvers.attestations import Unverifiable, verify_dsse_bundle
from auditor.resolvers.verdicts import remembered

SLSA_PREFIX = "https://slsa.dev/provenance/"


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

    def to_json(self) -> list[Any]:
        """A JSON value `from_json` reads back (for kept verdicts)."""
        return [self.predicate_type, self.verified, self.reason, [list(f) for f in self.facts]]

    @classmethod
    def from_json(cls, value: Any) -> Provenance:
        """The inverse of `to_json`; ValueError for anything else."""
        try:
            kind, verified, reason, facts = value
            pairs = tuple((str(k), str(v)) for k, v in facts)
        except (TypeError, ValueError):
            raise ValueError("not a kept provenance verdict") from None
        if not isinstance(kind, str) or not isinstance(verified, bool):
            raise ValueError("not a kept provenance verdict")
        return cls(kind, verified, reason if isinstance(reason, str) else None, pairs)


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


def verify_answer(
    http: Http, reply: Response, subject: str, digest: tuple[str, str] | None, trust: Path | None
) -> list[Provenance]:
    """Every SLSA bundle of an attestations answer, verified (or the verdict kept from an
    earlier scan of the very same answer: `verdicts.remembered`)."""
    return remembered(
        http,
        reply,
        (subject, repr(digest)),
        trust,
        lambda: [verify(t, b, subject, digest, trust) for t, b in provenance_bundles(reply.json())],
        lambda results: [r.to_json() for r in results],
        lambda kept: [Provenance.from_json(v) for v in kept],
    )


def verify(
    predicate_type: str,
    bundle: Mapping[str, Any],
    subject: str,
    digest: tuple[str, str] | None,
    trust: Path | None = None,
) -> Provenance:
    """Verify `bundle` (against `trust`, a Sigstore trust config; None: the public-good root)
    and bind it to `subject` (npm: the version's purl) and `digest` ((algorithm, hex); npm:
    the sha512 of `dist.integrity`). No digest: never bound."""
    from sigstore.models import Bundle

    claimed = tuple(_statement_claims(bundle))
    if digest is None:
        return Provenance(predicate_type, False, "the registry states no sha512", claimed)
    try:
        parsed = Bundle.from_json(json.dumps(_without_nulls(bundle)))
        verified = verify_dsse_bundle(parsed, digest, trust)
    except Unverifiable as exc:
        return Provenance(predicate_type, False, exc.reason, claimed)
    except AuditorError:
        raise  # the user's trust config is unusable: exit 2, not "unverifiable"
    except Exception as exc:  # a malformed bundle can fail deep inside sigstore
        return Provenance(predicate_type, False, _first_line(exc), claimed)
    if subject not in verified.subjects:
        reason = f"signed statement is not about {subject} with the registry's {digest[0]}"
        return Provenance(predicate_type, False, reason, claimed)
    return Provenance(predicate_type, True, None, tuple(verified.facts.items()))


def _without_nulls(value: Any) -> Any:
    """Protobuf JSON: a null field is an absent field (older bundles write `null`)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


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


def _first_line(exc: Exception) -> str:
    # pydantic puts the failing field on the next lines: keep the first three, joined.
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()][:3]
    text = "; ".join(lines)[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
