"""OCI model artifacts: images whose config and layers carry model media types.

Two families exist, both pushed to ordinary container registries and pulled into OCI
layouts:
- Docker Model Runner (`docker model package` / `push`): config
  `application/vnd.docker.ai.model.config.v0.1+json`, layers such as
  `application/vnd.docker.ai.gguf.v3` (a GGUF file), `…gguf.v3.lora`, `…license` — each
  layer the raw file itself (docker/model-runner, pkg/distribution/types/config.go; the
  Docker model-spec's config example lists the files by these types).
- CNCF ModelPack (github.com/modelpack/model-spec, docs/spec.md and specs-go/v1/mediatype.go):
  artifact type `application/vnd.cncf.model.manifest.v1+json`, config
  `application/vnd.cncf.model.config.v1+json`, layers
  `application/vnd.cncf.model.<weight|weight.config|doc|code|dataset>.v1.<raw|tar|tar+gzip|tar+zstd>`;
  a `.raw` layer is the file itself, named by the `org.cncf.model.filepath` annotation, the
  others are tars read like any layer.

A raw layer becomes one file of the image's merged view (`ImageTree`), so the weight
readers inspect, hash and trace it as they would a file in a layer's tar.
"""

from __future__ import annotations

import posixpath
from typing import Any

DOCKER_PREFIX = "application/vnd.docker.ai."
MODELPACK_PREFIX = "application/vnd.cncf.model."
MODEL_CONFIG_PREFIXES = (
    "application/vnd.docker.ai.model.config.",
    "application/vnd.cncf.model.config.",
)
MODEL_ARTIFACT_TYPES = frozenset({"application/vnd.cncf.model.manifest.v1+json"})
FILEPATH_ANNOTATIONS = ("org.cncf.model.filepath", "org.opencontainers.image.title")
"""Where a raw layer's file name is written: ModelPack's annotation, then OCI's title."""

_SUFFIX = {"gguf": ".gguf", "safetensors": ".safetensors", "license": ".txt", "template": ".jinja"}


def is_model_config(media_type: object) -> bool:
    return isinstance(media_type, str) and media_type.startswith(MODEL_CONFIG_PREFIXES)


def is_model_layer(media_type: object) -> bool:
    return isinstance(media_type, str) and media_type.startswith((DOCKER_PREFIX, MODELPACK_PREFIX))


def is_raw(media_type: object) -> bool:
    """A model layer that is the file itself, not a tar of files."""
    if not is_model_layer(media_type):
        return False
    assert isinstance(media_type, str)
    if media_type.startswith(MODELPACK_PREFIX):
        return media_type.endswith(".raw")
    return ".tar" not in media_type  # Docker's layers are files; a `…tar` type is an archive


def raw_file_name(media_type: str, annotations: dict[str, str], digest: str) -> str:
    """The path a raw layer's file takes in the merged view: its annotated name when that is
    a safe relative path, else one made from its type and digest (`model-1a2b3c4d5e6f.gguf`)."""
    for key in FILEPATH_ANNOTATIONS:
        name = annotations.get(key, "").strip()
        if name:
            clean = posixpath.normpath(name.replace("\\", "/")).lstrip("/")
            if clean and clean != "." and not clean.startswith("..") and "\0" not in clean:
                return clean
    short = digest.partition(":")[2][:12] or "unnamed"
    kind = media_type.rsplit("/", 1)[-1]
    suffix = next((s for key, s in _SUFFIX.items() if key in kind), "")
    stem = "LICENSE" if "license" in kind else "model"
    return f"{stem}-{short}{suffix}"


def model_facts(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, value) for what a model config says about the model: Docker's `config`
    (format, quantization, parameters, architecture, size, its `gguf` block) and ModelPack's
    `descriptor` (name, family, vendor, licenses …) and `config` (paramSize, precision …)."""
    found: list[tuple[str, str]] = []
    for section in ("descriptor", "config"):
        block = config.get(section)
        if not isinstance(block, dict):
            continue
        for key, value in sorted(block.items()):
            if isinstance(value, dict) and key == "gguf":
                found += [
                    (f"model.{section}.gguf.{k}", str(v))
                    for k, v in sorted(value.items())
                    if isinstance(v, str | int | float) and str(v).strip()
                ]
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                if value:
                    found.append((f"model.{section}.{key}", ", ".join(value)))
            elif isinstance(value, str | int | float) and str(value).strip():
                found.append((f"model.{section}.{key}", str(value)))
    return found
