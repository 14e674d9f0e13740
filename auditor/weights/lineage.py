"""What a local model folder says it derives from: model-card front matter (`base_model`,
`base_model_relation`, `license`; hub-docs model-cards.md), `config.json` `_name_or_path`
(transformers' `save_pretrained`), `adapter_config.json` `base_model_name_or_path` (PEFT),
and GGUF `general.base_model.*.repo_url` / `general.source.repo_url` (ggml docs/gguf.md).
All of it is typed by the uploader: `declared`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml

from auditor.bounded import load_json, load_yaml

REPO_ID = re.compile(r"(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}")
"""huggingface_hub `validate_repo_id`: at most 96 of `[\\w\\-.]` per part, no `--` or `..`."""
REVISION = re.compile(r"[0-9a-f]{40}")
MAX_CARD = 1 << 20
DECLARED_BASE = "declared.base_model"
"""Evidence field of a base a local file declares (value: the base's repo id; where:
`<file>:<field>`), read offline by the collectors and followed by the Hub resolver."""


@dataclass(frozen=True, slots=True)
class Lineage:
    """One claim that a model derives from another."""

    base: str
    """Hub repo id of the base model."""
    relation: str | None
    """`finetune`, `adapter`, `quantized`, `merge`, or None when the source does not say."""
    source: str
    """Which file and field said so: `README.md:base_model`."""


def repo_id(value: object, *, need_namespace: bool = False) -> str | None:
    """`value` when it is a plausible hub repo id (not a path, URL or free text)."""
    if not isinstance(value, str) or not REPO_ID.fullmatch(value):
        return None
    if "--" in value or ".." in value or value.endswith((".", "-")):
        return None
    if need_namespace and "/" not in value:
        return None
    return value


def hub_host() -> str | None:
    """The hub host in effect: `HF_ENDPOINT`, else huggingface_hub's default constant."""
    endpoint = os.environ.get("HF_ENDPOINT")
    if not endpoint:
        try:
            from huggingface_hub import constants  # optional: only its default endpoint
        except ImportError:
            return None
        endpoint = constants.ENDPOINT
    return urlsplit(endpoint).hostname


def repo_from_url(url: str, host: str | None) -> str | None:
    """`<endpoint>/<ns>/<name>` on the hub in effect → `<ns>/<name>`."""
    parts = urlsplit(url)
    if host is None or parts.hostname != host:
        return None
    path = parts.path.strip("/")
    return repo_id(path, need_namespace=True)


def front_matter(text: str) -> dict[str, object]:
    """The YAML block a model card starts with (`---` … `---`); {} when there is none."""
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    try:
        data = load_yaml(text[3:end])
    except (yaml.YAMLError, ValueError):  # bad YAML; an alias bomb or deep nesting
        return {}
    return data if isinstance(data, dict) else {}


def card_lineage(text: str, where: str) -> tuple[list[Lineage], str | None]:
    """Base models and licence from a model card."""
    data = front_matter(text[:MAX_CARD])
    bases = data.get("base_model")
    relation = data.get("base_model_relation")
    rel = str(relation) if isinstance(relation, str) else None
    names = bases if isinstance(bases, list) else [bases]
    found = [
        Lineage(base, rel or ("merge" if len(names) > 1 else None), f"{where}:base_model")
        for base in (repo_id(n) for n in names)
        if base is not None
    ]
    license_ = data.get("license")
    return found, str(license_) if isinstance(license_, str) else None


def config_lineage(text: str, where: str, field: str, relation: str | None) -> list[Lineage]:
    """`_name_or_path` or `base_model_name_or_path` when it names a hub repo."""
    try:
        data = load_json(text)
    except ValueError:
        return []
    base = repo_id(data.get(field)) if isinstance(data, dict) else None
    return [Lineage(base, relation, f"{where}:{field}")] if base else []
