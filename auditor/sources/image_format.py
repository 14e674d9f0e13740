"""Which image a path holds: `docker save` archives and OCI image layouts (folder or tar).

Reads manifest.json (docker save, legacy `<id>/layer.tar` and OCI-style `blobs/sha256/…`
names) or oci-layout + index.json (nested indexes, multi-platform indexes narrowed by
`--platform`), then the manifest and config blobs. Small blobs are verified against their
digests here; layers are verified while they are indexed (sources/image.py). Nothing is
extracted: blobs stay byte ranges of the archive or files of the layout.

The archive or folder itself (safe names, symlinks, byte ranges) is
`auditor.sources.image_archive`.
"""

from __future__ import annotations

import hashlib
import platform as host_platform
import posixpath
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.bounded import load_json
from auditor.errors import ParseError, TargetError
from auditor.sources.blobs import Blob
from auditor.sources.image_archive import ImageArchive, clean_name
from auditor.sources.model_artifact import (
    MODEL_ARTIFACT_TYPES,
    is_model_config,
    is_model_layer,
    is_raw,
    raw_file_name,
)

MAX_JSON_BYTES = 4 << 20
"""A manifest, index or config: real ones take kilobytes (a long history, hundreds); JSON of
tiny objects takes ~25 times its size in memory, so this keeps one under ~100 MB."""
MAX_INDEX_DEPTH = 4

INDEX_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
MANIFEST_TYPES = frozenset(
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    }
)
FOREIGN_LAYER = "nondistributable"
"""Foreign (Windows base) layers are not in the archive by design: skipped, not missing."""


@dataclass(frozen=True, slots=True)
class LayerRef:
    """One layer as the manifest names it."""

    blob: Blob
    digest: str | None
    """What the blob must hash to (descriptor digest, or the name it is stored under)."""
    diff_id: str | None
    """The config's digest of the uncompressed tar."""
    created_by: str | None
    """The history command that made this layer, when the config records one."""
    history_index: int | None
    raw_name: str | None = None
    """For a model artifact's raw layer (a GGUF file, not a tar): the path its file takes in
    the merged view (`auditor.sources.model_artifact`)."""


@dataclass(frozen=True, slots=True)
class ImageSource:
    """An image found at a path: its identity, config and layers in order."""

    ref: str
    format: str
    """`docker-save` or `oci-layout`."""
    repository: str | None
    tag: str | None
    digest: str
    """The manifest digest; for a legacy docker save (no manifest blob) the config digest."""
    config: dict[str, Any]
    config_label: str
    layers: tuple[LayerRef, ...]
    platform: str | None
    mismatches: tuple[tuple[str, str, str], ...] = ()
    """(blob label, expected, actual) for manifest/config blobs that failed verification."""
    model: bool = False
    """An OCI model artifact: a model config or model layers (Docker Model Runner, ModelPack)."""


def is_image(path: Path) -> bool:
    """A docker-save archive, an OCI layout folder, or an OCI layout tar."""
    if path.is_dir():
        return (path / "oci-layout").is_file() and (path / "index.json").is_file()
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
        if len(head) < 512 or head[257:262] != b"ustar":
            return False
        with tarfile.open(path, "r:") as tar:
            for info in tar:
                if clean_name(info.name) in ("manifest.json", "oci-layout", "index.json"):
                    return True
    except (OSError, tarfile.TarError, EOFError):
        return False
    return False


def load_image(ref: str, path: Path, platform: str | None) -> ImageSource:
    """The one image at `path`; TargetError naming the file and member when it is unusable."""
    archive = ImageArchive(ref, path)
    try:
        if archive.has("manifest.json") and not (platform and archive.has("index.json")):
            return _docker_save(archive)
        if archive.has("index.json"):
            return _oci_layout(archive, platform)
    except ParseError as exc:
        raise TargetError(exc.message) from None
    raise TargetError(
        f"{ref}: neither a docker-save archive (manifest.json) nor an OCI layout (index.json)"
    )


def _json(blob: Blob) -> Any:
    try:
        return load_json(blob.read_all(MAX_JSON_BYTES))
    except ValueError as exc:
        raise TargetError(f"{blob.label}: not valid JSON: {exc}") from None


def _docker_save(archive: ImageArchive) -> ImageSource:
    manifest_blob = archive.blob("manifest.json", "manifest.json")
    doc = _json(manifest_blob)
    if not isinstance(doc, list) or not doc or not all(isinstance(i, dict) for i in doc):
        raise TargetError(f"{manifest_blob.label}: expected a list of image entries")
    if len(doc) > 1:
        tags = ", ".join(str(i.get("RepoTags")) for i in doc)
        raise TargetError(
            f"{manifest_blob.label}: holds {len(doc)} images ({tags})",
            hint="save one image per archive (docker save IMAGE)",
        )
    entry = doc[0]
    config_name, layer_names = entry.get("Config"), entry.get("Layers")
    if not isinstance(config_name, str) or not isinstance(layer_names, list):
        raise TargetError(f"{manifest_blob.label}: an entry needs Config and Layers")
    config_blob = archive.blob(config_name, "image config")
    config_bytes = config_blob.read_all(MAX_JSON_BYTES)
    mismatches = []
    named = _named_digest(config_name)
    actual = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    if named is not None and named != actual:
        mismatches.append((config_blob.label, named, actual))
    config = _config(config_blob, config_bytes)
    diff_ids = _diff_ids(config)
    history = _layer_history(config)
    layers = []
    for i, name in enumerate(layer_names):
        if not isinstance(name, str):
            raise TargetError(f"{manifest_blob.label}: layer {i} is not a path")
        blob = archive.blob(name, "layer")
        diff_id = diff_ids[i] if i < len(diff_ids) else None
        command, index = history[i] if i < len(history) else (None, None)
        layers.append(LayerRef(blob, _named_digest(name), diff_id, command, index))
    repo_tags = entry.get("RepoTags") or []
    first = repo_tags[0] if isinstance(repo_tags, list) and repo_tags else None
    repository, tag = _split_tag(first) if isinstance(first, str) else (None, None)
    return ImageSource(
        ref=archive.ref,
        format="docker-save",
        repository=repository,
        tag=tag,
        digest=named or actual,
        config=config,
        config_label=config_blob.label,
        layers=tuple(layers),
        platform=_config_platform(config),
        mismatches=tuple(mismatches),
    )


def _oci_layout(archive: ImageArchive, platform: str | None) -> ImageSource:
    index_blob = archive.blob("index.json", "index.json")
    index = _json(index_blob)
    candidates: list[tuple[dict[str, Any], dict[str, str]]] = []
    mismatches: list[tuple[str, str, str]] = []
    _walk_index(archive, index, index_blob.label, {}, 0, candidates, mismatches)
    if not candidates:
        raise TargetError(f"{index_blob.label}: lists no image manifest")
    chosen = _choose(archive.ref, candidates, platform)
    descriptor, annotations = chosen
    manifest_blob = archive.by_digest(descriptor["digest"], "image manifest")
    manifest_bytes = manifest_blob.read_all(MAX_JSON_BYTES)
    _check(manifest_blob.label, descriptor["digest"], manifest_bytes, mismatches)
    try:
        manifest = load_json(manifest_bytes)
    except ValueError as exc:
        raise TargetError(f"{manifest_blob.label}: not valid JSON: {exc}") from None
    config_desc = manifest.get("config") if isinstance(manifest, dict) else None
    if not isinstance(config_desc, dict) or not isinstance(config_desc.get("digest"), str):
        raise TargetError(f"{manifest_blob.label}: no config descriptor")
    config_blob = archive.by_digest(config_desc["digest"], "image config")
    config_bytes = config_blob.read_all(MAX_JSON_BYTES)
    _check(config_blob.label, config_desc["digest"], config_bytes, mismatches)
    config = _config(config_blob, config_bytes)
    diff_ids = _diff_ids(config)
    history = _layer_history(config)
    layers = []
    descriptors = manifest.get("layers")
    if not isinstance(descriptors, list):
        raise TargetError(f"{manifest_blob.label}: no layers list")
    model = is_model_config(config_desc.get("mediaType"))
    for i, layer in enumerate(descriptors):
        if not isinstance(layer, dict) or not isinstance(layer.get("digest"), str):
            raise TargetError(f"{manifest_blob.label}: layer {i} has no digest")
        media = layer.get("mediaType")
        if FOREIGN_LAYER in str(media or ""):
            continue
        blob = archive.by_digest(layer["digest"], f"layer {i}")
        command, hist = history[i] if i < len(history) else (None, None)
        diff_id = diff_ids[i] if i < len(diff_ids) else None
        raw = None
        if is_raw(media):
            assert isinstance(media, str)
            raw = raw_file_name(media, _strings(layer.get("annotations")), layer["digest"])
        model = model or is_model_layer(media)
        layers.append(LayerRef(blob, layer["digest"], diff_id, command, hist, raw))
    name = annotations.get("io.containerd.image.name") or annotations.get(
        "org.opencontainers.image.ref.name"
    )
    repository, tag = _split_tag(name) if name else (None, None)
    if repository is not None and tag is None and "/" not in repository:
        repository, tag = None, repository  # skopeo's `oci:dir:latest` names only the tag
    return ImageSource(
        ref=archive.ref,
        format="oci-layout",
        repository=repository,
        tag=tag,
        digest=descriptor["digest"],
        config=config,
        config_label=config_blob.label,
        layers=tuple(layers),
        platform=_config_platform(config),
        mismatches=tuple(mismatches),
        model=model,
    )


def _walk_index(
    archive: ImageArchive,
    index: Any,
    label: str,
    annotations: dict[str, str],
    depth: int,
    out: list[tuple[dict[str, Any], dict[str, str]]],
    mismatches: list[tuple[str, str, str]],
) -> None:
    if depth > MAX_INDEX_DEPTH:
        raise TargetError(f"{label}: indexes nested over {MAX_INDEX_DEPTH} deep")
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list):
        raise TargetError(f"{label}: no manifests list")
    for item in manifests:
        if not isinstance(item, dict) or not isinstance(item.get("digest"), str):
            raise TargetError(f"{label}: a manifest descriptor without a digest")
        notes = {**annotations, **_strings(item.get("annotations"))}
        media = item.get("mediaType")
        if media in INDEX_TYPES:
            blob = archive.by_digest(item["digest"], "nested index")
            data = blob.read_all(MAX_JSON_BYTES)
            _check(blob.label, item["digest"], data, mismatches)
            try:
                nested = load_json(data)
            except ValueError as exc:
                raise TargetError(f"{blob.label}: not valid JSON: {exc}") from None
            _walk_index(archive, nested, blob.label, notes, depth + 1, out, mismatches)
        elif media in MANIFEST_TYPES or media is None:
            if notes.get("vnd.docker.reference.type") == "attestation-manifest":
                continue  # buildkit's provenance attachments are not images
            if _is_attachment(item, notes):
                continue  # signatures and attestations about an image (signatures/image.py)
            out.append((item, notes))


_COSIGN_TAG = re.compile(r"sha256-[0-9a-f]{64}(?:\.(?:sig|att|sbom))?")
"""cosign's tag scheme for what it stores beside an image (and the OCI 1.1 referrers tag)."""


def _is_attachment(item: dict[str, Any], notes: dict[str, str]) -> bool:
    """A cosign signature/attestation tag or an OCI 1.1 artifact pointing at an image; a
    model artifact (ModelPack's artifact type) is no attachment but what is scanned."""
    ref = notes.get("org.opencontainers.image.ref.name", "")
    if item.get("artifactType") in MODEL_ARTIFACT_TYPES and "subject" not in item:
        return False
    return bool(_COSIGN_TAG.fullmatch(ref)) or "artifactType" in item or "subject" in item


def _choose(
    ref: str, candidates: list[tuple[dict[str, Any], dict[str, str]]], wanted: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    def platform_of(descriptor: dict[str, Any]) -> str | None:
        p = descriptor.get("platform")
        if not isinstance(p, dict) or not p.get("os") or not p.get("architecture"):
            return None
        parts = [str(p["os"]), str(p["architecture"])]
        if p.get("variant"):
            parts.append(str(p["variant"]))
        return "/".join(parts)

    found = [(platform_of(d), d, a) for d, a in candidates]
    if wanted:
        matching = [(d, a) for p, d, a in found if p and _platform_matches(p, wanted)]
        if not matching:
            listed = ", ".join(sorted({p or "unknown" for p, _, _ in found}))
            raise TargetError(
                f"{ref}: no image for platform {wanted}", hint=f"the image has: {listed}"
            )
        return matching[0]
    if len(found) == 1:
        return found[0][1], found[0][2]
    default = host_default_platform()
    matching = [(d, a) for p, d, a in found if p and _platform_matches(p, default)]
    if matching:
        return matching[0]
    listed = ", ".join(sorted({p or "unknown" for p, _, _ in found}))
    raise TargetError(f"{ref}: holds several images ({listed})", hint="choose one with --platform")


def host_default_platform() -> str:
    """linux/<this machine's architecture>, as container tools name it."""
    machine = host_platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm/v7"}.get(machine, machine)
    return f"linux/{arch}"


def _platform_matches(have: str, wanted: str) -> bool:
    want = wanted.lower().split("/")
    got = have.lower().split("/")
    return got[: len(want)] == want


def _check(label: str, digest: str, data: bytes, mismatches: list[tuple[str, str, str]]) -> None:
    algorithm = digest.partition(":")[0]
    actual = f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
    if actual != digest:
        mismatches.append((label, digest, actual))


def _config(blob: Blob, data: bytes) -> dict[str, Any]:
    try:
        config = load_json(data)
    except ValueError as exc:
        raise TargetError(f"{blob.label}: not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise TargetError(f"{blob.label}: the image config is not a JSON object")
    return config


def _diff_ids(config: dict[str, Any]) -> list[str]:
    rootfs = config.get("rootfs")
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    return [str(i) for i in ids] if isinstance(ids, list) else []


def _layer_history(config: dict[str, Any]) -> list[tuple[str | None, int | None]]:
    """(command, history index) per non-empty layer, in layer order."""
    history = config.get("history")
    if not isinstance(history, list):
        return []
    found: list[tuple[str | None, int | None]] = []
    for i, item in enumerate(history):
        if isinstance(item, dict) and not item.get("empty_layer"):
            command = item.get("created_by")
            found.append((str(command) if command else None, i))
    return found


def _config_platform(config: dict[str, Any]) -> str | None:
    os_name, arch = config.get("os"), config.get("architecture")
    if not os_name or not arch:
        return None
    return "/".join(str(p) for p in (os_name, arch, config.get("variant")) if p)


def _named_digest(name: str) -> str | None:
    """The digest a blob's stored name claims (`blobs/sha256/<hex>`, `<hex>.json`)."""
    found = re.search(r"(?:^|/)(sha256/)?([0-9a-f]{64})(?:\.json|\.tar)?$", name)
    return f"sha256:{found.group(2)}" if found else None


def _split_tag(name: str) -> tuple[str | None, str | None]:
    """`repo/name:tag` or `repo/name@sha256:…` -> (repository, tag)."""
    name = name.partition("@")[0]
    head, sep, tail = name.rpartition(":")
    if sep and "/" not in tail:
        return head or None, tail
    return name or None, None


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def image_name(source: ImageSource) -> str:
    """The purl name: the last segment of the repository, else the file or folder name."""
    if source.repository:
        return posixpath.basename(source.repository).lower()
    stem = Path(source.ref).name
    for suffix in (".tar", ".tgz"):
        stem = stem.removesuffix(suffix)
    return re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-") or "image"
