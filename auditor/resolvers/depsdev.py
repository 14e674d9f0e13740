"""deps.dev as a second opinion on where a package version's source lives (`--deps-dev`).

Shape: `GET /v3/systems/<system>/packages/<name>/versions/<version>` answers a `Version`
(google/deps.dev `api/v3/api.proto`, JSON over HTTP in protobuf's camelCase mapping):
`attestations[]` (`type`, `verified` — checked by deps.dev with sigstore-go —
`sourceRepository`, `commit`), `slsaProvenances[]` (npm only, same idea) and
`relatedProjects[]` (`projectKey.id` = `github.com/owner/name`, `relationType`
SOURCE_REPO | ISSUE_TRACKER, `relationProvenance` SLSA_ATTESTATION |
PYPI_PUBLISH_ATTESTATION | GO_ORIGIN | UNVERIFIED_METADATA).

What deps.dev verified is a third party's assertion (`registry` strength: we did not check
the signature ourselves); what it read from metadata is `declared`. When its repository for
the version disagrees with ours, the origin gets a conflict and an
`origin.repository-conflict` finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote

from packageurl import PackageURL

from auditor.http import MISSING_STATUSES, FetchError, NotCached, Response
from auditor.model import Claim, Component, Evidence, Finding, Origin, OriginStatus, Strength
from auditor.policy.builtin import finding
from auditor.resolvers import Resolution, Resolver
from auditor.urls import normalise_repository

SYSTEMS = {"npm": "npm", "pypi": "pypi", "cargo": "cargo", "maven": "maven", "nuget": "nuget",
           "golang": "go"}  # fmt: skip
"""purl type -> deps.dev system name."""
ATTESTED_RELATIONS = frozenset({"SLSA_ATTESTATION", "PYPI_PUBLISH_ATTESTATION", "GO_ORIGIN"})


class DepsDevResolver(Resolver):
    """deps.dev's view of a package version; never a primary resolver (no ecosystems):
    `second_opinion` runs it after the registry's own resolver when `--deps-dev` is on."""

    name: ClassVar[str] = "depsdev"
    ecosystems: ClassVar[frozenset[str]] = frozenset()

    def resolve(self, component: Component) -> Resolution:
        """An origin holding only deps.dev's repository evidence for the version."""
        found = _version_path(component.purl)
        if found is None:
            reason = "deps.dev has no such versions"
            return Resolution(Origin(component.purl, OriginStatus.SKIPPED, reason))
        name, version, path = found
        reply = self.http.get("depsdev", path)
        if reply.status in MISSING_STATUSES:
            reason = f"deps.dev does not know {name} {version}"
            return Resolution(Origin(component.purl, OriginStatus.UNKNOWN, reason))
        doc = reply.json()
        if not isinstance(doc, dict) or not isinstance(doc.get("versionKey"), dict):
            raise FetchError(reply.key, "malformed JSON response (no `versionKey`)")
        evidence = tuple(_evidence(reply, doc))
        strongest = max(
            (e for e in evidence if e.field.endswith("repository")),
            key=lambda e: e.strength.rank,
            default=None,
        )
        repository = (
            Claim(normalise_repository(strongest.value) or strongest.value, strongest.strength)
            if strongest is not None
            else None
        )
        origin = Origin(component.purl, OriginStatus.RESOLVED, repository=repository,
                        evidence=evidence)  # fmt: skip
        return Resolution(origin)

    def first_requests(self, component: Component) -> tuple[tuple[str, str], ...]:
        """The version document."""
        found = _version_path(component.purl)
        return (("depsdev", found[2]),) if found is not None else ()


def _version_path(purl_text: str) -> tuple[str, str, str] | None:
    """(name, version, GetVersion path) for a purl deps.dev knows the system of."""
    purl = PackageURL.from_string(purl_text)
    system = SYSTEMS.get(purl.type)
    if system is None or not purl.version:
        return None
    name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
    path = (
        f"/v3/systems/{system}/packages/{quote(name, safe='')}"
        f"/versions/{quote(purl.version, safe='')}"
    )
    return name, purl.version, path


def _list(value: Any) -> list[Any]:
    """A repeated field: a JSON list, else nothing (odd shapes give no evidence)."""
    return value if isinstance(value, list) else []


def _evidence(reply: Response, doc: Mapping[str, Any]) -> Iterator[Evidence]:
    stamp = reply.fetched_at.isoformat(timespec="seconds")

    def ev(field: str, value: str, strength: Strength) -> Evidence:
        return Evidence("deps.dev", field, value, reply.key, strength, stamp)

    for item in (*_list(doc.get("attestations")), *_list(doc.get("slsaProvenances"))):
        if isinstance(item, dict) and isinstance(item.get("sourceRepository"), str):
            verified = item.get("verified") is True
            label = "attestations" if "type" in item else "slsaProvenances"
            strength = Strength.REGISTRY if verified else Strength.DECLARED
            yield ev(f"{label}.sourceRepository", item["sourceRepository"], strength)
            if not verified:
                yield ev(f"{label}.verified", "false", Strength.INFERRED)
    for project in _list(doc.get("relatedProjects")):
        if not isinstance(project, dict) or project.get("relationType") != "SOURCE_REPO":
            continue
        key = project.get("projectKey")
        ident = key.get("id") if isinstance(key, dict) else None
        if isinstance(ident, str) and ident:
            relation = str(project.get("relationProvenance", ""))
            strength = Strength.REGISTRY if relation in ATTESTED_RELATIONS else Strength.DECLARED
            yield ev(f"relatedProjects.{relation}.repository", f"https://{ident}", strength)


def second_opinion(
    origin: Origin, resolver: DepsDevResolver, component: Component
) -> tuple[Origin, tuple[Finding, ...]]:
    """Add deps.dev's evidence; a different repository is a conflict and a finding."""
    if origin.status is not OriginStatus.RESOLVED:
        return origin, ()
    try:
        theirs = resolver.resolve(component).origin
    except FetchError as exc:
        note = Evidence("deps.dev", "lookup", f"unreachable: {exc.reason}", exc.key,
                        Strength.INFERRED)  # fmt: skip
        return replace(origin, evidence=(*origin.evidence, note)), ()
    except NotCached:
        return origin, ()
    merged = replace(origin, evidence=origin.evidence + theirs.evidence)
    ours = origin.repository.value if origin.repository is not None else None
    repos = {normalise_repository(e.value) or e.value for e in theirs.evidence
             if e.field.endswith("repository")}  # fmt: skip
    if ours is None or not repos - {ours}:
        return merged, ()
    others = ", ".join(sorted(repos - {ours}))
    text = f"deps.dev maps this version to {others}; ours is {ours}"
    return (
        replace(merged, conflicts=(*merged.conflicts, text)),
        (
            finding(
                "origin.repository-conflict",
                origin.purl,
                text,
                tuple(e for e in theirs.evidence if e.field.endswith("repository")),
            ),
        ),
    )
