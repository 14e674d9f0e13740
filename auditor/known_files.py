"""The hash index in a scan: what a scan teaches it, and loose files it re-identifies.

The index learns (`auditor.hashing.KnownFile`, in the store's `hash_index`):
- every file digest a Hub answer lists for a revision (`registry`, from the resolver:
  `auditor.resolvers.huggingface.listed_files`): an LFS file's `lfs.sha256`, and the git blob
  id of a file kept in git (config.json, tokenizer files, small weights), even when the file
  was never downloaded;
- every weight file digest a scan sees in a Hugging Face cache, LM Studio's or llama.cpp's
  folder (`registry` when the Hub's answer for that revision confirmed it, else `declared`)
  or an Ollama store (`declared`, repo `ollama:<tag>`, revision the manifest digest).

A loose weight file (`pkg:generic/<name>?checksum=sha256:…`: renamed, copied out of a cache,
baked into an image) whose digest is known keeps its purl and gains `hash-index` evidence
naming the file it is, and a `derived_from` edge (relation `copy`) to what it is a copy of: a
Hub revision, or an Ollama tag (with the lineage the tag's name gives: its Hub repo, or its
lab); that target joins the inventory when the scan does not hold it, so the copy traces to
the same publisher and lineage as the original.

Git blob ids: the Hub lists only a git blob id for a file kept in git, and git keeps nothing
above 10 MB there (larger files must be LFS), so only files up to that size can match one.
The scanner computes it (memoised like every digest) for loose weight files up to that size
and for the files a model folder holds beside its weights, by name (`SIDECARS`): a model
folder whose such files are all one Hub repo's (and whose weights, if any, too) is a `copy` of
that repo; files shared by several repos (a fine-tune's unchanged config.json) name no repo.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from auditor import purls
from auditor.hashing import GIT_BLOB, Algorithm, DigestMemo, Hasher, KnownFile
from auditor.model import (
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Location,
    OriginStatus,
    Scan,
    Strength,
)
from auditor.sources import Tree

SOURCE = "hash-index"
RELATION = "copy"
OLLAMA = "ollama:"
HUB = "pkg:huggingface/"
GIT_LIMIT = 10 * 1024 * 1024
"""The Hub refuses git blobs above 10 MB (they must be LFS): no larger file has only a blob id."""
SIDECARS = frozenset({
    "config.json", "generation_config.json", "adapter_config.json",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "tokenizer.model", "vocab.json", "vocab.txt", "merges.txt", "spiece.model",
    "chat_template.jinja", "chat_template.json", "preprocessor_config.json",
    "processor_config.json", "model.safetensors.index.json",
})  # fmt: skip
"""A model repo's files beside its weights, as transformers names them (its `CONFIG_NAME`,
`GENERATION_CONFIG_NAME`, `TOKENIZER_FILE`, `TOKENIZER_CONFIG_FILE`, `SPECIAL_TOKENS_MAP_FILE`,
`ADDED_TOKENS_FILE`, `CHAT_TEMPLATE_FILE`, `FEATURE_EXTRACTOR_NAME`, `PROCESSOR_NAME`,
`SAFE_WEIGHTS_INDEX_NAME`, the tokenizers' vocabulary files) and PEFT's adapter config."""
_HUB_KEEPERS = ("hf-cache", "lmstudio", "llama-cpp-cache", "ollama-store")
_WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".onnx", ".bin", ".pt", ".pth", ".ckpt", ".h5",
                    ".keras", ".npz", ".pkl", ".joblib", ".tflite")  # fmt: skip
_OLLAMA_WEIGHTS = ("model", "adapter", "projector", "draft", "tensor")
LOOSE = "model-files"


@dataclass(frozen=True, slots=True)
class Blob:
    """A candidate file's git blob id (`git-sha1:<hex>`)."""

    target: str
    path: str
    digest: str


def git_blobs(tree: Tree, hasher: Hasher) -> tuple[Blob, ...]:
    """Git blob ids of the files a loose model folder holds that the Hub could keep in git:
    weight files and `SIDECARS` up to `GIT_LIMIT`, where the model-files collector reads
    (not in a cache or an installed package). Unreadable files are left out: the collector
    reading them reports them."""
    from auditor.collectors import COLLECTORS

    # A cheap test first: the model-files collector's module costs ~0.1 s to import, and a
    # tree it was not loaded for (a project without weights, an Ollama store) needs none.
    weights = next(r for r in COLLECTORS if r.name == LOOSE).suffixes
    if not any(p.rpartition("/")[2] in SIDECARS or p.lower().endswith(weights)
               for p in tree.index()):  # fmt: skip
        return ()
    from auditor.collectors.model_files import loose_paths
    from auditor.weights.inspect import is_weight_path

    wanted = []
    for path in loose_paths(tree):
        entry = tree.entry(path)
        if entry is None or entry.size > GIT_LIMIT:
            continue
        if posixpath.basename(path) in SIDECARS or is_weight_path(path):
            wanted.append((path, Algorithm.GIT_SHA1))
    if not wanted:
        return ()
    digests, _ = hasher.digests(tree, wanted)
    return tuple(Blob(tree.ref, p, f"{GIT_BLOB}{d}") for (p, _), d in sorted(digests.items()))


def reidentified(
    components: tuple[Component, ...], memo: DigestMemo, blobs: Sequence[Blob] = ()
) -> tuple[tuple[Component, ...], tuple[Dependency, ...]]:
    """Loose weight files and model folders the index knows, with their evidence; what they
    are copies of, added when absent; and the `copy` edges."""
    by_place = {(b.target, b.path): b.digest for b in blobs}
    loose: dict[str, tuple[str, ...]] = {}
    for c in components:
        if _is_loose(c):
            gits = (by_place.get((loc.target, loc.path)) for loc in c.locations)
            loose[c.purl] = tuple(dict.fromkeys(d for d in (_sha256(c), *gits) if d))
    weights = {(loc.target, loc.path) for c in components if c.purl in loose
               for loc in c.locations}  # fmt: skip
    sidecars = [b for b in blobs if (b.target, b.path) not in weights]
    wanted = {d for ds in loose.values() for d in ds} | {b.digest for b in sidecars}
    known = memo.known_files(wanted) if wanted else {}
    if not known:
        return components, ()
    out = _Copies({c.purl for c in components})
    kept = []
    for c in components:
        files = tuple(dict.fromkeys(f for d in loose.get(c.purl, ()) for f in known.get(d, ())))
        if files:
            out.weights[c.purl] = files
            c = replace(c, evidence=c.evidence + tuple(_evidence(f) for f in files))
            out.copy(c.purl, files, c.locations)
        kept.append(c)
    _folders(kept, sidecars, known, out)
    merged = tuple(sorted(kept + list(out.added.values()), key=lambda c: c.purl))
    return merged, tuple(dict.fromkeys(out.edges))


@dataclass(slots=True)
class _Copies:
    """What re-identification adds: components not in the scan, edges, and the Hub files
    each loose weight file was found to be."""

    present: set[str]
    added: dict[str, Component] = field(default_factory=dict)
    edges: list[Dependency] = field(default_factory=list)
    weights: dict[str, tuple[KnownFile, ...]] = field(default_factory=dict)

    def add(self, made: Iterable[Component]) -> None:
        for c in made:
            if c.purl not in self.present and c.purl not in self.added:
                self.added[c.purl] = c

    def copy(self, source: str, files: tuple[KnownFile, ...], where: tuple[Location, ...]) -> None:
        """`source` is a copy of the Hub revision the first Hub file names, else of the
        Ollama tag the first file names (with the lineage its name gives)."""
        hub = next((f for f in files if not f.repo.startswith(OLLAMA)), None)
        if hub is not None:
            target = purls.huggingface(hub.repo, hub.revision or None)
            self.add([_hub_component(target, hub, where)])
        else:
            tag = _ollama_tag(files[0], where)
            if tag is None:
                return
            made, edges = tag
            target = made[0].purl
            self.add(made)
            self.edges.extend(edges)
        self.edges.append(Dependency(source, target, DependencyKind.DERIVED_FROM, RELATION))


def _folders(
    kept: list[Component], sidecars: list[Blob], known: dict[str, tuple[KnownFile, ...]],
    out: _Copies,
) -> None:  # fmt: skip
    """Model folders whose `SIDECARS` the index knows as Hub files: a copy of the one repo
    that holds every such file and every weight file beside them (its revision when they
    agree on one); a folder already in the inventory gains the evidence either way."""
    places: dict[tuple[str, str], list[tuple[KnownFile, ...]]] = {}
    for b in sidecars:
        files = tuple(f for f in known.get(b.digest, ()) if not f.repo.startswith(OLLAMA))
        if files:
            places.setdefault((b.target, posixpath.dirname(b.path)), []).append(files)
    if not places:
        return
    from auditor.collectors.model_files import folder_purl

    index = {c.purl: i for i, c in enumerate(kept)}
    for (target, directory), groups in sorted(places.items()):
        name, purl = folder_purl(target, directory)
        where = (Location(target, directory or "."),)
        evidence = tuple(_evidence(f) for files in groups for f in files)
        beside = [out.weights.get(c.purl, ()) for c in kept if _is_loose(c) and any(
            loc.target == target and posixpath.dirname(loc.path) == directory
            for loc in c.locations)]  # fmt: skip
        repo = _one_repo(groups + beside)
        if purl in index:
            c = kept[index[purl]]
            kept[index[purl]] = replace(c, evidence=c.evidence + evidence)
        elif repo is not None:
            out.add([Component(purl=purl, kind=ComponentKind.MODEL, name=name, version=None,
                               locations=where, direct=True, evidence=evidence,
                               found_by=SOURCE)])  # fmt: skip
        if repo is not None:
            out.copy(purl, (repo,), where)


def _one_repo(groups: list[tuple[KnownFile, ...]]) -> KnownFile | None:
    """A Hub file of the one repo every group names, with the revision they all name (``
    when they name none in common); None when no repo, or several, is in every group."""
    repos: set[str] | None = None
    for files in groups:
        names = {f.repo.casefold() for f in files if not f.repo.startswith(OLLAMA)}
        repos = names if repos is None else repos & names
    if repos is None or len(repos) != 1:
        return None
    [repo] = repos
    revisions: set[str] | None = None
    for files in groups:
        mine = {f.revision for f in files if f.repo.casefold() == repo}
        revisions = mine if revisions is None else revisions & mine
    first = next(f for f in groups[0] if f.repo.casefold() == repo)
    return replace(first, revision=next(iter(revisions)) if revisions and len(revisions) == 1
                   else "")  # fmt: skip


def _is_loose(c: Component) -> bool:
    return c.found_by == LOOSE and c.kind is ComponentKind.WEIGHTS


def _hub_component(target: str, f: KnownFile, where: tuple[Location, ...]) -> Component:
    return Component(purl=target, kind=ComponentKind.MODEL, name=f.repo,
                     version=f.revision or None, locations=where,
                     evidence=(_evidence(f),), found_by=SOURCE)  # fmt: skip


def _ollama_tag(
    f: KnownFile, where: tuple[Location, ...]
) -> tuple[tuple[Component, ...], tuple[Dependency, ...]] | None:
    from auditor.collectors.ollama_store import tag_known_by_digest

    return tag_known_by_digest(f.repo[len(OLLAMA) :], f.revision, where, SOURCE, _evidence(f))


def _evidence(f: KnownFile) -> Evidence:
    algorithm = "" if f.digest.startswith(GIT_BLOB) else "sha256:"
    where = f"{SOURCE}:{algorithm}{f.digest}"
    return Evidence(SOURCE, "file", _name(f), where, Strength(f.strength))


def sightings(scan: Scan) -> list[KnownFile]:
    """What the scan teaches the index: each kept weight file's digest and whose it is."""
    origins = scan.origins_by_purl()
    mismatched = {f.purl for f in scan.findings if f.rule.endswith("hash-mismatch")}
    found: list[KnownFile] = []
    tags = {e.value for c in scan.components if c.found_by == "ollama-store"
            for e in c.evidence if e.field == "tag"}  # fmt: skip
    for c in scan.components:
        if c.found_by not in _HUB_KEEPERS or c.purl in mismatched:
            continue
        if c.found_by == "ollama-store":
            name = next((e.value for e in c.evidence if e.field == "tag"), c.name)
            digest = next((e.value for e in c.evidence if e.field == "manifest.digest"), "")
            # A layer taken `from` a tag this store holds is that tag's: a copy of it is a
            # copy of the parent, which the index knows it as.
            inherited = {e.field[6:-5] for e in c.evidence
                         if e.field.startswith("layer.") and e.field.endswith(".from")
                         and e.value in tags}  # fmt: skip
            found += [KnownFile(f.sha256, f"{OLLAMA}{name}", digest, f.path, "ollama",
                                "declared")
                      for f in c.files
                      if f.sha256 and f.path.partition(".")[0] in _OLLAMA_WEIGHTS
                      and f.path not in inherited]  # fmt: skip
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
