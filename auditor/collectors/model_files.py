"""Loose weight files anywhere in a target, and the lineage local model folders declare.

Each weight file (`auditor.weights.inspect.WEIGHT_SUFFIXES`) is a `weights` component
`pkg:generic/<file name>?checksum=sha256:<hex>` carrying its header as `declared` evidence
and its pickle/Keras findings. Files inside a Hugging Face cache (`models--*/blobs|snapshots`)
belong to the model-cache collector, which calls the same `inspect_weight_file`.

Lineage (`derived_from` edges, relation in the edge's `scope`) attaches to what each claim
describes: a GGUF's own `general.base_model.*` keys to that GGUF; an `adapter_config.json` to
the adapter weights beside it (`adapter_model.*`); a model card or `config.json` to the
folder's model (`pkg:generic/<folder>?download_url=file:<path>`), not to every file in it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar

from auditor import purls
from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.hf_cache_lineage import gguf_bases, gguf_source_bases
from auditor.collectors.llama_cpp_cache import claimed as llama_cpp_claimed
from auditor.collectors.lmstudio import model_roots
from auditor.collectors.model_refs import is_site_packages
from auditor.collectors.modelscope_files import modelscope_prefixes
from auditor.errors import Diagnostic, ParseError
from auditor.model import (
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Finding,
    Location,
    Strength,
)
from auditor.sources import Tree
from auditor.weights.inspect import inspect_weight_file, is_weight_path
from auditor.weights.lineage import (
    Lineage,
    card_lineage,
    config_lineage,
)

HF_CACHE_FILE = re.compile(r"(?:^|/)(?:models|datasets|spaces)--[^/]+/(?:blobs|snapshots)/")
"""Files the model-cache collector reads (huggingface_hub's cache layout)."""
_FOREIGN = re.compile(r"(?:^|/)(?:node_modules|site-packages|dist-packages|lib/python[23]\.\d+)/")
"""Installed packages ship test fixtures and sample configs that are not the target's models."""
_SIDECARS = {
    "config.json": ("_name_or_path", None),
    "adapter_config.json": ("base_model_name_or_path", "adapter"),
}
MAX_SIDECAR = 4 * 1024 * 1024


def in_hf_cache(path: str) -> bool:
    """Inside a Hugging Face cache repo folder."""
    return HF_CACHE_FILE.search(path) is not None


@dataclass(slots=True)
class _Folder:
    lineage: list[Lineage] = field(default_factory=list)
    license: str | None = None
    weights: dict[str, str] = field(default_factory=dict)
    """Weight files in the folder: path -> purl."""


class ModelFilesCollector(Collector):
    """Weight files, their declared provenance and safety, and local lineage."""

    name: ClassVar[str] = "model-files"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """One component per weight file; lineage edges per model folder."""
        paths = loose_paths(tree)
        if not paths:
            return Collected()
        folders: dict[str, _Folder] = {}
        components: list[Component] = []
        findings: list[Finding] = []
        diagnostics: list[Diagnostic] = []
        source_edges: list[Dependency] = []
        for path in (p for p in paths if is_weight_path(p)):
            try:
                digest = context.hasher.sha256(tree, [path])[path]
            except ParseError as exc:
                diagnostics.append(Diagnostic(path, exc.reason))
                continue
            # Streams are not recorded in the target digest; a weight file's bytes are its
            # identity, so a changed weight changes the target's digest too.
            tree.read_digests[path] = digest
            name = posixpath.basename(path)
            purl = purls.generic_file(name, digest)
            inspection = inspect_weight_file(tree, path, purl)
            diagnostics.extend(inspection.diagnostics)
            if not inspection.is_weights:
                continue
            findings.extend(inspection.findings)
            folder = folders.setdefault(posixpath.dirname(path), _Folder())
            folder.weights[path] = purl
            # The GGUF's own header: that GGUF's lineage (the repo it was converted from, or
            # its bases), and the converted repo's bases as the header names them.
            folder.lineage += gguf_bases(inspection.evidence)
            source_edges += [
                Dependency(purls.huggingface(src), purls.huggingface(b.base),
                           DependencyKind.DERIVED_FROM, b.relation)
                for src, b in gguf_source_bases(inspection.evidence)
            ]  # fmt: skip
            components.append(
                Component(
                    purl=purl,
                    kind=ComponentKind.WEIGHTS,
                    name=name,
                    version=None,
                    hashes=(f"sha256:{digest}",),
                    license=inspection.license,
                    locations=(Location(tree.ref, path),),
                    direct=True,
                    evidence=inspection.evidence,
                    found_by=self.name,
                )
            )
        for path in paths:
            _read_sidecar(tree, path, folders, diagnostics)
        # A weight file that names no licence carries its model card's.
        components = [
            replace(c, license=c.license or _folder_license(folders, c.locations[0].path))
            for c in components
        ]
        lineage_components, edges = _lineage(tree, folders, self.name)
        return Collected(
            components=tuple(components + lineage_components),
            dependencies=tuple(dict.fromkeys(edges + source_edges)),
            findings=tuple(findings),
            diagnostics=tuple(diagnostics),
        )


def loose_paths(tree: Tree) -> list[str]:
    """The paths this collector reads: not in an installed package, a Hugging Face cache or
    a folder another model collector owns."""
    if is_site_packages(tree):
        return []  # installed packages' data files are not the target's models
    index = tree.index()
    # ModelScope cache folders (holding its .msc/.mdl index files) are the model-scope
    # collector's, which applies the same per-file checks to them.
    scoped = modelscope_prefixes(index)
    # So are LM Studio's models folder and llama.cpp's cache (their own collectors).
    scoped += model_roots(tree, index) + llama_cpp_claimed(index)
    return [
        p
        for p in index
        if not in_hf_cache(p) and not _FOREIGN.search(p) and not p.startswith(scoped)
    ]


def folder_purl(ref: str, directory: str) -> tuple[str, str]:
    """(name, purl) of a local model folder: `pkg:generic/<folder>?download_url=file:<path>`."""
    name = posixpath.basename(directory) or ref.rstrip("/").rpartition("/")[2] or "."
    return name, purls.local_folder(name, directory or ".")


def _folder_license(folders: dict[str, _Folder], path: str) -> str | None:
    folder = folders.get(posixpath.dirname(path))
    return folder.license if folder is not None else None


def _read_sidecar(
    tree: Tree, path: str, folders: dict[str, _Folder], diagnostics: list[Diagnostic]
) -> None:
    name = posixpath.basename(path)
    if name not in _SIDECARS and name.lower() != "readme.md":
        return
    entry = tree.entry(path)
    if entry is None or entry.size > MAX_SIDECAR:
        return
    try:
        text = tree.read_text(path)
    except ParseError as exc:
        diagnostics.append(Diagnostic(path, exc.reason))
        return
    directory = posixpath.dirname(path)
    if name in _SIDECARS:
        field_name, relation = _SIDECARS[name]
        if field_name not in text:  # cheap: most config.json files are not models'
            return
        found = config_lineage(text, path, field_name, relation)
        if found:
            folders.setdefault(directory, _Folder()).lineage.extend(found)
        return
    found, license_ = card_lineage(text, path)
    if found or license_:
        folder = folders.setdefault(directory, _Folder())
        folder.lineage.extend(found)
        folder.license = folder.license or license_


def _lineage(
    tree: Tree, folders: dict[str, _Folder], found_by: str
) -> tuple[list[Component], list[Dependency]]:
    components: list[Component] = []
    edges: list[Dependency] = []
    for directory, folder in sorted(folders.items()):
        if not folder.lineage:
            continue
        made: list[str] = []

        def the_folder(
            directory: str = directory, folder: _Folder = folder, made: list[str] = made
        ) -> list[str]:
            if not made:
                made.append(_folder_model(tree, directory, folder, found_by, components))
            return made[:1]

        # One claim per (describer, base): the card's relation wins over a config's silence.
        relations: dict[tuple[tuple[str, ...], str], Lineage] = {}
        for claim in folder.lineage:
            key = (tuple(_described(claim, folder, the_folder)), claim.base)
            if key not in relations or relations[key].relation is None:
                relations[key] = claim
        for (sources, base), claim in sorted(relations.items()):
            target = purls.huggingface(base)
            components.append(
                Component(
                    purl=target,
                    kind=ComponentKind.MODEL,
                    name=base,
                    version=None,
                    locations=(Location(tree.ref, claim.source.rpartition(":")[0]),),
                    direct=False,
                    evidence=(
                        Evidence(
                            "model-card" if "README" in claim.source.upper() else "config",
                            claim.source.rpartition(":")[2],
                            base,
                            claim.source.rpartition(":")[0],
                            Strength.DECLARED,
                        ),
                    ),
                    found_by=found_by,
                )
            )
            edges.extend(
                Dependency(source, target, DependencyKind.DERIVED_FROM, scope=claim.relation)
                for source in sources
            )
    return components, edges


def _folder_model(
    tree: Tree, directory: str, folder: _Folder, found_by: str, components: list[Component]
) -> str:
    """The folder itself as a model (`pkg:generic/<folder>?download_url=file:<path>`)."""
    name, purl = folder_purl(tree.ref, directory)
    components.append(
        Component(
            purl=purl,
            kind=ComponentKind.MODEL,
            name=name,
            version=None,
            license=folder.license,
            locations=(Location(tree.ref, directory or "."),),
            direct=True,
            evidence=tuple(_claims(folder)),
            found_by=found_by,
        )
    )
    return purl


def _is_adapter(path: str) -> bool:
    return posixpath.basename(path).startswith("adapter_model.")


def _described(claim: Lineage, folder: _Folder, the_folder: Callable[[], list[str]]) -> list[str]:
    """What a claim describes: a GGUF header its own file; an adapter config the adapter
    weights beside it (PEFT's `adapter_model.*`); a card or config.json the folder's model:
    its weights that are neither adapters nor files declaring their own base (else the
    folder itself)."""
    source = claim.source.rpartition(":")[0]
    if source in folder.weights:
        return [folder.weights[source]]
    if posixpath.basename(source) == "adapter_config.json":
        adapters = [p for path, p in folder.weights.items() if _is_adapter(path)]
        return adapters or the_folder()
    own = {c.source.rpartition(":")[0] for c in folder.lineage}
    main = [p for path, p in folder.weights.items() if not _is_adapter(path) and path not in own]
    return main or the_folder()


def _claims(folder: _Folder) -> list[Evidence]:
    return [
        Evidence(
            "model-card" if "README" in c.source.upper() else "config",
            c.source.rpartition(":")[2],
            c.base,
            c.source.rpartition(":")[0],
            Strength.DECLARED,
        )
        for c in folder.lineage
    ]
