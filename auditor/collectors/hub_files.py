"""Weight files a local runner keeps under the Hub repo they came from (LM Studio's models
folder, llama.cpp's cache): one unversioned `pkg:huggingface/<owner>/<repo>` component per
repo, its files hashed (and checked against a recorded sha256 when the runner kept one), each
file inspected like a loose weight file, and the GGUF header's lineage declared."""

from __future__ import annotations

from dataclasses import dataclass

from auditor import purls
from auditor.collectors import CollectContext, Collected
from auditor.collectors.hf_cache_lineage import gguf_bases, gguf_source_bases
from auditor.errors import Diagnostic
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
)
from auditor.policy.builtin import finding
from auditor.sources import Tree
from auditor.weights.inspect import inspect_weight_file


@dataclass(frozen=True, slots=True)
class RepoFile:
    """One file of a Hub repo as a runner keeps it."""

    path: str
    """Path inside the repo (`Qwen2.5-7B-Instruct-Q4_K_M.gguf`)."""
    location: str
    """Where the bytes are in the tree."""
    expected_sha256: str | None = None
    """The sha256 the runner recorded (llama.cpp's manifest `lfs.sha256`)."""


def repo_components(
    tree: Tree,
    context: CollectContext,
    repos: dict[str, list[RepoFile]],
    evidence: dict[str, list[Evidence]],
    found_by: str,
) -> Collected:
    """One component per repo id in `repos`; `evidence` per repo id (tags, manifests)."""
    wanted = [(f.location, Algorithm.SHA256) for files in repos.values() for f in files]
    digests, unreadable = context.hasher.digests(tree, wanted) if context.verify else ({}, {})
    components: list[Component] = []
    edges: list[Dependency] = []
    findings: list[Finding] = []
    diagnostics = [Diagnostic(p, f"not hashed: {why}") for p, why in unreadable.items()]
    for repo_id, files in sorted(repos.items()):
        purl = purls.huggingface(repo_id)
        found = list(evidence.get(repo_id, ()))
        items = []
        for f in sorted(files, key=lambda f: f.path):
            entry = tree.entry(f.location)
            actual = digests.get((f.location, Algorithm.SHA256))
            if actual and f.expected_sha256 and actual != f.expected_sha256:
                message = (f"{repo_id}: {f.location} holds content with sha256 {actual}; "
                           f"the runner recorded {f.expected_sha256}")  # fmt: skip
                findings.append(finding("weights.hash-mismatch", purl, message))
            sha256 = actual or (None if context.verify else f.expected_sha256)
            items.append(ComponentFile(f.path, entry.size if entry else None, sha256, None,
                                       f.location))  # fmt: skip
            seen = inspect_weight_file(tree, f.location, purl)
            found += seen.evidence
            findings += seen.findings
            diagnostics += seen.diagnostics
            edges += [
                Dependency(purl, purls.huggingface(c.base), DependencyKind.DERIVED_FROM,
                           c.relation)
                for c in gguf_bases(seen.evidence)
                if c.base.casefold() != repo_id.casefold()
            ]  # fmt: skip
            edges += [
                Dependency(purls.huggingface(src), purls.huggingface(b.base),
                           DependencyKind.DERIVED_FROM, b.relation)
                for src, b in gguf_source_bases(seen.evidence)
                if src.casefold() != repo_id.casefold()
            ]  # fmt: skip
        components.append(Component(
            purl=purl, kind=ComponentKind.MODEL, name=repo_id, version=None,
            locations=tuple(dict.fromkeys(Location(tree.ref, f.location.rpartition("/")[0] or ".")
                                          for f in files)),
            evidence=tuple(dict.fromkeys(found)), found_by=found_by, files=tuple(items),
        ))  # fmt: skip
    return Collected(tuple(components), tuple(dict.fromkeys(edges)), tuple(findings),
                     tuple(diagnostics))  # fmt: skip
