"""ModelScope caches: each cached repo's revisions and files, as far as its index records them.

A repo folder is one holding modelscope's `.mdl`/`.msc`/`.mv` index files (see
modelscope_files.py), wherever it sits: `~/.cache/modelscope/hub/<org>/<name>`, the newer
`…/hub/models/<org>/<name>` and `…/datasets/<org>/<name>`, `$MODELSCOPE_CACHE/…`, or a
`local_dir` download. Files are plain copies (no content-addressed blobs), so there is no
recorded digest to verify against offline; their sha256 is computed (unless --no-verify) so
a resolver can compare it with the hub's listing.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Mapping
from typing import ClassVar

from auditor import purls
from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.modelscope_files import IndexedFile, parse_mdl, parse_msc, parse_mv
from auditor.errors import Diagnostic, ParseError
from auditor.hashing import Algorithm
from auditor.model import (
    Component,
    ComponentFile,
    ComponentKind,
    Evidence,
    Finding,
    Location,
    Strength,
)
from auditor.sources import Entry, Tree
from auditor.weights.inspect import inspect_weight_file, is_weight_path

INDEX_FILES = (".msc", ".mdl", ".mv")
TEMPORARY = ".tmp"
"""modelscope's TEMPORARY_FOLDER_NAME: partial downloads, not cache content."""
SOURCE = "modelscope-cache"


class ModelScopeCacheCollector(Collector):
    """Folders holding modelscope's cache index files."""

    name: ClassVar[str] = "modelscope-cache"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """One component per recorded revision of each cached repo."""
        index = tree.index()
        roots = sorted(
            {posixpath.dirname(p) for p in index if posixpath.basename(p) in (".msc", ".mdl")}
        )
        if not roots:
            return Collected()
        members = _members(index, roots)
        wanted = (
            [(e.path, Algorithm.SHA256) for root in roots for e in members[root]]
            if context.verify
            else []
        )
        digests, unreadable = context.hasher.digests(tree, wanted) if wanted else ({}, {})
        sha256 = {path: digest for (path, _), digest in digests.items()}
        return Collected.merge(
            _repo(tree, root, members[root], sha256, unreadable) for root in roots
        )


def _members(index: Mapping[str, Entry], roots: list[str]) -> dict[str, list[Entry]]:
    """The files of each repo folder (the innermost one that holds them), index files aside."""
    ordered = sorted(roots, key=len, reverse=True)
    members: dict[str, list[Entry]] = {root: [] for root in roots}
    for path, entry in index.items():
        name = posixpath.basename(path)
        for root in ordered:
            prefix = f"{root}/" if root else ""
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                if name not in INDEX_FILES and not rest.startswith(f"{TEMPORARY}/"):
                    members[root].append(entry)
                break
    return members


def _repo(
    tree: Tree, root: str, entries: list[Entry], sha256: dict[str, str], unreadable: dict[str, str]
) -> Collected:
    diagnostics: list[Diagnostic] = []

    def read(name: str) -> bytes | None:
        path = f"{root}/{name}" if root else name
        if tree.entry(path) is None:
            return None
        try:
            return tree.read_bytes(path)
        except ParseError as exc:
            diagnostics.append(Diagnostic(exc.path, exc.reason))
            return None

    repo_id = _folder_id(root)
    indexed: tuple[IndexedFile, ...] = ()
    version: str | None = None
    for name, parse in ((".mdl", "mdl"), (".msc", "msc"), (".mv", "mv")):
        data = read(name)
        if data is None:
            continue
        path = f"{root}/{name}" if root else name
        try:
            if parse == "mdl":
                repo_id = parse_mdl(path, data) or repo_id
            elif parse == "msc":
                indexed = parse_msc(path, data)
            else:
                version = parse_mv(path, data.decode("utf-8", "replace"))
        except ParseError as exc:
            diagnostics.append(Diagnostic(exc.path, exc.reason))
    prefix = f"{root}/" if root else ""
    on_disk = {e.path[len(prefix) :]: e for e in entries}
    revision_of = {f.path: f.revision for f in indexed}
    by_revision: dict[str | None, list[ComponentFile]] = defaultdict(list)
    diagnostics.extend(
        Diagnostic(prefix + f.path, f"indexed in {prefix}.msc but missing")
        for f in indexed
        if f.path not in on_disk
    )
    for rel, entry in sorted(on_disk.items()):
        if entry.path in unreadable:
            diagnostics.append(Diagnostic(entry.path, f"not hashed: {unreadable[entry.path]}"))
        item = ComponentFile(rel, entry.size, sha256.get(entry.path), None, entry.path)
        by_revision[revision_of.get(rel, version)].append(item)
    if not by_revision:
        by_revision[version] = []
    evidence = tuple(
        Evidence(SOURCE, field, value, prefix + name, Strength.DECLARED)
        for field, value, name in (("model-id", repo_id, ".mdl"), ("model-version", version, ".mv"))
        if value
    )
    components: list[Component] = []
    findings: list[Finding] = []
    for revision, files in sorted(by_revision.items(), key=lambda kv: kv[0] or ""):
        purl = purls.modelscope(repo_id, revision)
        inspected: list[Evidence] = []
        for item in files:
            if item.location is not None and is_weight_path(item.path):
                # The loose-file checks (unsafe pickles, Keras Lambda, headers) on cached bytes.
                seen = inspect_weight_file(tree, item.location, purl)
                inspected.extend(seen.evidence)
                findings.extend(seen.findings)
                diagnostics.extend(seen.diagnostics)
        components.append(
            Component(
                purl=purl,
                kind=ComponentKind.DATASET if _is_dataset(root) else ComponentKind.MODEL,
                name=repo_id,
                version=revision,
                locations=(Location(tree.ref, root or "."),),
                evidence=evidence + tuple(inspected),
                found_by=ModelScopeCacheCollector.name,
                files=tuple(files),
            )
        )
    return Collected(
        components=tuple(components), findings=tuple(findings), diagnostics=tuple(diagnostics)
    )


def _folder_id(root: str) -> str:
    """`<org>/<name>` from the folder, undoing modelscope's `.` -> `___` in the name."""
    parts = root.split("/")[-2:] if root else ["unknown"]
    return "/".join([*parts[:-1], parts[-1].replace("___", ".")])


def _is_dataset(root: str) -> bool:
    return "datasets" in root.split("/")[:-2]
