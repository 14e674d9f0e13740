"""Ollama model stores: one component per pulled or created model tag, every blob verified.

A store is found by its layout (ollama_files.py: `manifests/<host>/<ns>/<model>/<tag>` beside
`blobs/sha256-<hex>`), wherever it sits: a named `ollama:` target, `~/.ollama/models` inside a
scanned home folder, `/usr/share/ollama/.ollama/models` or `/root/.ollama/models` in an image.
Each tag is `pkg:generic/ollama/<ns>/<model>@<tag>?checksum=sha256:<manifest digest>` with its
layers as files (by media type), each blob's sha256 checked against its name
(`weights.hash-mismatch`; the digest memo spares a rescan the hashing), the config blob's
family, parameter size and quantisation and the GGUF header as `declared` evidence, the licence
layer identified, a layer's `from` as lineage to the tag it was built from, a tag pulled from the
Hugging Face Hub as lineage to that Hub repo (resolved like any Hub model), and a model of
Ollama's library mapped to its lab (`inferred`, rules/data/ollama-library.yaml).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import ClassVar

from auditor import purls
from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.hf_cache_lineage import gguf_bases, gguf_source_bases
from auditor.collectors.ollama_files import (
    CONFIG_FIELDS,
    DIGEST,
    MAX_TEXT_LAYER,
    WEIGHT_KINDS,
    Layer,
    Manifest,
    StoreData,
    TagPath,
    identify_licence,
    parse_manifest,
    store_data,
    tag_path,
)
from auditor.errors import Diagnostic, ParseError
from auditor.hashing import Algorithm
from auditor.licences import spdx
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
from auditor.sources import Tree
from auditor.weights.headers import HeaderError, read_gguf

SOURCE = "ollama"
LIBRARY = "ollama-library"
_BLOB = re.compile(r"(?:(.*)/)?blobs/(sha256-[0-9a-f]{64})")
_NAME = re.compile(
    r"(?:(?:(?P<host>[^/]+)/)?(?P<ns>[^/]+)/)?(?P<model>[^/:]+)(?::(?P<tag>[^/:]+))?"
)


@dataclass(frozen=True, slots=True)
class _Tag:
    where: str
    """The manifest's path in the tree."""
    name: TagPath
    manifest: Manifest
    digest: str
    """sha256 of the manifest file: Ollama's digest of the tag."""


class OllamaStoreCollector(Collector):
    """`manifests/…` and `blobs/sha256-…` of Ollama's model store."""

    name: ClassVar[str] = "ollama-store"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """One component per tag whose store has a `blobs/` folder."""
        index = tree.index()
        roots = {m.group(1) or "" for p in index if (m := _BLOB.fullmatch(p))}
        tags: list[_Tag] = []
        diagnostics: list[Diagnostic] = []
        for path in sorted(index):
            name = tag_path(path)
            if name is None or name.root not in roots:
                continue
            try:
                raw = tree.read_bytes(path)
                manifest = parse_manifest(path, raw)
            except ParseError as exc:
                diagnostics.append(Diagnostic(exc.path, exc.reason))
                continue
            tags.append(_Tag(path, name, manifest, hashlib.sha256(raw).hexdigest()))
        if not tags:
            return Collected(diagnostics=tuple(diagnostics))
        wanted = {
            (_blob(t.name.root, layer.digest), Algorithm.SHA256)
            for t in tags
            for layer in _layers(t.manifest)
            if _blob(t.name.root, layer.digest) in index
        }
        digests, unreadable = (
            context.hasher.digests(tree, sorted(wanted)) if context.verify and wanted else ({}, {})
        )
        sha256 = {path: digest for (path, _), digest in digests.items()}
        diagnostics.extend(
            Diagnostic(p, f"blob not verified: {why}") for p, why in unreadable.items()
        )
        known = {(t.name.root, _key(t.name)): t for t in tags}
        found = store_data()
        parts = [_component(tree, t, sha256, context.verify, found, known) for t in tags]
        return Collected.merge([Collected(diagnostics=tuple(diagnostics)), *parts])


def _layers(manifest: Manifest) -> tuple[Layer, ...]:
    return ((manifest.config,) if manifest.config else ()) + manifest.layers


def _blob(root: str, digest: str) -> str:
    return f"{root}/blobs/sha256-{digest}" if root else f"blobs/sha256-{digest}"


def _key(name: TagPath) -> tuple[str, str, str, str]:
    return (name.host.casefold(), name.namespace.casefold(), name.model.casefold(),
            name.tag.casefold())  # fmt: skip


def _purl(name: TagPath, digest: str | None, data: StoreData) -> str:
    host = None if name.host.casefold() == data.default_host else name.host
    # A parent tag not in the store is known by name only (no checksum).
    return purls.ollama(name.namespace, name.model, name.tag, digest, host)


def _component(
    tree: Tree,
    tag: _Tag,
    sha256: dict[str, str],
    verify: bool,
    data: StoreData,
    known: dict[tuple[str, tuple[str, str, str, str]], _Tag],
) -> Collected:
    name = tag.name
    purl = _purl(name, tag.digest, data)
    shown = name.shortest(data.default_host)
    evidence = [
        Evidence(SOURCE, "tag", shown, tag.where, Strength.DECLARED),
        Evidence(SOURCE, "manifest.digest", f"sha256:{tag.digest}", tag.where, Strength.DECLARED),
    ]
    files: list[ComponentFile] = []
    findings: list[Finding] = []
    diagnostics: list[Diagnostic] = []
    edges: list[Dependency] = []
    counts: dict[str, int] = {}
    licence: str | None = None
    for layer in _layers(tag.manifest):
        kind = "config" if layer is tag.manifest.config else layer.kind
        counts[kind] = counts.get(kind, 0) + 1
        label = kind if counts[kind] == 1 else f"{kind}.{counts[kind]}"
        blob = _blob(name.root, layer.digest)
        entry = tree.entry(blob)
        evidence.append(Evidence(SOURCE, f"layer.{label}", f"{layer.media_type} sha256:"
                                 f"{layer.digest} {layer.size} bytes", blob,
                                 Strength.DECLARED))  # fmt: skip
        if entry is None:
            diagnostics.append(Diagnostic(tag.where, f"{label} layer blob sha256-{layer.digest} "
                                          "is missing from the store"))  # fmt: skip
            files.append(ComponentFile(label, layer.size, None if verify else layer.digest))
            continue
        actual = sha256.get(blob)
        if actual is not None and actual != layer.digest:
            findings.append(finding("weights.hash-mismatch", purl,
                                    f"{shown}: {label} blob sha256-{layer.digest} holds content "
                                    f"with sha256 {actual}"))  # fmt: skip
        if entry.size != layer.size:
            findings.append(finding("weights.hash-mismatch", purl,
                                    f"{shown}: {label} blob is {entry.size} bytes, the manifest "
                                    f"records {layer.size}"))  # fmt: skip
        files.append(ComponentFile(label, entry.size, actual or (None if verify else layer.digest),
                                   None, blob))  # fmt: skip
        if layer.origin and kind in WEIGHT_KINDS:
            evidence.append(Evidence(SOURCE, f"layer.{label}.from", layer.origin, tag.where,
                                     Strength.DECLARED))  # fmt: skip
            parent = _parent(layer.origin, name, data, known)
            if parent is not None and parent != purl:
                edges.append(Dependency(purl, parent, DependencyKind.DERIVED_FROM, None))
        if kind == "config":
            evidence += _config(tree, blob, entry.size, diagnostics)
        elif kind == "license" and licence is None:
            licence, found = _licence(tree, blob, entry.size)
            evidence += found
        elif kind == "model":
            header = _gguf(tree, blob, entry.size, diagnostics)
            evidence += header
            edges += [
                Dependency(purl, purls.huggingface(c.base), DependencyKind.DERIVED_FROM, c.relation)
                for c in gguf_bases(header)
            ]
            edges += [
                Dependency(purls.huggingface(src), purls.huggingface(b.base),
                           DependencyKind.DERIVED_FROM, b.relation)
                for src, b in gguf_source_bases(header)
            ]  # fmt: skip
    named = _named_lineage(name, purl, Location(tree.ref, tag.where), data)
    evidence += named.evidence
    edges += named.edges
    components = list(named.components)
    components.insert(0, Component(
        purl=purl, kind=ComponentKind.MODEL, name=shown.rpartition(":")[0], version=name.tag,
        license=licence, locations=(Location(tree.ref, tag.where),), evidence=tuple(evidence),
        found_by=OllamaStoreCollector.name, files=tuple(files),
    ))  # fmt: skip
    return Collected(tuple(components), tuple(dict.fromkeys(edges)), tuple(findings),
                     tuple(diagnostics))  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Named:
    evidence: tuple[Evidence, ...] = ()
    edges: tuple[Dependency, ...] = ()
    components: tuple[Component, ...] = ()


def _named_lineage(name: TagPath, purl: str, where: Location, data: StoreData) -> _Named:
    """What a tag's name alone says: a tag pulled from the Hub derives from that Hub repo; a
    library model is its lab's (`inferred`, from the data file)."""
    shown = name.shortest(data.default_host)
    if name.host.casefold() in data.hub_hosts:
        repo = f"{name.namespace}/{name.model}"
        hub = purls.huggingface(repo)
        return _Named(edges=(Dependency(purl, hub, DependencyKind.DERIVED_FROM, None),),
                      components=(Component(
            purl=hub, kind=ComponentKind.MODEL, name=repo, version=None, locations=(where,),
            evidence=(Evidence(SOURCE, "hub.tag", shown, where.path, Strength.DECLARED),),
            found_by=OllamaStoreCollector.name,
        ),))  # fmt: skip
    if name.host.casefold() == data.default_host and name.namespace == "library":
        upstream = data.library.get(name.model.casefold())
        if upstream is not None:
            return _Named(evidence=(Evidence(LIBRARY, "upstream.huggingface", upstream.account,
                                             upstream.source, Strength.INFERRED),))  # fmt: skip
    return _Named()


def tag_known_by_digest(
    shown: str,
    manifest_digest: str,
    where: tuple[Location, ...],
    found_by: str,
    evidence: Evidence,
) -> tuple[tuple[Component, ...], tuple[Dependency, ...]] | None:
    """A tag of a store not in this scan, known by its name (`DisplayShortest`, as the `tag`
    evidence shows it) and manifest digest (`sha256:<hex>`) from the hash index: its
    component, with `evidence` and the lineage its name alone gives (as in a scanned store),
    and that lineage's edges; None when the name is not a tag's."""
    data = store_data()
    name = _tag_name(shown, "", data)
    match = DIGEST.fullmatch(manifest_digest)
    if name is None or match is None:
        return None
    purl = _purl(name, match.group(1), data)
    named = _named_lineage(name, purl, where[0] if where else Location("", ""), data)
    tag = Component(
        purl=purl, kind=ComponentKind.MODEL, name=shown.rpartition(":")[0], version=name.tag,
        locations=where, evidence=(evidence, *named.evidence), found_by=found_by,
    )  # fmt: skip
    return (tag, *named.components), named.edges


def _tag_name(text: str, root: str, data: StoreData) -> TagPath | None:
    """A name as `Name.DisplayShortest` writes it, with the defaults types/model/name.go
    `ParseName` fills in."""
    match = _NAME.fullmatch(text)
    if match is None:
        return None
    return TagPath(root, match.group("host") or data.default_host,
                   match.group("ns") or "library", match.group("model"),
                   match.group("tag") or "latest")  # fmt: skip


def _parent(
    text: str,
    own: TagPath,
    data: StoreData,
    known: dict[tuple[str, tuple[str, str, str, str]], _Tag],
) -> str | None:
    """The tag a layer's `from` names (`Name.DisplayShortest`, defaults filled in as
    types/model/name.go `ParseName` does): its purl when the store holds it, else by name."""
    parent = _tag_name(text, own.root, data)
    if parent is None:
        return None
    found = known.get((own.root, _key(parent)))
    return _purl(parent, found.digest if found else None, data)


def _text(tree: Tree, blob: str, size: int) -> str | None:
    if size > MAX_TEXT_LAYER:
        return None
    try:
        return tree.read_bytes(blob).decode("utf-8", "replace")
    except ParseError:
        return None


def _config(tree: Tree, blob: str, size: int, problems: list[Diagnostic]) -> list[Evidence]:
    """`model_format`, `model_family(ies)`, `model_type` and `file_type` of the config blob."""
    from auditor.bounded import load_json

    text = _text(tree, blob, size)
    if text is None:
        return []
    try:
        raw = load_json(text)
    except ValueError as exc:
        problems.append(Diagnostic(blob, f"config blob is not JSON: {exc}"))
        return []
    if not isinstance(raw, dict):
        return []
    found = []
    for field in CONFIG_FIELDS:
        value = raw.get(field)
        values = value if isinstance(value, list) else [value]
        found += [Evidence(SOURCE, f"config.{field}", v, blob, Strength.DECLARED)
                  for v in values if isinstance(v, str) and v]  # fmt: skip
    return found


def _licence(tree: Tree, blob: str, size: int) -> tuple[str | None, list[Evidence]]:
    text = _text(tree, blob, size)
    if text is None:
        return None, []
    title = identify_licence(text)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")[:120]
    found = [Evidence(SOURCE, "license.text", first, blob, Strength.DECLARED)]
    if title is None:
        return None, found
    licence = spdx(title.licence)
    found.append(Evidence(SOURCE, "license", licence, blob, Strength.DECLARED))
    return licence, found


def _gguf(tree: Tree, blob: str, size: int, problems: list[Diagnostic]) -> list[Evidence]:
    """The model layer's GGUF header (`general.*`) as `declared` evidence."""
    try:
        with tree.open(blob) as stream:
            if stream.read(4) != b"GGUF":
                return []  # a safetensors import or another format: no header read
            stream.seek(0)
            header = read_gguf(stream, size)
    except ParseError as exc:
        problems.append(Diagnostic(exc.path, exc.reason))
        return []
    except (HeaderError, OSError, ValueError) as exc:
        problems.append(Diagnostic(blob, f"GGUF header: {exc}"))
        return []
    return [Evidence(header.format, k, v, blob, Strength.DECLARED) for k, v in header.fields]
