"""Hub models (and datasets) a target's code, configs, Dockerfiles and scripts download.

Each reference is a `model` component (`pkg:huggingface/<ns>/<name>[@<commit>]`, or the
ModelScope encoding) located at its file and line; an unpinned one is also a
`model.unpinned-reference` finding. Extraction is `auditor.references.references_in_text`,
which the pre-commit hook calls without a scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from auditor import purls
from auditor.collectors import CollectContext, Collected, Collector
from auditor.errors import Diagnostic, ParseError
from auditor.model import Component, ComponentKind, Evidence, Finding, Location, Strength
from auditor.policy.builtin import finding
from auditor.references import MAX_FILE, ModelReference, kind_of, references_in_text
from auditor.sources import Tree

_FOREIGN = re.compile(
    r"(?:^|/)(?:node_modules|site-packages|dist-packages|lib/python[23]\.\d+|\.venv|venv)/"
)
"""Installed packages' own sources and fixtures name models the target does not download."""
_HF_CACHE = re.compile(r"(?:^|/)(?:models|datasets|spaces)--[^/]+/")


_DIST_INFO = re.compile(r"[^/]+\.(?:dist|egg)-info/[^/]+")


def is_site_packages(tree: Tree) -> bool:
    """The tree is itself a site-packages (distributions' metadata at its root)."""
    return any(_DIST_INFO.fullmatch(path) for path in tree.index())


def reference_purl(ref: ModelReference) -> str:
    """The component identity a reference names (pinned: with its commit)."""
    version = ref.revision if ref.pinned else None
    if ref.hub == "modelscope":
        return purls.modelscope(ref.repo_id, version)
    return purls.huggingface(ref.repo_id, version, ref.repo_type)


def reference_results(
    refs: Iterable[ModelReference], target: str, found_by: str
) -> tuple[list[Component], list[Finding]]:
    """Components and unpinned-reference findings for references found in `target`."""
    components: list[Component] = []
    findings: list[Finding] = []
    for ref in refs:
        purl = reference_purl(ref)
        where = f"{ref.path}:{ref.line}"
        evidence = (Evidence("code", ref.via, ref.repo_id, where, Strength.DECLARED),)
        components.append(
            Component(
                purl=purl,
                kind=ComponentKind.DATASET if ref.repo_type == "dataset" else ComponentKind.MODEL,
                name=ref.repo_id,
                version=ref.revision if ref.pinned else None,
                locations=(Location(target, ref.path, ref.line),),
                direct=True,
                evidence=evidence,
                found_by=found_by,
            )
        )
        if not ref.pinned:
            moving = f"revision {ref.revision!r} can move" if ref.revision else "no revision"
            findings.append(
                finding(
                    "model.unpinned-reference",
                    purl,
                    f"{where}: {ref.via} names {ref.repo_id} with {moving}; "
                    "pin a 40-hex commit with revision=",
                    evidence,
                )
            )
    return components, findings


class ModelRefsCollector(Collector):
    """Model references in every Python, config and shell file of the target."""

    name: ClassVar[str] = "model-refs"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """Components at each reference's file and line, findings for unpinned ones."""
        refs: list[ModelReference] = []
        diagnostics: list[Diagnostic] = []
        if is_site_packages(tree):
            return Collected()  # library code, not the target's own
        index = tree.index()
        # Paths first: an image lists tens of thousands, and each Entry is built on access.
        for path in index:
            if kind_of(path) is None or _FOREIGN.search(path) or _HF_CACHE.search(path):
                continue
            if index[path].size > MAX_FILE:
                continue
            try:
                text = tree.read_text(path)
            except ParseError as exc:
                diagnostics.append(Diagnostic(path, exc.reason))
                continue
            extracted = references_in_text(path, text)
            refs.extend(extracted.references)
            diagnostics.extend(extracted.diagnostics)
        components, findings = reference_results(refs, tree.ref, self.name)
        return Collected(
            components=tuple(components),
            findings=tuple(findings),
            diagnostics=tuple(diagnostics),
        )
