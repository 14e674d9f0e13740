"""What PyPI's Simple API (JSON, PEP 691) and Integrity API (PEP 740) add to an origin.

The project page gives the project status (PEP 792: archived, quarantined and deprecated
are findings) and each file's `provenance` URL. The provenance object of the locked file
is verified offline (auditor/resolvers/attestations.py): a verified attestation makes the
signing repository and its owner `attested` evidence; one that does not verify is recorded
as such. The attested repository is compared with the declared one (starjacking), and the
owner id with the one in the cached provenance of other releases (takeover).

Shapes: PEP 691 / warehouse `packaging/utils.py` (`files[].provenance`, `project-status`)
and warehouse `docs/user/api/integrity.md` (see ../shared/reference/registries.md §4.2-4.3).
Both APIs live under the same base as the JSON API (the `pypi` role).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import canonicalize_name

from auditor.bounded import load_json
from auditor.http import MISSING_STATUSES, Http, Projection, Response, json_projection
from auditor.model import Component, Evidence, Finding, Strength
from auditor.policy.builtin import finding
from auditor.resolvers.attestations import (
    Attested,
    Unverifiable,
    check_provenance,
)
from auditor.resolvers.verdicts import remembered
from auditor.urls import normalise_repository

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
INTEGRITY_JSON = "application/vnd.pypi.integrity.v1+json"
ADVERSE_STATUS = {
    "archived": "pypi.project-archived",
    "quarantined": "pypi.project-quarantined",
    "deprecated": "pypi.project-deprecated",
}


@dataclass(frozen=True, slots=True)
class IndexFacts:
    """Evidence and findings from the Simple and Integrity APIs for one release."""

    evidence: tuple[Evidence, ...] = ()
    findings: tuple[Finding, ...] = ()
    attested_repository: str | None = None
    """Normalised URL of the repository a verified attestation was built from."""
    conflicts: tuple[str, ...] = ()


def simple_path(name: str) -> str:
    """The project page of the Simple API."""
    return f"/simple/{canonicalize_name(name)}/"


def integrity_path(name: str, version: str, filename: str) -> str:
    """The Integrity API route for one file's provenance."""
    return f"/integrity/{quote(name)}/{quote(version)}/{quote(filename)}/provenance"


def index_facts(
    http: Http,
    component: Component,
    name: str,
    version: str,
    filenames: Iterable[str],
    declared_repository: str | None,
    trust: Path | None = None,
) -> IndexFacts:
    """Project status and the verified provenance of the locked file (one of `filenames`),
    verified against `trust` (a Sigstore trust config; None: the public-good root)."""
    wanted = set(filenames)
    page = _simple_page(http, name, version, wanted)
    if page is None:
        return IndexFacts()
    doc, reply = page
    when = reply.fetched_at.isoformat(timespec="seconds")
    evidence: list[Evidence] = []
    findings: list[Finding] = []
    status = doc.get("project-status")
    if isinstance(status, dict) and isinstance(status.get("status"), str):
        value, reason = status["status"], status.get("reason")
        evidence.append(Evidence("pypi", "project-status.status", value, reply.key,
                                 Strength.REGISTRY, when))  # fmt: skip
        rule = ADVERSE_STATUS.get(value)
        if rule is not None:
            message = f"{name} is marked {value} on the index" + (
                f": {reason}" if isinstance(reason, str) and reason else ""
            )
            findings.append(finding(rule, component.purl, message, (evidence[-1],)))
    files = [f for f in doc.get("files") or () if isinstance(f, dict)]
    chosen = _locked_file([f for f in files if f.get("filename") in wanted], component.hashes)
    if chosen is None:
        return IndexFacts(tuple(evidence), tuple(findings))
    filename, sha256 = str(chosen["filename"]), str(chosen["hashes"]["sha256"]).lower()
    url = chosen.get("provenance")
    if not isinstance(url, str) or not url:
        evidence.append(Evidence("pypi", "files.provenance", f"none published for {filename}",
                                 reply.key, Strength.REGISTRY, when))  # fmt: skip
        return IndexFacts(tuple(evidence), tuple(findings))
    path = _relative(http, url) or integrity_path(name, version, filename)
    answer = http.get("pypi", path, accept=INTEGRITY_JSON, immutable=True, expect_json=False)
    if answer.status in MISSING_STATUSES:
        evidence.append(Evidence("pypi", "files.provenance", f"listed but not served ({filename})",
                                 answer.key, Strength.REGISTRY, when))  # fmt: skip
        return IndexFacts(tuple(evidence), tuple(findings))
    got = answer.fetched_at.isoformat(timespec="seconds")
    try:
        attested = _checked(http, answer, filename, sha256, trust)
    except Unverifiable as exc:
        attested = ()
        note = Evidence("attestation", "status", f"unverifiable: {exc.reason}", answer.key,
                        Strength.INFERRED, got)  # fmt: skip
        evidence.append(note)
        findings.append(_unverifiable(component, filename, exc.reason, note))
    repository, owner_id = None, None
    for one in attested:
        trail = list(_attestation_evidence(one, answer.key, got))
        evidence += trail
        if not one.verified:
            findings.append(_unverifiable(component, filename, one.reason or "", trail[0]))
            continue
        repository = repository or normalise_repository(one.facts.source_repository_uri or "")
        owner_id = owner_id or one.facts.source_repository_owner_id
    conflicts: list[str] = []
    if repository and declared_repository and repository != declared_repository:
        text = f"metadata claims {declared_repository}, attestation says {repository}"
        conflicts.append(text)
        support = tuple(e for e in evidence if e.field.endswith("source_repository_uri"))
        findings.append(
            finding(
                "origin.repository-conflict",
                component.purl,
                f"{component.name} {version}: the declared repository {declared_repository}"
                f" is not the one the release was built from ({repository})",
                support,
            )
        )
    if owner_id:
        findings += _owner_changes(http, component, version, owner_id, files, filename, trust)
    return IndexFacts(tuple(evidence), tuple(findings), repository, tuple(conflicts))


PROJECTION = "v1"
"""Version of `_page_for`'s shape, part of its cache key."""


def _page_for(version: str, wanted: set[str]) -> Projection:
    """The project page cut to what one release's facts read: the project status, the
    release's own files, and the files that list provenance (other releases' owners are
    compared through them). A page lists every file of every release: megabytes for a
    project with daily releases, kilobytes after this."""

    def cut(doc: dict[str, Any]) -> dict[str, Any] | None:
        if not isinstance(doc.get("files"), list):
            return None
        files = [
            f
            for f in doc["files"]
            if isinstance(f, dict) and (f.get("filename") in wanted or f.get("provenance"))
        ]
        return {k: v for k, v in doc.items() if k not in ("files", "versions")} | {"files": files}

    # HTML (an index without the JSON form) is kept as it came: `_simple_page` reads it as
    # "no JSON Simple API".
    return json_projection(f"{PROJECTION}:{version}", cut)


def _simple_page(
    http: Http, name: str, version: str, wanted: set[str]
) -> tuple[dict[str, Any], Response] | None:
    # Not `expect_json`: an index that only serves the HTML form (or ignores Accept) answers
    # with HTML; that means "no JSON Simple API here", not a broken registry.
    reply = http.get(
        "pypi",
        simple_path(name),
        accept=SIMPLE_JSON,
        expect_json=False,
        projection=_page_for(version, wanted),
    )
    if reply.status in MISSING_STATUSES or not reply.ok:
        return None
    try:
        doc = load_json(reply.body)  # not checked by `expect_json`: nesting checked here
    except (ValueError, UnicodeDecodeError):
        return None
    return (doc, reply) if isinstance(doc, dict) else None


def _locked_file(files: list[dict[str, Any]], hashes: Iterable[str]) -> Mapping[str, Any] | None:
    """The file the lockfile pins, else the first (by name) that has provenance."""
    usable = sorted(
        (f for f in files if isinstance(f.get("hashes"), dict) and f["hashes"].get("sha256")),
        key=lambda f: (not f.get("provenance"), str(f.get("filename"))),
    )
    pinned = {h.removeprefix("sha256:").lower() for h in hashes if h.startswith("sha256:")}
    for f in usable:
        if str(f["hashes"]["sha256"]).lower() in pinned:
            return f
    return usable[0] if usable else None


def _relative(http: Http, url: str) -> str | None:
    """The path of an absolute provenance URL under the `pypi` base in effect, if it is."""
    base = http.endpoints.get("pypi", "")
    base_path = urlsplit(base).path.rstrip("/")
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    if path.startswith(base_path + "/integrity/"):
        return path[len(base_path) :]
    return None


def _attestation_evidence(one: Attested, where: str, when: str) -> Iterable[Evidence]:
    strength = Strength.ATTESTED if one.verified else Strength.INFERRED
    status = "verified" if one.verified else f"unverifiable: {one.reason}"
    yield Evidence("attestation", "status", status, where, strength, when)
    publisher = one.publisher
    for field, value in (("kind", publisher.kind), ("repository", publisher.repository),
                         ("repository_url", publisher.repository_url),
                         ("workflow", publisher.workflow), ("environment", publisher.environment),
                         ("email", publisher.email)):  # fmt: skip
        if value:
            yield Evidence("attestation", f"attestation.publisher.{field}", value, where,
                           strength, when)  # fmt: skip
    for field, value in one.facts.items():
        yield Evidence("attestation", f"attestation.certificate.{field}", value, where,
                       strength, when)  # fmt: skip
    if one.predicate_type:
        yield Evidence("attestation", "attestation.predicate_type", one.predicate_type, where,
                       strength, when)  # fmt: skip


def _checked(
    http: Http, answer: Response, filename: str, sha256: str, trust: Path | None
) -> tuple[Attested, ...]:
    """`check_provenance` of a kept or fetched provenance object (or the verdict kept from
    an earlier scan of the very same object: `verdicts.remembered`)."""
    return remembered(
        http,
        answer,
        (filename, sha256),
        trust,
        lambda: check_provenance(answer.body, filename, sha256, trust),
        lambda found: [a.to_json() for a in found],
        lambda kept: tuple(Attested.from_json(v) for v in kept),
    )


def _verified_owner(
    http: Http, kept: Response, filename: str, sha256: str, trust: Path | None
) -> str | None:
    """The owner id of the first attestation of a kept provenance object that verifies."""
    try:
        attested = _checked(http, kept, filename, sha256, trust)
    except Unverifiable:
        return None
    return next((a.facts.source_repository_owner_id for a in attested if a.verified), None)


def _unverifiable(component: Component, filename: str, reason: str, note: Evidence) -> Finding:
    return finding(
        "attestation.unverifiable",
        component.purl,
        f"{filename}: the index serves an attestation that does not verify: {reason}",
        (note,),
    )


def _owner_changes(
    http: Http,
    component: Component,
    version: str,
    owner_id: str,
    files: list[dict[str, Any]],
    filename: str,
    trust: Path | None,
) -> list[Finding]:
    """Releases whose cached provenance names another repository owner id."""
    others: dict[str, str] = {}
    for f in files:
        url = f.get("provenance")
        other = str(f.get("filename"))
        if other == filename or not isinstance(url, str) or not url:
            continue
        path = _relative(http, url)
        kept = http.peek("pypi", path) if path is not None else None
        if path is None or kept is None or not kept.ok:
            continue
        parts = path.split("/")
        other_version = unquote(parts[3]) if len(parts) > 4 else "?"
        if other_version == version:
            continue
        digest = str((f.get("hashes") or {}).get("sha256", ""))
        seen = _verified_owner(http, kept, other, digest, trust)
        if seen and seen != owner_id:
            others[other_version] = seen
    if not others:
        return []
    listed = ", ".join(f"{v} (owner id {o})" for v, o in sorted(others.items()))
    return [
        finding(
            "origin.owner-changed",
            component.purl,
            f"{component.name} {version} was built in a repository of owner id {owner_id};"
            f" earlier-seen releases name another owner: {listed}",
        )
    ]
