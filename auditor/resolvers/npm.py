"""npm registry packuments -> publisher, declared repository, publish time, integrity,
deprecation and (verified) provenance.

Shapes: the registry API's package metadata documents (npm/registry `docs/
responses/package-metadata.md`; see tests/data/npm/README.md). The full document
(`Accept: application/json`) carries `_npmUser` (the account that published the
version: `registry`), `maintainers` (`registry`), `author`, `repository`, `homepage`
(what the publisher typed: `declared`) and `time.<version>`. A mirror that serves only the
abbreviated install document (`application/vnd.npm.install-v1+json`), or a mirror's
trimmed packument, has no `_npmUser` or `maintainers`; its `dist` (integrity, attestations),
`deprecated` and whatever `repository` it keeps are still read, and the origin's reason says
the registry served an abbreviated document (attribution then rests on the scope and the
own repository).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

from packageurl import PackageURL

from auditor.collectors.npm_common import integrity_hashes
from auditor.endpoints import npm_role
from auditor.http import (
    MISSING_STATUSES,
    FetchError,
    Projection,
    Response,
    json_projection,
    verdict_request,
)
from auditor.model import Claim, Component, Evidence, Finding, Origin, OriginStatus, Strength
from auditor.policy.builtin import finding
from auditor.resolvers import Resolution, Resolver, sbom_digests
from auditor.resolvers.local import local_origin
from auditor.resolvers.npm_provenance import Provenance, verify_answer
from auditor.urls import normalise_repository

FULL = "application/json"
ABBREVIATED = "application/vnd.npm.install-v1+json"
ATTESTATIONS_PATH = "/-/npm/v1/attestations/"
ABBREVIATED_REASON = (
    "registry served an abbreviated document (no _npmUser or maintainers): the publisher"
    " is judged from the scope and the package's own repository only"
)


@dataclass(frozen=True, slots=True)
class _Version:
    """One version's entry of a packument, and where it was read."""

    name: str
    version: str
    manifest: Mapping[str, Any]
    published: str | None
    where: str
    retrieved_at: str
    abbreviated: bool


class NpmResolver(Resolver):
    """`pkg:npm/…` components."""

    name: ClassVar[str] = "npm"
    ecosystems: ClassVar[frozenset[str]] = frozenset({"npm"})

    def resolve(self, component: Component) -> Resolution:
        """Ask the registry (the scope's own one when configured) for the packument."""
        name, version, direct = _identity(component.purl)
        if direct:
            reason = "direct reference: not published through the registry"
            return Resolution(local_origin(component, OriginStatus.UNKNOWN, reason))
        role = self._role(name)
        reply = self.http.get(
            role, packument_path(name), accept=FULL, projection=_one_version(version)
        )
        if reply.status in MISSING_STATUSES:
            reason = f"{name} is not on the registry"
            return Resolution(local_origin(component, OriginStatus.UNKNOWN, reason))
        entry = _version(reply, name, version)
        if entry is None:
            reason = f"{name} {version} is not on the registry"
            return Resolution(local_origin(component, OriginStatus.UNKNOWN, reason))
        evidence = tuple(_evidence(entry))
        provenance = self._provenance(role, entry)
        declared = replace(component, evidence=component.evidence + evidence)
        origin = replace(
            local_origin(declared, OriginStatus.RESOLVED, reason=ABBREVIATED_REASON if
                         entry.abbreviated else None),
            publisher=_publisher(entry.manifest),
        )  # fmt: skip
        origin, found = _with_provenance(origin, provenance, entry)
        return Resolution(origin, (*_findings(component, entry), *found))

    def first_requests(self, component: Component) -> tuple[tuple[str, str], ...]:
        """The packument of a registry component, and — kept from an earlier scan if the
        version has provenance — its attestations answer and the verdict on it."""
        name, version, direct = _identity(component.purl)
        if direct:
            return ()
        role = self._role(name)
        if not version:
            return ((role, packument_path(name)),)
        attestations = f"{ATTESTATIONS_PATH}{name}@{version}"
        return (
            (role, f"{packument_path(name)}#{PROJECTION}:{version}"),
            (role, attestations),
            verdict_request(role, attestations),
        )

    def _role(self, name: str) -> str:
        """The scope's own registry when one is configured, else the default one."""
        if not name.startswith("@"):
            return "npm"
        role = npm_role(name.partition("/")[0])
        return role if role in self.http.endpoints else "npm"

    def _provenance(
        self, role: str, entry: _Version
    ) -> tuple[tuple[Provenance, Evidence], ...] | None:
        """Each SLSA bundle of the version, verified; None when it has no attestations."""
        dist = entry.manifest.get("dist")
        attestations = dist.get("attestations") if isinstance(dist, dict) else None
        url = attestations.get("url") if isinstance(attestations, dict) else None
        if not isinstance(url, str) or ATTESTATIONS_PATH not in url:
            return None
        # Only the path is kept: the registry in effect (a mirror too) answers it, and an
        # absolute URL in a document never sends us to a host the user did not configure.
        path = urlsplit(url).path
        path = path[path.index(ATTESTATIONS_PATH) :]
        reply = self.http.get(role, path, immutable=True)
        if reply.status in MISSING_STATUSES:
            return ()
        subject = PackageURL(
            type="npm",
            namespace=entry.name.rpartition("/")[0] or None,
            name=entry.name.rpartition("/")[2],
            version=entry.version,
        ).to_string()
        sha512 = next(
            (h.partition(":")[2] for h in _integrity(entry.manifest) if h.startswith("sha512:")),
            None,
        )
        found = []
        digest = ("sha512", sha512) if sha512 else None
        for result in verify_answer(self.http, reply, subject, digest, self.sigstore_trust):
            note = Evidence(
                "npm-provenance",
                "verification",
                "verified" if result.verified else f"unverifiable: {result.reason}",
                reply.key,
                Strength.ATTESTED if result.verified else Strength.INFERRED,
                _stamp(reply),
            )
            found.append((result, note))
        return tuple(found)


def _identity(purl: str) -> tuple[str, str | None, bool]:
    """(npm name, version, is a direct reference) of a `pkg:npm/…` purl as purls.npm writes
    it; plain string work, since packageurl's parser is the slowest part of a warm scan."""
    body, _, qualifiers = purl.removeprefix("pkg:npm/").partition("#")[0].partition("?")
    path, at, version = body.rpartition("@")
    if not at:  # no version
        path, version = body, ""
    direct = any(q.partition("=")[0] in ("vcs_url", "download_url") for q in qualifiers.split("&"))
    return unquote(path), unquote(version) or None, direct


def packument_path(name: str) -> str:
    """`/<name>`, a scoped name as `/@scope%2fname` (how npm's clients ask)."""
    return "/" + quote(name, safe="@")


PROJECTION = "v1"
"""Version of `_one_version`'s shape, part of its cache key."""


def _one_version(version: str | None) -> Projection | None:
    """The packument cut to what `_version` reads for one version: its manifest, its
    publication time and the dist-tags. A packument holds every version's manifest (tens
    of megabytes for some); this keeps kilobytes, in memory and in the cache."""
    if not version:
        return None

    def cut(doc: dict[str, Any]) -> dict[str, Any] | None:
        if not isinstance(doc.get("versions"), dict):
            return None  # `_version` says what is wrong with it
        kept: dict[str, Any] = {"dist-tags": doc.get("dist-tags")}
        manifest = doc["versions"].get(version)
        kept["versions"] = {version: manifest} if manifest is not None else {}
        times = doc.get("time")
        if isinstance(times, dict):  # its absence marks an abbreviated packument
            kept["time"] = {version: times[version]} if version in times else {}
        return kept

    return json_projection(f"{PROJECTION}:{version}", cut)


def _stamp(reply: Response) -> str:
    return reply.fetched_at.isoformat(timespec="seconds")


def _version(reply: Response, name: str, version: str | None) -> _Version | None:
    doc = reply.json()
    if not isinstance(doc, dict) or not isinstance(doc.get("versions"), dict):
        raise FetchError(reply.key, "malformed packument (no `versions` object)")
    tags = doc.get("dist-tags")
    wanted = version or (tags.get("latest") if isinstance(tags, dict) else None)
    manifest = doc["versions"].get(wanted) if isinstance(wanted, str) else None
    if not isinstance(manifest, dict):
        return None
    times = doc.get("time")
    published = times.get(wanted) if isinstance(times, dict) else None
    return _Version(
        name=name,
        version=str(wanted),
        manifest=manifest,
        published=published if isinstance(published, str) else None,
        where=reply.key,
        retrieved_at=_stamp(reply),
        # The install document, or a mirror's trimmed packument: no account is named.
        abbreviated="_npmUser" not in manifest
        and not manifest.get("maintainers")
        and not doc.get("maintainers"),
    )


def _person(value: Any) -> Iterator[tuple[str, str]]:
    """npm's person: `{"name","email","url"}` or `"Name <email> (url)"`."""
    if isinstance(value, dict):
        for key in ("name", "email", "url"):
            if isinstance(value.get(key), str) and value[key].strip():
                yield key, value[key].strip()
    elif isinstance(value, str) and value.strip():
        yield "name", value.strip()


def _evidence(entry: _Version) -> Iterator[Evidence]:
    def ev(field: str, value: str, strength: Strength) -> Evidence:
        return Evidence("npm", field, value, entry.where, strength, entry.retrieved_at)

    manifest = entry.manifest
    if entry.abbreviated:
        yield ev("document", "abbreviated: no _npmUser or maintainers", Strength.INFERRED)
    for key, value in _person(manifest.get("_npmUser")):
        yield ev(f"_npmUser.{key}", value, Strength.REGISTRY)
    maintainers = manifest.get("maintainers")
    for maintainer in maintainers if isinstance(maintainers, list) else ():
        for key, value in _person(maintainer):
            if key == "name":
                yield ev("maintainers.name", value, Strength.REGISTRY)
    if entry.published:
        yield ev("time", entry.published, Strength.REGISTRY)
    for key, value in _person(manifest.get("author")):
        yield ev(f"author.{key}", value, Strength.DECLARED)
    repository = manifest.get("repository")
    url = repository.get("url") if isinstance(repository, dict) else repository
    if isinstance(url, str) and url.strip():
        yield ev("repository.url", _expand_shorthand(url.strip()), Strength.DECLARED)
    homepage = manifest.get("homepage")
    if isinstance(homepage, str) and homepage.strip():
        yield ev("homepage", homepage.strip(), Strength.DECLARED)
    licence = manifest.get("license")
    if isinstance(licence, str) and licence.strip():
        yield ev("license", licence.strip(), Strength.DECLARED)


def _expand_shorthand(url: str) -> str:
    """`github:owner/name` and bare `owner/name` (npm's shorthands) as full URLs."""
    for prefix, host in (("github:", "github.com"), ("gitlab:", "gitlab.com"),
                         ("bitbucket:", "bitbucket.org")):  # fmt: skip
        if url.startswith(prefix):
            return f"https://{host}/{url[len(prefix) :]}"
    if "://" not in url and not url.startswith("git@") and url.count("/") == 1:
        return f"https://github.com/{url}"
    return url


def _publisher(manifest: Mapping[str, Any]) -> Claim | None:
    """The account that published this version, else its first maintainer."""
    maintainers = manifest.get("maintainers")
    for value in (
        manifest.get("_npmUser"),
        *(maintainers if isinstance(maintainers, list) else ()),
    ):
        name = dict(_person(value)).get("name")
        if name:
            return Claim(name, Strength.REGISTRY)
    return None


def _integrity(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    dist = manifest.get("dist")
    return integrity_hashes(dist.get("integrity")) if isinstance(dist, dict) else ()


def _findings(component: Component, entry: _Version) -> Iterator[Finding]:
    deprecated = entry.manifest.get("deprecated")
    if isinstance(deprecated, str) and deprecated.strip():
        yield finding(
            "npm.deprecated",
            component.purl,
            f"{entry.name} {entry.version} is deprecated on the registry: {deprecated.strip()}",
        )
    published = _integrity(entry.manifest)
    algorithms = {h.partition(":")[0] for h in published}
    stated = set(sbom_digests.stated_hashes(component))
    if stated:  # a vendor's SBOM is judged as such (sbom.hash-mismatch), not as a lock
        yield from _sbom_findings(component, entry, published)
    locked = [h for h in component.hashes if h.partition(":")[0] in algorithms and h not in stated]
    wrong = [h for h in locked if h not in published]
    if wrong:
        where = component.locations[0].path if component.locations else "the input"
        yield finding(
            "npm.integrity-mismatch",
            component.purl,
            f"the integrity {where} locks for {entry.name} {entry.version} is not the one the"
            f" registry serves ({wrong[0][:20]}… vs {published[0][:20]}…)",
            (Evidence("npm", "dist.integrity", ", ".join(published), entry.where,
                      Strength.REGISTRY, entry.retrieved_at),),
        )  # fmt: skip


def _sbom_findings(
    component: Component, entry: _Version, published: tuple[str, ...]
) -> tuple[Finding, ...]:
    """The SBOM's hashes against `dist.integrity` and the tarball's sha1 `dist.shasum`."""
    dist = entry.manifest.get("dist")
    shasum = dist.get("shasum") if isinstance(dist, dict) else None
    pairs = [(h.partition(":")[0], h.partition(":")[2]) for h in published]
    if isinstance(shasum, str):
        pairs.append(("sha1", shasum))
    served = sbom_digests.served_digests(pairs)
    shown = ", ".join(f"{a}:{v}" for a, values in sorted(served.items()) for v in sorted(values))
    evidence = Evidence("npm", "dist.integrity+shasum", shown, entry.where, Strength.REGISTRY,
                        entry.retrieved_at)  # fmt: skip
    return sbom_digests.mismatches(component, served, f"{entry.name} {entry.version}", evidence)


def _with_provenance(
    origin: Origin,
    provenance: tuple[tuple[Provenance, Evidence], ...] | None,
    entry: _Version,
) -> tuple[Origin, tuple[Finding, ...]]:
    """Add what the provenance bundles say; a verified source repository becomes the
    `attested` repository claim, and disagreeing with the declared one is a conflict."""
    if not provenance:
        return origin, ()
    evidence = list(origin.evidence)
    attested: str | None = None
    for result, note in provenance:
        evidence.append(note)
        strength = Strength.ATTESTED if result.verified else Strength.DECLARED
        for name, value in result.facts:
            evidence.append(replace(note, field=f"provenance.{name}", value=value,
                                    strength=strength))  # fmt: skip
        repo = result.fact("source_repository_uri")
        if result.verified and repo and attested is None:
            attested = normalise_repository(repo) or repo
    if attested is None:
        return replace(origin, evidence=tuple(evidence)), ()
    declared = origin.repository.value if origin.repository is not None else None
    conflicts = origin.conflicts
    found: tuple[Finding, ...] = ()
    if declared is not None and declared != attested:
        text = f"declared repository {declared} but provenance attests {attested}"
        conflicts = (*conflicts, text)
        found = (
            finding(
                "origin.repository-conflict",
                origin.purl,
                f"{entry.name} {entry.version}: {text}",
                tuple(e for e in evidence if e.field == "provenance.source_repository_uri"),
            ),
        )
    return (
        replace(
            origin,
            repository=Claim(attested, Strength.ATTESTED),
            conflicts=conflicts,
            evidence=tuple(evidence),
        ),
        found,
    )
