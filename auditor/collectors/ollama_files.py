"""Ollama's model store on disk, as Ollama writes it, and the data file that names its hosts.

The layout is Ollama's own (github.com/ollama/ollama):

- `envconfig/config.go` `Models()`: the store is `$OLLAMA_MODELS`, else `~/.ollama/models`;
  docs/faq.mdx adds the Linux service's `/usr/share/ollama/.ollama/models` and docs/docker.mdx
  the official image's volume `/root/.ollama` (so `/root/.ollama/models`).
- `manifest/paths.go` `PathForName` and `types/model/name.go` `Name.Filepath()`: a tag's
  manifest is `manifests/<host>/<namespace>/<model>/<tag>`; the default host, namespace and
  tag are `registry.ollama.ai`, `library` and `latest`.
- `manifest/paths.go` `BlobsPath`: a blob is `blobs/sha256-<64 hex>` (the digest's `:`
  written as `-`), content-addressed: its name is the sha256 of its bytes.
- `manifest/manifest.go` `Manifest`: a Docker v2 manifest (`schemaVersion` 2, `mediaType`
  `application/vnd.docker.distribution.manifest.v2+json`), `config` and `layers`, each
  `mediaType`, `digest`, `size` and optional `from`; the manifest is saved byte for byte as
  the registry served it (server/images.go `PullModel` writes `manifestData`) and Ollama's
  own digest of a tag is the sha256 of that file (`ParseNamedManifest`).
- `manifest/layer.go` `Layer.From`, set by server/model.go `parseFromModel` to the parent's
  `Name.DisplayShortest()` (`qwen2.5:7b`, `user/model:tag`, `host/ns/model:tag`): the model
  a `FROM` in a Modelfile built on.
- `types/model/config.go` `ConfigV2`: the config blob (`application/vnd.docker.container.
  image.v1+json`, server/create.go) with `model_format`, `model_family`, `model_families`,
  `model_type` (shown as parameter size) and `file_type` (shown as quantisation level).
- server/images.go `GetModel`: the layer media types below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from auditor.bounded import load_json
from auditor.config import data_path
from auditor.errors import ParseError

DATA_FILE = "ollama-library.yaml"
MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
BLOB_NAME = re.compile(r"sha256-([0-9a-f]{64})")
MAX_MANIFEST = 4 * 1024 * 1024
"""A manifest lists a few layers (a split GGUF or a safetensors import: a few thousand)."""
MAX_TEXT_LAYER = 1024 * 1024
"""Licence, config and template layers are small text; larger ones are not read."""
_PREFIX = "application/vnd.ollama.image."
LAYER_KINDS = {
    f"{_PREFIX}model": "model",
    f"{_PREFIX}adapter": "adapter",
    f"{_PREFIX}projector": "projector",
    f"{_PREFIX}draft": "draft",
    f"{_PREFIX}tensor": "tensor",
    f"{_PREFIX}template": "template",
    f"{_PREFIX}prompt": "template",
    f"{_PREFIX}system": "system",
    f"{_PREFIX}params": "params",
    f"{_PREFIX}messages": "messages",
    f"{_PREFIX}license": "license",
    f"{_PREFIX}embed": "embed",
    f"{_PREFIX}json": "json",
}
"""Media type → the layer's role (server/images.go `GetModel`, manifest/layer.go)."""
WEIGHT_KINDS = frozenset({"model", "adapter", "projector", "draft", "tensor"})
CONFIG_FIELDS = ("model_format", "model_family", "model_families", "model_type", "file_type")
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,349}")
"""types/model/name.go `isValidPart`: letters, digits, `_`, and `.`/`-` after the first."""


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer (or the config) of a manifest."""

    media_type: str
    digest: str
    """64 hex, without `sha256:`."""
    size: int
    origin: str | None
    """The layer's `from`: the model tag it was taken from."""

    @property
    def kind(self) -> str:
        """`model`, `template`, `license` …; `config` or the media type when unknown."""
        return LAYER_KINDS.get(self.media_type, self.media_type)


@dataclass(frozen=True, slots=True)
class Manifest:
    """One parsed manifest."""

    config: Layer | None
    layers: tuple[Layer, ...]


@dataclass(frozen=True, slots=True)
class TagPath:
    """Where a manifest sits: the store root and the model name its folders spell."""

    root: str
    host: str
    namespace: str
    model: str
    tag: str

    def shortest(self, default_host: str) -> str:
        """types/model/name.go `DisplayShortest`: `model:tag`, `ns/model:tag` or the full name."""
        if self.host.casefold() != default_host.casefold():
            return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"
        if self.namespace.casefold() != "library":
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.model}:{self.tag}"


def tag_path(path: str) -> TagPath | None:
    """The model a `…/manifests/<host>/<ns>/<model>/<tag>` path names; None otherwise."""
    parts = path.split("/")
    if len(parts) < 5 or parts[-5] != "manifests":
        return None
    host, namespace, model, tag = parts[-4:]
    if not all(_PART.fullmatch(p) for p in (namespace, model, tag)) or not host:
        return None
    return TagPath("/".join(parts[:-5]), host, namespace, model, tag)


def parse_manifest(path: str, data: bytes) -> Manifest:
    """A Docker v2 manifest as Ollama keeps it; ParseError names what is wrong."""
    if len(data) > MAX_MANIFEST:
        raise ParseError(path, f"manifest of {len(data)} bytes (limit {MAX_MANIFEST})")
    try:
        raw = load_json(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(path, f"not a JSON manifest: {exc}") from None
    if not isinstance(raw, dict) or raw.get("schemaVersion") != 2:
        raise ParseError(path, "not a schemaVersion 2 manifest")
    layers = raw.get("layers")
    if not isinstance(layers, list):
        raise ParseError(path, "manifest has no `layers` list")
    config = raw.get("config")
    return Manifest(
        _layer(path, "config", config) if config else None,
        tuple(_layer(path, f"layers[{i}]", item) for i, item in enumerate(layers)),
    )


def _layer(path: str, where: str, item: object) -> Layer:
    if not isinstance(item, dict):
        raise ParseError(path, f"{where} is not an object")
    digest = item.get("digest")
    match = DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if match is None:
        raise ParseError(path, f"{where}.digest is not a sha256 digest: {digest!r}")
    size = item.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ParseError(path, f"{where}.size is not a byte count: {size!r}")
    media_type = item.get("mediaType")
    origin = item.get("from")
    return Layer(
        str(media_type) if isinstance(media_type, str) else "",
        match.group(1),
        size,
        origin if isinstance(origin, str) and origin else None,
    )


@dataclass(frozen=True, slots=True)
class Upstream:
    """A library model's lab, as its Hub account, and the page saying so."""

    account: str
    source: str


@dataclass(frozen=True, slots=True)
class Title:
    """A licence text recognised by its opening words."""

    pattern: re.Pattern[str]
    licence: str
    source: str


@dataclass(frozen=True, slots=True)
class StoreData:
    """rules/data/ollama-library.yaml."""

    default_host: str
    hub_hosts: frozenset[str]
    library: dict[str, Upstream]
    titles: tuple[Title, ...]


@cache
def store_data() -> StoreData:
    """The data file, read once."""
    raw = yaml.safe_load((data_path("rules") / "data" / DATA_FILE).read_text("utf-8"))
    return StoreData(
        default_host=str(raw["registry"]["host"]).lower(),
        hub_hosts=frozenset(str(h["host"]).lower() for h in raw["hub"]),
        library={
            str(e["model"]): Upstream(str(e["huggingface"]), str(e["source"]))
            for e in raw["library"]
        },
        titles=tuple(
            Title(re.compile(str(t["pattern"]), re.I), str(t["licence"]), str(t["source"]))
            for t in raw.get("licences", ())
        ),
    )


def identify_licence(text: str) -> Title | None:
    """The licence a licence layer's text is, by its first lines; None when unknown."""
    head = " ".join(text[:2000].split())
    return next((t for t in store_data().titles if t.pattern.search(head)), None)
