"""Hub model references in YAML, JSON and TOML configuration files.

A value counts when its key names a model (`model`, `model_name_or_path`, `base_model`,
`tokenizer`, `repo_id` …) and it looks like `namespace/name` (a namespace is required here:
configs hold many bare words). A `revision` key in the same mapping pins it. YAML lines come
from the composed node tree; JSON and TOML parsers keep no positions, so the line is that of
the value's first quoted occurrence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

import yaml

from auditor.bounded import check_yaml_tree, load_json, load_toml
from auditor.errors import Diagnostic
from auditor.references import Extracted, ModelReference
from auditor.weights.lineage import repo_id

KEYS = frozenset(
    {
        "model",
        "model_name",
        "model_id",
        "model_name_or_path",
        "pretrained_model_name_or_path",
        "base_model",
        "base_model_name_or_path",
        "tokenizer",
        "tokenizer_name",
        "tokenizer_name_or_path",
        "repo_id",
        "hub_model_id",
        "model_repo",
        "embedding_model",
        "embed_model",
        "teacher_model",
        "reward_model",
    }
)
TRIGGER = re.compile("|".join(sorted(KEYS, key=len, reverse=True)))
MAX_CONFIG = 1 << 20
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_pairs(node: yaml.Node, depth: int = 0) -> Iterator[tuple[str, str, int, str | None]]:
    if depth > 100:
        return
    if isinstance(node, yaml.MappingNode):
        scalars = {
            k.value: v
            for k, v in node.value
            if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
        }
        revision = scalars.get("revision")
        for key, value in scalars.items():
            if key in KEYS:
                yield (
                    key,
                    value.value,
                    value.start_mark.line + 1,
                    (revision.value if revision is not None else None),
                )
        for _, value in node.value:
            yield from _yaml_pairs(value, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for value in node.value:
            yield from _yaml_pairs(value, depth + 1)


def _data_pairs(data: object, depth: int = 0) -> Iterator[tuple[str, str, str | None]]:
    if depth > 100:
        return
    if isinstance(data, dict):
        revision = data.get("revision")
        for key, value in data.items():
            if key in KEYS and isinstance(value, str):
                yield key, value, revision if isinstance(revision, str) else None
            else:
                yield from _data_pairs(value, depth + 1)
    elif isinstance(data, list):
        for value in data:
            yield from _data_pairs(value, depth + 1)


def _line_of(text: str, value: str, starts: list[int]) -> int:
    """The line of the first quoted `value`; `starts` are the lines' offsets (counting the
    newlines before each of thousands of values was quadratic)."""
    for quote in ('"', "'"):
        at = text.find(f"{quote}{value}{quote}")
        if at >= 0:
            return bisect_right(starts, at)
    return 1


def config_references(path: str, text: str) -> Extracted:
    """References in one config file; unparseable files are diagnostics."""
    if len(text) > MAX_CONFIG or not TRIGGER.search(text):
        return Extracted()
    found: list[ModelReference] = []
    lower = path.lower()
    try:
        if lower.endswith((".yaml", ".yml")):
            for document in yaml.compose_all(text, Loader=_YamlLoader):
                check_yaml_tree(document)  # alias bombs, depth: before _yaml_pairs walks it
                for key, value, line, revision in _yaml_pairs(document):
                    repo = repo_id(value, need_namespace=True)
                    if repo:
                        found.append(ModelReference(repo, path, line, f"config:{key}", revision))
            return Extracted(tuple(sorted(found, key=lambda r: (r.line, r.repo_id))))
        data = load_toml(text) if lower.endswith(".toml") else load_json(text)
    except (yaml.YAMLError, ValueError) as exc:  # TOMLDecodeError, JSONDecodeError, TooDeep…
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Extracted(diagnostics=(Diagnostic(path, f"not valid configuration: {message}"),))
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    for key, value, revision in _data_pairs(data):
        repo = repo_id(value, need_namespace=True)
        if repo:
            found.append(
                ModelReference(repo, path, _line_of(text, value, starts), f"config:{key}", revision)
            )
    return Extracted(tuple(found))
