"""The Hugging Face Hub -> publisher (namespace), lineage to the root labs, hashes, scan verdicts.

One repo document per cached revision (`model_info(revision=<commit>, files_metadata=True,
securityStatus=True)`, kept forever: a commit never changes) gives the namespace, licence,
gated state, dates, per-file hashes and the Hub's own malware/pickle verdicts. The Hub's
computed `baseModels` (`registry`) is followed upward to the end of every chain, falling
back to the card's free-text `base_model` (`declared`). A re-packager (a quantiser, an MLX
converter) stays the publisher; the roots say whose weights they are. The Hub has no
country or legal entity: `attribute_account` is the one place those come from.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from packageurl import PackageURL

from auditor.hashing import GIT_BLOB, KnownFile, is_index_digest
from auditor.http import FetchError, Http, NotCached
from auditor.model import (
    Claim,
    Component,
    Dependency,
    DependencyKind,
    Evidence,
    Finding,
    OriginStatus,
    Root,
    Strength,
)
from auditor.policy.builtin import finding
from auditor.resolvers import Resolution, Resolver
from auditor.resolvers.hub_api import (
    ROLE,
    Denied,
    HubRepo,
    fetch_organization,
    fetch_repo,
    organization_path,
    repo_path,
)
from auditor.resolvers.hub_lineage import MAX_DEPTH, Lineage, cached_lineage_paths, repo_purl, walk
from auditor.resolvers.local import local_origin
from auditor.weights.lineage import DECLARED_BASE

SOURCE = "huggingface"
KINDS = ("model", "dataset")
SHOWN = 5
"""File names quoted in one finding's message; the evidence carries them all."""


def attribute_account(account: str) -> tuple[str | None, str | None]:
    """(organisation, ISO country) of a Hub account from the publisher knowledge base
    (`rules/publishers.yaml`); unknown accounts stay None, never guessed from names or
    `region:` tags. The one place lineage roots get an organisation and a country."""
    from auditor.resolvers.publishers import load

    org = load().lookup("huggingface", account)
    return (org.name, org.country) if org is not None else (None, None)


class HuggingFaceResolver(Resolver):
    """`pkg:huggingface/…` models and datasets."""

    name: ClassVar[str] = "huggingface"
    ecosystems: ClassVar[frozenset[str]] = frozenset({"huggingface"})

    def __init__(self, http: Http, sigstore_trust: Path | None = None) -> None:
        super().__init__(http, sigstore_trust)
        self._lock = threading.Lock()
        self._orgs: dict[str, dict[str, object] | None] = {}
        # Parsed ancestors: bases are shared by many cached models, and parsing a document
        # with huggingface_hub's ModelInfo costs more than reading it from the cache.
        self._ancestors: dict[str, HubRepo | Denied] = {}
        self._first: list[str] = []
        """Paths of the revision documents the engine announced, for `_warm_lineage`."""
        self._warmed = False
        self._targets: dict[str, tuple[str, str, str | None] | None] = {}

    def first_requests(self, component: Component) -> tuple[tuple[str, str], ...]:
        """The revision's repo document and its namespace's organisation overview."""
        target = self._target(component)
        if target is None:
            return ()
        kind, repo_id, revision = target
        path = repo_path(kind, repo_id, revision, files=True)
        with self._lock:
            self._first.append(path)
        namespace = repo_id.rpartition("/")[0]
        overview = ((ROLE, organization_path(namespace)),) if namespace else ()
        return ((ROLE, path), *overview)

    def resolve(self, component: Component) -> Resolution:
        """Ask the Hub about the cached revision, then about its ancestors."""
        with self._lock:
            if not self._warmed:
                self._warmed = True
                cached_lineage_paths(self.http, self._first, MAX_DEPTH)
        target = self._target(component)
        if target is None:
            reason = "only Hub models and datasets are resolved"
            return Resolution(local_origin(component, OriginStatus.UNKNOWN, reason))
        kind, repo_id, revision = target
        try:
            answer = fetch_repo(self.http, kind, repo_id, revision)
        except NotCached:
            return _declared_only(component, OriginStatus.SKIPPED, "offline, and no cached answer")
        except FetchError as exc:
            return _declared_only(component, OriginStatus.UNREACHABLE, exc.reason)
        if isinstance(answer, Denied):
            return _declared_only(component, OriginStatus.UNKNOWN, answer.reason)
        repo = answer
        lineage = walk(repo, self._ancestor) if kind == "model" else Lineage()
        publisher = repo.author or repo_id.rpartition("/")[0] or None
        evidence = [*_evidence(repo), *self._organisation(publisher), *_lineage_evidence(lineage)]
        if repo.id != repo_id:
            evidence.append(_ev(repo, "id", repo.id, Strength.REGISTRY))
        declared = replace(component, evidence=component.evidence + tuple(evidence))
        origin = replace(
            local_origin(declared, OriginStatus.RESOLVED, reason=None),
            publisher=Claim(publisher, Strength.REGISTRY) if publisher else None,
            roots=_roots(component.purl, publisher, lineage),
        )
        origin = replace(origin, conflicts=origin.conflicts + _corrected(component, repo))
        findings = [
            *_flagged(component, repo),
            *_verify(component, repo, self.http.has_credentials(ROLE)),
            *_lineage_findings(component, lineage),
        ]
        deps = tuple(
            Dependency(
                component.purl if e.child == repo.id else repo_purl(e.child),
                repo_purl(e.parent),
                DependencyKind.DERIVED_FROM,
                e.relation,
            )
            for e in lineage.edges
        )
        # A dataset's files are not a model's: a copy of one is not traced to its repo.
        listed = listed_files(repo) if kind == "model" else ()
        return Resolution(origin, tuple(findings), tuple(dict.fromkeys(deps)), listed)

    def _target(self, component: Component) -> tuple[str, str, str | None] | None:
        # Parsing a purl costs as much as a cache read; the engine asks twice per component.
        with self._lock:
            if component.purl in self._targets:
                return self._targets[component.purl]
        target = _target(component)
        with self._lock:
            self._targets[component.purl] = target
        return target

    def _ancestor(self, repo_id: str) -> HubRepo | Denied:
        # The base a model names has no pinned revision: its current document, kept for the
        # cache's time to live (a base can gain a base, or be renamed).
        key = repo_id.casefold()
        with self._lock:
            known = self._ancestors.get(key)
        if known is None:
            known = fetch_repo(self.http, "model", repo_id, None, files=False)
            with self._lock:
                self._ancestors[key] = known
        return known

    def _organisation(self, account: str | None) -> Iterator[Evidence]:
        if not account:
            return
        with self._lock:
            known = account in self._orgs
            overview = self._orgs.get(account)
        if not known:
            overview = fetch_organization(self.http, account)
            with self._lock:
                self._orgs[account] = overview
        if overview is None:
            return
        where = f"{ROLE}:{organization_path(account)}"
        for field in ("fullname", "isVerified"):
            value = overview.get(field)
            if value not in (None, ""):
                yield Evidence(SOURCE, f"organization.{field}", str(value).lower()
                               if isinstance(value, bool) else str(value), where,
                               Strength.REGISTRY)  # fmt: skip


def listed_files(repo: HubRepo) -> tuple[KnownFile, ...]:
    """Every file digest the Hub's answer lists for this revision, for the hash index
    (`registry`): an LFS file's `lfs.sha256` (its `blobId` is the pointer's, never the
    content's), else the git blob id (`blobId`) of a file kept in git. A value that is not a
    digest's shape is left out (the index would carry it into snapshots)."""
    revision = repo.sha or ""
    found = []
    for f in repo.files or ():
        digest = f.sha256 or (f"{GIT_BLOB}{f.blob_id}" if f.blob_id else "")
        if is_index_digest(digest):
            found.append(KnownFile(digest, repo.id, revision, f.path, SOURCE, "registry"))
    return tuple(found)


def declared_bases(component: Component) -> tuple[str, ...]:
    """Base repo ids the component's own files declare (card, adapter config, GGUF header)."""
    return tuple(dict.fromkeys(e.value for e in component.evidence if e.field == DECLARED_BASE))


def _declared_only(component: Component, status: OriginStatus, reason: str) -> Resolution:
    """No Hub answer: the lineage the files declare, one hop, its roots attributed from the
    knowledge base by namespace alone (`inferred`; the Hub did not confirm the account)."""
    origin = local_origin(component, status, reason)
    roots = []
    for base in declared_bases(component):
        namespace = base.rpartition("/")[0]
        organisation, country = attribute_account(namespace) if namespace else (None, None)
        strength = Strength.INFERRED if organisation or country else None
        roots.append(Root(repo_purl(base), "declared", organisation, country, strength))
    return Resolution(replace(origin, roots=tuple(roots)))


def _corrected(component: Component, repo: HubRepo) -> tuple[str, ...]:
    """Where the Hub's computed bases differ from what the local files declare."""
    declared = {b.casefold() for b in declared_bases(component)}
    computed = {b.casefold() for b in repo.base_models}
    if not declared or repo.base_strength is not Strength.REGISTRY or declared == computed:
        return ()
    return (
        f"the local files declare base {', '.join(sorted(declared))}; the hub computes"
        f" {', '.join(sorted(computed)) or 'none'} (the hub's answer is followed)",
    )


def _target(component: Component) -> tuple[str, str, str | None] | None:
    """(kind, repo id, revision) of a Hub purl; None for spaces and anything else."""
    purl = PackageURL.from_string(component.purl)
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    kind = qualifiers.get("repository_type", "model")
    if kind not in KINDS:
        return None
    repo_id = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
    return kind, repo_id, purl.version or None


def _ev(repo: HubRepo, field: str, value: object, strength: Strength) -> Evidence:
    return Evidence(SOURCE, field, str(value), repo.where, strength, repo.retrieved_at)


def _evidence(repo: HubRepo) -> Iterator[Evidence]:
    if repo.author:
        yield _ev(repo, "author", repo.author, Strength.REGISTRY)
    if repo.sha:
        yield _ev(repo, "sha", repo.sha, Strength.REGISTRY)
    if repo.created_at:
        yield _ev(repo, "createdAt", repo.created_at, Strength.REGISTRY)
    if repo.last_modified:
        yield _ev(repo, "lastModified", repo.last_modified, Strength.REGISTRY)
    if repo.gated:
        yield _ev(repo, "gated", repo.gated, Strength.REGISTRY)
    if repo.pipeline_tag:
        yield _ev(repo, "pipeline_tag", repo.pipeline_tag, Strength.REGISTRY)
    for key in ("license", "license_name", "license_link"):
        value = repo.card.get(key)
        if isinstance(value, str) and value.strip():
            yield _ev(repo, f"cardData.{key}", value.strip(), Strength.DECLARED)
    if repo.base_models:
        computed = repo.base_strength is Strength.REGISTRY
        if repo.base_relation:
            field = "baseModels.relation" if computed else "cardData.base_model_relation"
            yield _ev(repo, field, repo.base_relation, repo.base_strength)
        field = "baseModels.models" if computed else "cardData.base_model"
        for base in repo.base_models:
            yield _ev(repo, field, base, repo.base_strength)
    for path, level in repo.flagged:
        yield _ev(repo, "securityRepoStatus.filesWithIssues", f"{path}: {level}", Strength.REGISTRY)


def _lineage_evidence(lineage: Lineage) -> Iterator[Evidence]:
    for edge in lineage.edges:
        relation = edge.relation or "derived"
        yield Evidence(SOURCE, "lineage.edge", f"{edge.child} -{relation}-> {edge.parent}",
                       edge.where, edge.strength)  # fmt: skip
    for end in lineage.ends:
        if end.repo is None:
            continue
        yield _ev(end.repo, "lineage.root", end.id, Strength.REGISTRY)
        if end.repo.author:
            yield _ev(end.repo, "lineage.root.author", end.repo.author, Strength.REGISTRY)
        for key in ("license", "license_name", "license_link"):
            value = end.repo.card.get(key)
            if isinstance(value, str) and value.strip():
                yield _ev(end.repo, f"lineage.root.cardData.{key}", value.strip(),
                          Strength.DECLARED)  # fmt: skip


def _roots(purl: str, publisher: str | None, lineage: Lineage) -> tuple[Root, ...]:
    """The end of every chain; a repo with no base is its own root (`self`). A root's account
    is `registry` when the Hub described the root (its `author`), `inferred` when only the
    id's namespace names it (the Hub would not describe that repo)."""
    if not lineage.edges:
        organisation, country = attribute_account(publisher) if publisher else (None, None)
        return (Root(purl, "self", organisation, country),)
    relation = lineage.edges[0].relation or "derived"
    roots = []
    for end in lineage.ends:
        author = end.repo.author if end.repo else None
        account = author or end.id.rpartition("/")[0]
        organisation, country = attribute_account(account) if account else (None, None)
        known = organisation is not None or country is not None
        strength = (Strength.REGISTRY if author else Strength.INFERRED) if known else None
        fetched = end.repo.retrieved_at if end.repo and author else None
        roots.append(Root(repo_purl(end.id), relation, organisation, country, strength, fetched))
    return tuple(dict.fromkeys(roots))


def _flagged(component: Component, repo: HubRepo) -> Iterator[Finding]:
    local = {f.path for f in component.files}
    for path, level in repo.flagged:
        rule = "hub.flagged-file" if level == "unsafe" else "hub.caution-file"
        here = " (present in the local copy)" if path in local else ""
        yield finding(
            rule,
            component.purl,
            f"the hub's security scan marks {path} as {level}{here}",
            (_ev(repo, "securityRepoStatus.filesWithIssues", f"{path}: {level}",
                 Strength.REGISTRY),),
        )  # fmt: skip


def _verify(component: Component, repo: HubRepo, token: bool) -> Iterator[Finding]:
    """Every local file must be listed by the Hub for this revision, with the same hash."""
    if not component.files:
        return
    if not repo.hashed_files:
        why = "the hub lists no file hashes for this revision"
        if repo.gated and not token:
            why += f" (the repo is gated, {repo.gated}: set HF_TOKEN to a token with access)"
        yield finding("hub.unverifiable", component.purl,
                      f"{len(component.files)} local file(s) not verifiable: {why}")  # fmt: skip
        return
    listed = {f.path: f for f in repo.files or ()}
    bad: list[str] = []
    unhashed: list[str] = []
    for f in component.files:
        hub = listed.get(f.path)
        if hub is None:
            bad.append(f"{f.path}: not listed by the hub for this revision")
            continue
        lfs = hub.sha256 is not None
        algorithm = "sha256" if lfs else "git-sha1"
        expected, actual = (hub.sha256, f.sha256) if lfs else (hub.blob_id, f.git_sha1)
        if expected is None or (f.sha256 is None and f.git_sha1 is None):
            unhashed.append(f.path)
        elif actual != expected:
            have = actual or f.sha256 or f.git_sha1
            bad.append(f"{f.path}: the hub lists {algorithm} {expected}, the local copy is {have}")
    if bad:
        yield finding(
            "hub.hash-mismatch",
            component.purl,
            f"{len(bad)} of {len(component.files)} local file(s) do not match what the hub lists"
            f" for this revision: {'; '.join(bad[:SHOWN])}"
            + (f"; and {len(bad) - SHOWN} more" if len(bad) > SHOWN else ""),
            tuple(_ev(repo, "siblings", b, Strength.REGISTRY) for b in bad),
        )
    if unhashed:
        yield finding("hub.unverifiable", component.purl,
                      f"{len(unhashed)} local file(s) not verifiable (no hash on one side): "
                      + ", ".join(unhashed[:SHOWN]))  # fmt: skip
    missing = sorted(set(listed) - {f.path for f in component.files})
    if missing:
        yield finding(
            "hub.missing-file",
            component.purl,
            f"{len(missing)} file(s) the hub lists for this revision are not in the local copy: "
            + ", ".join(missing[:SHOWN])
            + (f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""),
        )


def _lineage_findings(component: Component, lineage: Lineage) -> Iterator[Finding]:
    for loop in lineage.cycles:
        yield finding("hub.lineage-cycle", component.purl,
                      f"the base models form a cycle: {' -> '.join(loop)}")  # fmt: skip
    for end in lineage.ends:
        if end.repo is None:
            yield finding("hub.lineage-incomplete", component.purl,
                          f"lineage stops at {end.id}: {end.why}")  # fmt: skip
