"""The lineage a cached Hub revision declares in its own files, read offline.

The model card's front matter (`base_model`, `base_model_relation`, `license`; hub-docs
model-cards.md), an adapter's `adapter_config.json` `base_model_name_or_path` (PEFT), and a
GGUF header's `general.base_model.{i}.repo_url` (or `.organization` + `.name`, as llama.cpp's
`gguf-py/gguf/metadata.py` writes them; ggml docs/gguf.md). In a cache the revision is the
model, so every claim is the revision's. All of it is typed by an uploader: `declared`, to
be confirmed or corrected by the Hub's computed `baseModels` when the Hub answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.errors import ParseError
from auditor.model import Evidence, Strength
from auditor.sources import Tree
from auditor.weights.lineage import (
    DECLARED_BASE,
    MAX_CARD,
    Lineage,
    card_lineage,
    config_lineage,
    front_matter,
    hub_host,
    repo_from_url,
    repo_id,
)

SIDECARS = {
    "adapter_config.json": ("base_model_name_or_path", "adapter"),
    "config.json": ("_name_or_path", None),
}
_GGUF_BASE = re.compile(r"general\.base_model\.(\d+)\.(repo_url|organization|name)")


@dataclass(frozen=True, slots=True)
class Declared:
    """What one revision's files say about where it comes from."""

    lineage: tuple[Lineage, ...]
    license: str | None
    license_link: str | None
    evidence: tuple[Evidence, ...]


def declared_lineage(
    tree: Tree, own_id: str, files: Iterable[tuple[str, str]], header: Iterable[Evidence]
) -> Declared:
    """`files` are (path in the repo, snapshot location); `header` the weight headers read."""
    found: list[Lineage] = []
    license_ = link = None
    for path, location in files:
        if path.lower() == "readme.md":
            text = _read(tree, location)
            if text is None:
                continue
            bases, license_ = card_lineage(text, location)
            found += bases
            link = _card_link(text)
        elif path in SIDECARS:
            text = _read(tree, location)
            field, relation = SIDECARS[path]
            if text is not None and field in text:
                found += config_lineage(text, location, field, relation)
    found += gguf_bases(header)
    kept: dict[str, Lineage] = {}
    for claim in found:
        if claim.base.casefold() == own_id.casefold() or "/" not in claim.base:
            continue  # config.json often names the repo itself, or a local folder
        if claim.base not in kept or kept[claim.base].relation is None:
            kept[claim.base] = claim
    evidence = tuple(
        Evidence(_source_of(c.source), DECLARED_BASE, c.base, c.source, Strength.DECLARED)
        for c in kept.values()
    )
    return Declared(tuple(kept.values()), license_, link, evidence)


def _source_of(where: str) -> str:
    """`model-card`, `adapter-config`, `config` or `gguf` for `<file>:<field>`."""
    name = where.rpartition(":")[0].rpartition("/")[2].lower()
    if name == "readme.md":
        return "model-card"
    if name.endswith(".gguf"):
        return "gguf"
    return "adapter-config" if name == "adapter_config.json" else "config"


def gguf_bases(header: Iterable[Evidence]) -> list[Lineage]:
    """What a GGUF file derives from, by its header: the Hub repo it was converted from
    (`gguf_source`) when it names one, else its `general.base_model.*` bases (`base_models`)."""
    header = list(header)
    source = gguf_source(header)
    return [source] if source is not None else base_models(header)


def gguf_source_bases(header: Iterable[Evidence]) -> list[tuple[str, Lineage]]:
    """(source repo, base) pairs: a header naming both the repo it was converted from and
    `general.base_model.*` says the source derives from those bases (llama.cpp's
    `gguf-py/gguf/metadata.py` fills base_model from the source's card)."""
    header = list(header)
    source = gguf_source(header)
    if source is None:
        return []
    return [(source.base, b) for b in base_models(header) if b.base != source.base]


_QUANT_FREE = frozenset({"0", "1", "32"})
"""llama.cpp `LlamaFileType` ALL_F32, MOSTLY_F16, MOSTLY_BF16: `general.file_type` values of an
unquantised conversion; every other one is a quantisation."""
_SOURCE_FIELDS = ("general.source.repo_url", "general.source.url",
                  "general.source.huggingface.repository")  # fmt: skip


def gguf_source(header: Iterable[Evidence]) -> Lineage | None:
    """The Hub repo a GGUF was converted from: `general.source.repo_url` or `.url` on the Hub
    in effect, or the older `general.source.huggingface.repository` (a repo id); relation
    `quantized` when `general.quantized_by` or a quantised `general.file_type` says so."""
    fields = {e.field: e for e in header}
    host = hub_host()
    for name in _SOURCE_FIELDS:
        e = fields.get(name)
        if e is None:
            continue
        if name.endswith(".repository"):
            base = repo_id(e.value, need_namespace=True)
        else:
            base = repo_from_url(e.value, host)
        if base is not None:
            file_type = fields.get("general.file_type")
            quantized = "general.quantized_by" in fields or (
                file_type is not None and file_type.value not in _QUANT_FREE
            )
            return Lineage(base, "quantized" if quantized else None, f"{e.where}:{name}")
    return None


def base_models(header: Iterable[Evidence]) -> list[Lineage]:
    """Bases a GGUF header names: `general.base_model.{i}.repo_url` on the Hub in effect,
    else `.organization` + `.name` when together they are a valid repo id."""
    parts: dict[tuple[str, str], dict[str, str]] = {}
    for e in header:
        m = _GGUF_BASE.fullmatch(e.field)
        if m:
            parts.setdefault((e.where, m.group(1)), {})[m.group(2)] = e.value
    host = hub_host()
    found = []
    for (where, index), named in sorted(parts.items()):
        url = named.get("repo_url")
        base = repo_from_url(url, host) if url else None
        field = f"general.base_model.{index}.repo_url"
        if base is None and "organization" in named and "name" in named:
            base = repo_id(f"{named['organization']}/{named['name']}", need_namespace=True)
            field = f"general.base_model.{index}.organization+name"
        if base is not None:
            found.append(Lineage(base, None, f"{where}:{field}"))
    return found


def _read(tree: Tree, location: str) -> str | None:
    entry = tree.entry(location)
    if entry is not None and entry.size > MAX_CARD * 4:
        return None
    try:
        return tree.read_text(location)
    except ParseError:
        return None


def _card_link(text: str) -> str | None:
    link = front_matter(text[:MAX_CARD]).get("license_link")
    return link if isinstance(link, str) and link.startswith("https://") else None
