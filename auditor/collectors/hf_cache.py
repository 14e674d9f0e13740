"""Hugging Face hub caches: every cached repo revision, its files, and their integrity.

Reads the layout huggingface_hub writes (see hf_cache_files.py) through the Tree only, so a
cache in a directory, a named `hf-cache:` target or an image is read the same way. Beyond
`scan_cache_dir` it reads `.no_exist/` and `trees/`, and it verifies every blob offline: a
64-hex blob name is the sha256 of its content, a 40-hex name its git blob id.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import ClassVar

from auditor import purls
from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.hf_cache_files import (
    GIT_BLOB,
    SHA256_BLOB,
    ListedFile,
    RepoFolder,
    parse_ref,
    parse_tree_listing,
    repo_folder,
)
from auditor.collectors.hf_cache_lineage import declared_lineage
from auditor.errors import Diagnostic, ParseError
from auditor.hashing import Algorithm
from auditor.model import (
    Component,
    ComponentFile,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Finding,
    Location,
    Strength,
)
from auditor.policy.builtin import finding
from auditor.sources import Entry, Tree
from auditor.weights.inspect import inspect_weight_file, is_weight_path

AREAS = frozenset({"blobs", "snapshots", "refs", ".no_exist", "trees"})
"""What a repo folder holds; a `models--…` folder with none of these is not a cache repo."""

KINDS = {"model": ComponentKind.MODEL, "dataset": ComponentKind.DATASET}
"""Spaces are applications."""

SOURCE = "hf-cache"


@dataclass(frozen=True, slots=True)
class SnapshotFile:
    """One file of a cached revision, as the snapshot folder links it."""

    revision: str
    path: str
    """Path inside the repo."""
    location: str
    """The snapshot entry's path inside the tree."""
    blob: str | None
    """The tree path holding the bytes: the linked blob, the file itself when copied (no
    symlinks), None when the link dangles."""
    etag: str | None
    """The blob's name (the Hub's ETag), when linked into blobs/."""
    size: int | None


@dataclass
class CachedRepo:
    """Everything read from one `models--org--name` folder."""

    root: str
    folder: RepoFolder
    files: list[SnapshotFile] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)
    """ref name (`main`, `refs/pr/1`) -> commit."""
    no_exist: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    listings: dict[str, tuple[str, dict[str, ListedFile]]] = field(default_factory=dict)
    """commit -> (trees/<commit>.json path, its files)."""
    blobs: dict[str, Entry] = field(default_factory=dict)
    """blob name -> entry."""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def revisions(self) -> list[str]:
        """Commits the cache holds (a snapshot or `.no_exist` folder), sorted."""
        return sorted({f.revision for f in self.files} | set(self.no_exist))


class HuggingFaceCacheCollector(Collector):
    """`models--…`/`datasets--…`/`spaces--…` folders anywhere in the tree."""

    name: ClassVar[str] = "hf-cache"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """One component per cached revision, its files verified unless --no-verify."""
        repos = [read_repo(tree, root, folder, entries) for root, folder, entries in _find(tree)]
        if not repos:
            return Collected()
        wanted = _wanted(repos, context)
        digests, unreadable = context.hasher.digests(tree, wanted) if wanted else ({}, {})
        parts = [_build(tree, repo, digests, unreadable, context.verify) for repo in repos]
        return Collected.merge(parts)


def _find(tree: Tree) -> list[tuple[str, RepoFolder, list[Entry]]]:
    """Repo folders and their entries: a path segment `models--…` followed by a cache area."""
    grouped: dict[str, tuple[RepoFolder, list[Entry]]] = {}
    for entry in tree.index().values():
        parts = entry.path.split("/")
        for i in range(len(parts) - 2):
            if parts[i + 1] in AREAS and (folder := repo_folder(parts[i])) is not None:
                root = "/".join(parts[: i + 1])
                grouped.setdefault(root, (folder, []))[1].append(entry)
                break
    return [(root, folder, entries) for root, (folder, entries) in sorted(grouped.items())]


def read_repo(tree: Tree, root: str, folder: RepoFolder, entries: list[Entry]) -> CachedRepo:
    """Parse one repo folder's refs, snapshots, blobs, `.no_exist` and `trees/`."""
    repo = CachedRepo(root, folder)
    snapshots: list[tuple[str, str, Entry]] = []
    for entry in entries:
        area, _, rest = entry.path[len(root) + 1 :].partition("/")
        if area == "blobs":
            if "/" in rest or not (SHA256_BLOB.fullmatch(rest) or GIT_BLOB.fullmatch(rest)):
                note = "an interrupted download" if rest.endswith(".incomplete") else "unexpected"
                repo.diagnostics.append(Diagnostic(entry.path, f"not a blob ({note})"))
            else:
                repo.blobs[rest] = entry
        elif area == "refs":
            try:
                repo.refs[rest] = parse_ref(entry.path, tree.read_bytes(entry.path))
            except ParseError as exc:
                repo.diagnostics.append(Diagnostic(exc.path, f"unreadable ref: {exc.reason}"))
        elif area == ".no_exist":
            commit, _, path = rest.partition("/")
            if path:
                repo.no_exist[commit].append(path)
        elif area == "trees" and rest.endswith(".json") and "/" not in rest:
            try:
                listing = parse_tree_listing(entry.path, tree.read_bytes(entry.path))
                repo.listings[rest.removesuffix(".json")] = (entry.path, listing)
            except ParseError as exc:
                repo.diagnostics.append(Diagnostic(exc.path, exc.reason))
        elif area == "snapshots":
            commit, _, path = rest.partition("/")
            if path:
                snapshots.append((commit, path, entry))
    for commit, path, entry in snapshots:
        repo.files.append(_snapshot_file(tree, repo, commit, path, entry))
    known = set(repo.revisions())
    for name, commit in sorted(repo.refs.items()):
        if commit not in known:
            repo.diagnostics.append(
                Diagnostic(f"{root}/refs/{name}", f"ref points at {commit}, which has no snapshot")
            )
    linked = {f.etag for f in repo.files}
    for name in sorted(set(repo.blobs) - linked):
        repo.diagnostics.append(
            Diagnostic(f"{root}/blobs/{name}", "blob not linked from any snapshot")
        )
    return repo


def _snapshot_file(
    tree: Tree, repo: CachedRepo, commit: str, path: str, entry: Entry
) -> SnapshotFile:
    location = entry.path
    if entry.link is None:  # no-symlink mode (HF_HUB_DISABLE_SYMLINKS, Windows): a copy
        return SnapshotFile(commit, path, location, location, None, entry.size)
    etag = posixpath.basename(entry.link)
    target = Tree.resolve_relative(location, entry.link)
    if entry.link.startswith("/") and entry.link.endswith(
        f"/{posixpath.basename(repo.root)}/blobs/{etag}"
    ):  # huggingface_hub falls back to absolute links where relative ones fail
        target = f"{repo.root}/blobs/{etag}"
    if target != f"{repo.root}/blobs/{etag}" or etag not in repo.blobs:
        repo.diagnostics.append(
            Diagnostic(location, f"dangling snapshot link to {entry.link} (blob missing)")
        )
        return SnapshotFile(commit, path, location, None, etag, None)
    return SnapshotFile(commit, path, location, target, etag, repo.blobs[etag].size)


def _wanted(repos: list[CachedRepo], context: CollectContext) -> list[tuple[str, Algorithm]]:
    """Every blob (linked or not) and every copied snapshot file, with its algorithm."""
    if not context.verify:
        return []
    wanted: dict[tuple[str, Algorithm], None] = {}
    for repo in repos:
        for name, entry in repo.blobs.items():
            algorithm = Algorithm.SHA256 if len(name) == 64 else Algorithm.GIT_SHA1
            wanted[(entry.path, algorithm)] = None
        for f in repo.files:
            if f.blob is not None and f.etag is None:
                wanted[(f.blob, Algorithm.SHA256)] = None
                listed = repo.listings.get(f.revision, ("", {}))[1].get(f.path)
                if listed is not None and listed.lfs_sha256 is None:
                    wanted[(f.blob, Algorithm.GIT_SHA1)] = None
    return list(wanted)


def _build(
    tree: Tree,
    repo: CachedRepo,
    digests: dict[tuple[str, Algorithm], str],
    unreadable: dict[str, str],
    verify: bool,
) -> Collected:
    folder = repo.folder
    diagnostics = list(repo.diagnostics)
    findings: list[Finding] = []
    for _, entry in sorted(repo.blobs.items()):
        if entry.path in unreadable:
            diagnostics.append(
                Diagnostic(entry.path, f"blob not verified: {unreadable[entry.path]}")
            )
    by_revision: dict[str, list[SnapshotFile]] = defaultdict(list)
    for f in repo.files:
        by_revision[f.revision].append(f)
    components: list[Component] = []
    edges: list[Dependency] = []
    for commit in repo.revisions():
        purl = purls.huggingface(folder.repo_id, commit, folder.repo_type)
        listing_path, listing = repo.listings.get(commit, ("", {}))
        files: list[ComponentFile] = []
        inspected: list[Evidence] = []
        for f in sorted(by_revision.get(commit, ()), key=lambda f: f.path):
            item, problems = _file(f, listing.get(f.path), digests, verify)
            files.append(item)
            findings.extend(
                finding("weights.hash-mismatch", purl, f"{folder.repo_id}@{commit}: {p}")
                for p in problems
            )
            if f.blob is not None and is_weight_path(f.path):
                # The same static checks as a loose file (unsafe pickles, Keras Lambda,
                # declared headers), on the cached bytes, reported on the revision.
                # Through the snapshot path: its name is the file's (the reader is chosen by
                # suffix); the bytes are the linked blob's.
                seen = inspect_weight_file(tree, f.location, purl)
                inspected.extend(replace(e, where=f.location) for e in seen.evidence)
                findings.extend(seen.findings)
                diagnostics.extend(seen.diagnostics)
        present = [(f.path, f.location) for f in by_revision.get(commit, ()) if f.blob]
        declared = declared_lineage(tree, folder.repo_id, present, inspected)
        edges.extend(
            Dependency(purl, purls.huggingface(c.base), DependencyKind.DERIVED_FROM, c.relation)
            for c in declared.lineage
        )
        components.append(
            Component(
                purl=purl,
                kind=KINDS.get(folder.repo_type, ComponentKind.APPLICATION),
                name=folder.repo_id,
                version=commit,
                locations=(Location(tree.ref, f"{repo.root}/snapshots/{commit}"),),
                license=declared.license,
                evidence=_evidence(repo, commit, listing_path, listing)
                + tuple(inspected)
                + declared.evidence
                + _licence_evidence(declared.license, declared.license_link, present),
                found_by=HuggingFaceCacheCollector.name,
                files=tuple(files),
            )
        )
    return Collected(
        components=tuple(components),
        dependencies=tuple(edges),
        findings=tuple(findings),
        diagnostics=tuple(diagnostics),
    )


def _licence_evidence(
    license_: str | None, link: str | None, files: list[tuple[str, str]]
) -> tuple[Evidence, ...]:
    card = next((loc for path, loc in files if path.lower() == "readme.md"), "README.md")
    found = []
    if license_:
        found.append(Evidence("model-card", "license", license_, card, Strength.DECLARED))
    if link:
        found.append(Evidence("model-card", "license_link", link, card, Strength.DECLARED))
    return tuple(found)


def _file(
    f: SnapshotFile,
    listed: ListedFile | None,
    digests: dict[tuple[str, Algorithm], str],
    verify: bool,
) -> tuple[ComponentFile, list[str]]:
    """The file as the component carries it, and what is wrong with its bytes."""
    problems: list[str] = []
    sha256 = git_sha1 = None
    if f.blob is not None and f.etag is not None:
        if len(f.etag) == 64:
            actual = digests.get((f.blob, Algorithm.SHA256))
            sha256 = actual or (None if verify else f.etag)
            if actual is not None and actual != f.etag:
                problems.append(f"{f.path}: blob {f.etag} holds content with sha256 {actual}")
        else:
            actual = digests.get((f.blob, Algorithm.GIT_SHA1))
            git_sha1 = actual or (None if verify else f.etag)
            if actual is not None and actual != f.etag:
                problems.append(f"{f.path}: blob {f.etag} holds content with git id {actual}")
    elif f.blob is not None:  # a copied file: its digests come from hashing alone
        sha256 = digests.get((f.blob, Algorithm.SHA256))
        git_sha1 = digests.get((f.blob, Algorithm.GIT_SHA1))
    if listed is not None and f.blob is not None:
        expected = listed.lfs_sha256 or listed.blob_id
        # A linked blob is checked by its name (its content was checked against the name
        # above, one finding per fault); a copy by what its bytes hash to.
        have = f.etag or (sha256 if listed.lfs_sha256 else git_sha1)
        if have is not None and have != expected:
            problems.append(f"{f.path}: the revision's file listing records {expected}, not {have}")
        size = listed.lfs_size if listed.lfs_sha256 else listed.size
        if have == expected and f.size is not None and size is not None and f.size != size:
            problems.append(f"{f.path}: {f.size} bytes, the revision's listing records {size}")
    item = ComponentFile(f.path, f.size, sha256, git_sha1, f.location if f.blob else None)
    return item, problems


def _evidence(
    repo: CachedRepo, commit: str, listing_path: str, listing: dict[str, ListedFile]
) -> tuple[Evidence, ...]:
    """Refs naming this commit, files cached as absent, and the tree listing, as evidence."""
    found = [
        Evidence(SOURCE, "ref", name, f"{repo.root}/refs/{name}", Strength.DECLARED)
        for name, target in sorted(repo.refs.items())
        if target == commit
    ]
    found.extend(
        Evidence(
            SOURCE, "no-exist", path, f"{repo.root}/.no_exist/{commit}/{path}", Strength.DECLARED
        )
        for path in sorted(repo.no_exist.get(commit, ()))
    )
    if listing_path:
        found.append(
            Evidence(
                SOURCE, "tree-listing", f"{len(listing)} files", listing_path, Strength.DECLARED
            )
        )
    return tuple(found)
