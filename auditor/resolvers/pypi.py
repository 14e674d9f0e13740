"""PyPI's JSON API -> publisher (ownership), declared repository, upload time, yanked, hashes.

Shapes: warehouse `docs/user/api/json.md` (see ../shared/reference/registries.md §4.1).
`ownership` is what the index itself asserts (`registry`); `info.*` is what the uploader
typed (`declared`). The per-version document is asked first (small, and describes that
release); a mirror without that route answers 404, and the project document's `releases`
table then serves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import quote

from packageurl import PackageURL

from auditor.http import MISSING_STATUSES, NotCached, Projection, Response, json_projection
from auditor.model import Claim, Component, Evidence, Finding, OriginStatus, Strength
from auditor.policy.builtin import finding
from auditor.resolvers import Resolution, Resolver, sbom_digests
from auditor.resolvers.local import local_origin
from auditor.resolvers.pypi_index import PROJECTION as INDEX_PROJECTION
from auditor.resolvers.pypi_index import index_facts, simple_path

DECLARED_INFO = ("author", "author_email", "maintainer", "maintainer_email", "home_page",
                 "download_url", "license_expression")  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Release:
    """The parts of one answer this resolver reads."""

    info: Mapping[str, Any]
    files: tuple[Mapping[str, Any], ...]
    ownership: Mapping[str, Any]
    where: str
    retrieved_at: str
    version_known: bool
    """False when the project document has no entry for the locked version."""


class PyPIResolver(Resolver):
    """`pkg:pypi/…` components."""

    name: ClassVar[str] = "pypi"
    ecosystems: ClassVar[frozenset[str]] = frozenset({"pypi"})

    def resolve(self, component: Component) -> Resolution:
        """Ask the index; merge its answer with what the collected files declared."""
        purl = _purl(component.purl)
        if _is_direct(purl):
            reason = "direct reference: not published through the index"
            return Resolution(local_origin(component, OriginStatus.UNKNOWN, reason))
        release = self._release(purl.name, purl.version)
        if release is None:
            reason = f"{purl.name} is not on the index"
            return Resolution(local_origin(component, OriginStatus.UNKNOWN, reason))
        if not release.version_known:
            reason = f"{purl.name} {purl.version} is not on the index"
            return Resolution(local_origin(component, OriginStatus.UNKNOWN, reason))
        declared = replace(component, evidence=component.evidence + tuple(_evidence(release)))
        origin = replace(
            local_origin(declared, OriginStatus.RESOLVED, reason=None),
            publisher=_publisher(release.ownership),
        )
        findings = tuple(_findings(component, purl.version, release))
        if not purl.version:
            return Resolution(origin, findings)
        try:
            facts = index_facts(
                self.http,
                component,
                purl.name,
                purl.version,
                (str(f["filename"]) for f in release.files if f.get("filename")),
                origin.repository.value if origin.repository else None,
                self.sigstore_trust,
            )
        except NotCached:
            # Offline with a cache from before the Simple/Integrity lookups: the JSON
            # answer still stands; say what was not checked.
            note = Evidence("pypi", "files.provenance", "not checked: offline, not cached",
                            release.where, Strength.INFERRED)  # fmt: skip
            return Resolution(replace(origin, evidence=(*origin.evidence, note)), findings)
        if facts.attested_repository:
            origin = replace(origin, repository=Claim(facts.attested_repository, Strength.ATTESTED))
        origin = replace(
            origin,
            evidence=origin.evidence + facts.evidence,
            conflicts=origin.conflicts + facts.conflicts,
        )
        return Resolution(origin, findings + facts.findings)

    def first_requests(self, component: Component) -> tuple[tuple[str, str], ...]:
        """The per-release document for pinned registry components, else the project's."""
        purl = _purl(component.purl)
        if _is_direct(purl):
            return ()
        first = ("pypi", _path(purl.name, purl.version))
        if not purl.version:
            return (first,)
        # Where the index lacks the per-release route, the project document's projection
        # is what the cache holds; the Simple page's projection is read next (index_facts):
        # all loaded in the same batch, not one query per component.
        return (
            first,
            ("pypi", f"{_path(purl.name, None)}#{PROJECTION}:{purl.version}"),
            ("pypi", f"{simple_path(purl.name)}#{INDEX_PROJECTION}:{purl.version}"),
        )

    def _release(self, name: str, version: str | None) -> _Release | None:
        if version:
            # Not `immutable`: a release's files never change, but its yanked state and the
            # project's ownership do, and those are what a scheduled scan must notice.
            reply = self.http.get("pypi", _path(name, version))
            if reply.status not in MISSING_STATUSES:
                return _parse(reply, reply.json(), version=None)
        reply = self.http.get("pypi", _path(name, None), projection=_one_release(version))
        if reply.status in MISSING_STATUSES:
            return None
        return _parse(reply, reply.json(), version=version)


PROJECTION = "v1"
"""Version of `_one_release`'s shape, part of its cache key: change it with the fields."""
INFO_KEPT = (*DECLARED_INFO, "name", "version", "project_urls", "yanked", "yanked_reason")
"""The `info` fields `_evidence` and `_findings` read (a new one read must join here)."""
FILE_KEPT = ("filename", "url", "size", "packagetype", "digests", "upload_time_iso_8601",
             "yanked", "yanked_reason")  # fmt: skip
"""The file fields read here and by index_facts."""


def _one_release(version: str | None) -> Projection | None:
    """The project document cut to what `_parse` reads for one release: the `info` fields
    read, `ownership`, and that release's files. Whole documents run to megabytes (every
    release and file of a project); this keeps a kilobyte or two."""
    if not version:
        return None

    def cut(doc: dict[str, Any]) -> dict[str, Any] | None:
        if not isinstance(doc.get("info"), dict):
            return None  # `_parse` says what is wrong with it
        releases = doc.get("releases")
        files = releases.get(version) if isinstance(releases, dict) else None
        return {
            "info": {k: doc["info"][k] for k in INFO_KEPT if k in doc["info"]},
            "ownership": doc.get("ownership"),
            "releases": (
                {version: [_file(f) for f in files] if isinstance(files, list) else files}
                if isinstance(releases, dict) and version in releases
                else {}
            ),
        }

    return json_projection(f"{PROJECTION}:{version}", cut)


def _file(entry: Any) -> Any:
    return {k: entry[k] for k in FILE_KEPT if k in entry} if isinstance(entry, dict) else entry


@lru_cache(maxsize=65536)
def _purl(text: str) -> PackageURL:
    """A component's purl parsed once per scan (`first_requests` and `resolve` both read it;
    packageurl's parser is most of what a cached answer costs). Only read, never changed."""
    return PackageURL.from_string(text)


def _is_direct(purl: PackageURL) -> bool:
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    return "vcs_url" in qualifiers or "download_url" in qualifiers


def _path(name: str, version: str | None) -> str:
    """The JSON API path: per release when pinned, else the project's document."""
    if version:
        return f"/pypi/{quote(name)}/{quote(version)}/json"
    return f"/pypi/{quote(name)}/json"


def _parse(reply: Response, doc: Any, version: str | None) -> _Release:
    """One JSON document; for the project document, the files of `version`."""
    from auditor.http import FetchError

    if not isinstance(doc, dict) or not isinstance(doc.get("info"), dict):
        raise FetchError(reply.key, "malformed JSON response (no `info` object)")
    files: Any = doc.get("urls") or []
    known = True
    if version is not None:
        releases = doc.get("releases") or {}
        known = isinstance(releases, dict) and version in releases
        files = releases.get(version, []) if known else []
    ownership = doc.get("ownership")
    return _Release(
        info=doc["info"],
        files=tuple(f for f in files if isinstance(f, dict)) if isinstance(files, list) else (),
        ownership=ownership if isinstance(ownership, dict) else {},
        where=reply.key,
        retrieved_at=reply.fetched_at.isoformat(timespec="seconds"),
        version_known=known,
    )


def _evidence(release: _Release) -> Iterator[Evidence]:
    def ev(field: str, value: object, strength: Strength) -> Evidence:
        return Evidence("pypi", field, str(value), release.where, strength, release.retrieved_at)

    organization = release.ownership.get("organization")
    if isinstance(organization, str) and organization:
        yield ev("ownership.organization", organization, Strength.REGISTRY)
    for role in release.ownership.get("roles") or ():
        if isinstance(role, dict) and role.get("user"):
            yield ev(
                f"ownership.roles.{role.get('role', 'unknown')}", role["user"], Strength.REGISTRY
            )
    uploaded = sorted(str(f["upload_time_iso_8601"]) for f in release.files
                      if f.get("upload_time_iso_8601"))  # fmt: skip
    if uploaded:
        yield ev("upload_time", uploaded[0], Strength.REGISTRY)
    for key in DECLARED_INFO:
        value = release.info.get(key)
        if isinstance(value, str) and value.strip():
            yield ev(f"info.{key}", value.strip(), Strength.DECLARED)
    for classifier in release.info.get("classifiers") or ():
        if isinstance(classifier, str) and classifier.startswith("License :: "):
            licence = classifier.rpartition(" :: ")[2].strip()
            yield ev("info.classifiers.license", licence, Strength.DECLARED)
    urls = release.info.get("project_urls")
    if isinstance(urls, dict):
        for label, url in urls.items():
            if isinstance(url, str) and url.strip():
                yield ev(f"info.project_urls.{label}", url.strip(), Strength.DECLARED)


def _publisher(ownership: Mapping[str, Any]) -> Claim | None:
    """The organisation account if the project has one, else its first Owner."""
    organization = ownership.get("organization")
    if isinstance(organization, str) and organization:
        return Claim(organization, Strength.REGISTRY)
    roles = [r for r in ownership.get("roles") or () if isinstance(r, dict) and r.get("user")]
    owners = [r for r in roles if r.get("role") == "Owner"] or roles
    return Claim(str(owners[0]["user"]), Strength.REGISTRY) if owners else None


def _findings(component: Component, version: str | None, release: _Release) -> Iterator[Finding]:
    if release.info.get("yanked") is True or (
        release.files and all(f.get("yanked") is True for f in release.files)
    ):
        reason = release.info.get("yanked_reason") or next(
            (f.get("yanked_reason") for f in release.files if f.get("yanked_reason")), None
        )
        yield finding(
            "pypi.yanked",
            component.purl,
            f"{component.name} {version} was yanked from the index"
            + (f": {reason}" if reason else ""),
        )
    yield from _digest_findings(component, version, release)


def _digest_findings(
    component: Component, version: str | None, release: _Release
) -> Iterator[Finding]:
    """Locked digests against the files the index serves, compared by file name where the
    lock names its files: the same name with another digest is `pypi.hash-mismatch` (the
    bytes differ from what was locked); a locked file the index no longer lists is
    `pypi.file-not-served` (indexes remove and rebuild files; nothing says the bytes
    changed). Hashes a lock gives without names (requirements `--hash`, Pipfile.lock) only
    say something when none of them matches a served file."""
    served = {
        str(f["filename"]): str(f["digests"]["sha256"]).lower()
        for f in release.files
        if isinstance(f.get("filename"), str)
        and isinstance(f.get("digests"), dict)
        and isinstance(f["digests"].get("sha256"), str)
    }
    subject = f"{component.name} {version}"
    stated = set(sbom_digests.stated_hashes(component))
    if stated:  # a vendor's SBOM is judged as such (sbom.hash-mismatch), not as a lock
        yield from _sbom_findings(component, subject, release)
    if not served:
        return
    evidence = (Evidence("pypi", "files.digests.sha256",
                         ", ".join(f"{n}={d}" for n, d in sorted(served.items())),
                         release.where, Strength.REGISTRY, release.retrieved_at),)  # fmt: skip
    named = [f for f in component.files if f.sha256 is not None]
    for f in named:
        if f.path in served and served[f.path] != f.sha256:
            yield finding(
                "pypi.hash-mismatch",
                component.purl,
                f"{f.location or 'the lockfile'} pins {f.path} at sha256:{f.sha256}, but the index"
                f" serves that file of {subject} with sha256:{served[f.path]}",
                evidence,
            )
    gone = [f for f in named if f.path not in served]
    if gone:
        where = sorted({f.location or "the lockfile" for f in gone})
        yield finding(
            "pypi.file-not-served",
            component.purl,
            f"{', '.join(where)} pins {len(gone)} file(s) of {subject} that the index no longer"
            f" lists ({', '.join(f.path for f in gone[:3])}{', …' if len(gone) > 3 else ''});"
            " relock to pin what it serves",
            evidence,
        )
    pinned_by_name = {f"sha256:{f.sha256}" for f in named}
    unnamed = set(component.hashes) - pinned_by_name - stated
    nameless = sorted(h for h in unnamed if h.startswith("sha256:"))
    if nameless and not {h.removeprefix("sha256:") for h in nameless} & set(served.values()):
        pinning = {f.location for f in named}
        where = [
            f"{loc.path}:{loc.line}" if loc.line else loc.path
            for loc in component.locations
            if not any((p or "").startswith(loc.path) for p in pinning)
        ] or ["the lockfile"]
        yield finding(
            "pypi.file-not-served",
            component.purl,
            f"none of the {len(nameless)} sha256 hash(es) {', '.join(where)} pins matches a file"
            f" the index serves for {subject} (e.g. {nameless[0]}): an install from the index"
            " will refuse it; relock to pin what it serves",
            evidence,
        )


def _sbom_findings(component: Component, subject: str, release: _Release) -> tuple[Finding, ...]:
    """The SBOM's hashes against every digest (sha256, md5, blake2b_256) of every file of
    the release: a hash of the sdist or of any wheel matches."""
    pairs = [
        (str(name), str(value))
        for f in release.files
        if isinstance(f.get("digests"), dict)
        for name, value in f["digests"].items()
        if isinstance(value, str)
    ]
    served = sbom_digests.served_digests(pairs)
    if not served:
        return ()
    names = ", ".join(sorted(str(f.get("filename")) for f in release.files))
    evidence = Evidence("pypi", "files.digests", f"{len(release.files)} file(s): {names}",
                        release.where, Strength.REGISTRY, release.retrieved_at)  # fmt: skip
    return sbom_digests.mismatches(component, served, subject, evidence)
