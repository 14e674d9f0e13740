"""The hash index in a scan: what a scan teaches it, and loose files it re-identifies.

Every weight file digest a scan sees in a Hugging Face cache, LM Studio's or llama.cpp's
folder or an Ollama store is kept (`auditor.hashing.KnownFile`, in the store's `hash_index`):
`registry` when the Hub's answer for that revision listed the same digest (the origin was
resolved and raised no `hub.hash-mismatch`), else `declared`. A loose weight file
(`pkg:generic/<name>?checksum=sha256:…`: renamed, copied out of a cache, baked into an image)
whose digest is known keeps its purl and gains `hash-index` evidence naming the file it is;
when that is a Hub file, a `derived_from` edge (relation `copy`) to that Hub revision, which
joins the inventory and is resolved like any Hub model, so the file traces to the same
publisher and lineage.
"""

from __future__ import annotations

from dataclasses import replace

from auditor import purls
from auditor.hashing import DigestMemo, KnownFile
from auditor.model import (
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    OriginStatus,
    Scan,
    Strength,
)

SOURCE = "hash-index"
RELATION = "copy"
OLLAMA = "ollama:"
HUB = "pkg:huggingface/"
_HUB_KEEPERS = ("hf-cache", "lmstudio", "llama-cpp-cache", "ollama-store")
_WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".onnx", ".bin", ".pt", ".pth", ".ckpt", ".h5",
                    ".keras", ".npz", ".pkl", ".joblib", ".tflite")  # fmt: skip
_OLLAMA_WEIGHTS = ("model", "adapter", "projector", "draft", "tensor")


def reidentified(
    components: tuple[Component, ...], memo: DigestMemo
) -> tuple[tuple[Component, ...], tuple[Dependency, ...]]:
    """Loose weight files the index knows, with their evidence; the Hub revisions they are
    copies of, added; and the `copy` edges."""
    loose = {c.purl: _sha256(c) for c in components if c.found_by == "model-files"}
    digests = {d for d in loose.values() if d}
    known = memo.known_files(digests) if digests else {}
    if not known:
        return components, ()
    present = {c.purl for c in components}
    out: list[Component] = []
    added: dict[str, Component] = {}
    edges: list[Dependency] = []
    for c in components:
        files = known.get(loose.get(c.purl) or "", ())
        if not files:
            out.append(c)
            continue
        where = f"{SOURCE}:sha256:{files[0].sha256}"
        found = tuple(Evidence(SOURCE, "file", _name(f), where, Strength(f.strength))
                      for f in files)  # fmt: skip
        out.append(replace(c, evidence=c.evidence + found))
        hub = next((f for f in files if not f.repo.startswith(OLLAMA)), None)
        if hub is None:
            continue
        target = purls.huggingface(hub.repo, hub.revision or None)
        edges.append(Dependency(c.purl, target, DependencyKind.DERIVED_FROM, RELATION))
        if target not in present and target not in added:
            added[target] = Component(
                purl=target, kind=ComponentKind.MODEL, name=hub.repo,
                version=hub.revision or None, locations=c.locations,
                evidence=(Evidence(SOURCE, "file", _name(hub), where, Strength(hub.strength)),),
                found_by=SOURCE,
            )  # fmt: skip
    merged = tuple(sorted(out + list(added.values()), key=lambda c: c.purl))
    return merged, tuple(edges)


def sightings(scan: Scan) -> list[KnownFile]:
    """What the scan teaches the index: each kept weight file's digest and whose it is."""
    origins = scan.origins_by_purl()
    mismatched = {f.purl for f in scan.findings if f.rule.endswith("hash-mismatch")}
    found: list[KnownFile] = []
    for c in scan.components:
        if c.found_by not in _HUB_KEEPERS or c.purl in mismatched:
            continue
        if c.found_by == "ollama-store":
            name = next((e.value for e in c.evidence if e.field == "tag"), c.name)
            digest = next((e.value for e in c.evidence if e.field == "manifest.digest"), "")
            found += [KnownFile(f.sha256, f"{OLLAMA}{name}", digest, f.path, "ollama",
                                "declared")
                      for f in c.files
                      if f.sha256 and f.path.partition(".")[0] in _OLLAMA_WEIGHTS]  # fmt: skip
            continue
        if not c.purl.startswith(HUB):
            continue
        origin = origins.get(c.purl)
        confirmed = (origin is not None and origin.status is OriginStatus.RESOLVED
                     and bool(c.version))  # fmt: skip
        source, strength = ("huggingface", "registry") if confirmed else (c.found_by, "declared")
        found += [KnownFile(f.sha256, c.name, c.version or "", f.path, source, strength)
                  for f in c.files
                  if f.sha256 and f.path.lower().endswith(_WEIGHT_SUFFIXES)]  # fmt: skip
    return found


def _sha256(c: Component) -> str | None:
    return next((h[7:] for h in c.hashes if h.startswith("sha256:")), None)


def _name(f: KnownFile) -> str:
    at = f"@{f.revision}" if f.revision else ""
    return f"{f.repo}{at}/{f.path}"
