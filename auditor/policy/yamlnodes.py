"""YAML read into values that remember their line, so every policy error names file:line.

PyYAML's `compose` keeps a mark on every node; `safe` loading would drop them. Only the
plain YAML types are accepted (no tags, no anchors that build objects): a rule file is data.

The files shipped with the tool (the default pack, rules/data lists) are read on every scan:
`load_shipped_yaml` keeps their values and lines as JSON in the user's cache, named by the
text's sha256, so a scan neither imports PyYAML (~11 ms) nor parses them (issue 36). A
user's pack is always parsed.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.bounded import check_yaml_tree
from auditor.config import user_cache_folder
from auditor.errors import ConfigError

if TYPE_CHECKING:
    import yaml

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Y:
    """One YAML value and the 1-based line it starts on."""

    value: Scalar | list[Y] | dict[str, Y]
    line: int
    file: str

    @property
    def where(self) -> str:
        """`file:line`, the subject of every message about this value."""
        return f"{self.file}:{self.line}"

    def error(self, message: str) -> PolicyError:
        """A PolicyError located at this value."""
        return PolicyError(self.file, self.line, message)

    def plain(self) -> object:
        """The value without lines (lists and dicts of scalars)."""
        if isinstance(self.value, list):
            return [item.plain() for item in self.value]
        if isinstance(self.value, dict):
            return {key: item.plain() for key, item in self.value.items()}
        return self.value


class PolicyError(ConfigError):
    """A rule file or policy setting that cannot be used; names file and line."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        subject = f"{file}:{line}" if line is not None else file
        super().__init__(
            f"{subject}: {message}",
            hint="see README 'Policy' for the rule format; `auditor rules validate PATH` checks it",
        )
        self.file = file
        self.line = line
        self.reason = message


def load_yaml(text: str, file: str) -> Y | None:
    """The document in `text` (None when empty); PolicyError for malformed YAML."""
    import yaml  # here: a scan that reads only shipped files from the cache never needs it

    # libyaml's composer keeps the same marks, ~10x faster than PyYAML's own.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise PolicyError(file, line, f"not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(file, None, f"not valid YAML: {exc}") from None
    if node is None:
        return None
    try:
        check_yaml_tree(node)
    except ValueError as exc:  # TooDeep, TooLarge: before _convert recurses over it
        raise PolicyError(file, None, f"YAML {exc}") from None
    # One constructor for every scalar of the document, not one each (~800 in the default
    # pack: a third of its load time on every scan, issue 36).
    return _convert(node, file, [MAX_NODES], yaml.SafeLoader(""))


PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
"""Collections may only be plain mappings and lists (no python/object, omap, set …)."""
MAX_NODES = 200_000
"""Aliases can make a few lines expand to billions of values; a rule file never needs this."""


def _convert(node: yaml.Node, file: str, budget: list[int], loader: yaml.SafeLoader) -> Y:
    import yaml

    line = node.start_mark.line + 1
    budget[0] -= 1
    if budget[0] < 0:
        raise PolicyError(file, line, f"more than {MAX_NODES} values (alias expansion?)")
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in PLAIN_TAGS:
        raise PolicyError(file, line, f"unreadable value: unsupported tag {node.tag}")
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Y] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, file, budget, loader)
            if not isinstance(key.value, str):
                raise PolicyError(file, key.line, "mapping keys must be text")
            if key.value in out:
                raise PolicyError(file, key.line, f"duplicate key {key.value!r}")
            out[key.value] = _convert(value_node, file, budget, loader)
        return Y(out, line, file)
    if isinstance(node, yaml.SequenceNode):
        return Y([_convert(item, file, budget, loader) for item in node.value], line, file)
    assert isinstance(node, yaml.ScalarNode)
    try:
        value = loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise PolicyError(file, line, f"unreadable value: {exc}") from None
    if isinstance(value, datetime.date):  # dates stay text: `2026-12-31`
        value = value.isoformat()
    if value is not None and not isinstance(value, str | int | float | bool):
        raise PolicyError(file, line, f"unsupported value of type {type(value).__name__}")
    return Y(value, line, file)


CACHE_FORMAT = 1
"""Part of every cached file's name: a change of the JSON form below changes it."""


def load_shipped_yaml(text: str, file: str) -> Y | None:
    """`load_yaml` for a file shipped with the tool: from its JSON copy in the user's cache
    when an earlier run wrote one for this very text, else parsed (and the copy written;
    a cache that cannot be written or read is no error, the file is parsed)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    cached = user_cache_folder() / f"yaml-v{CACHE_FORMAT}-{digest}.json"
    try:
        return _from_json(json.loads(cached.read_bytes()), file)
    except (OSError, ValueError):  # none yet, or unreadable: parse the text
        pass
    doc = load_yaml(text, file)
    _write_atomically(cached, json.dumps(_to_json(doc), separators=(",", ":")))
    return doc


def _to_json(doc: Y | None) -> object:
    """`[line, value]` for each value; lists and mappings hold their items so."""
    if doc is None:
        return None
    if isinstance(doc.value, list):
        return [doc.line, [_to_json(item) for item in doc.value]]
    if isinstance(doc.value, dict):
        return [doc.line, {key: _to_json(item) for key, item in doc.value.items()}]
    return [doc.line, doc.value]


def _from_json(data: object, file: str) -> Y | None:
    """The inverse of `_to_json`; ValueError when `data` is not of its shape."""
    if data is None:
        return None
    if not (isinstance(data, list) and len(data) == 2 and type(data[0]) is int):
        raise ValueError("not a cached YAML value")
    line, value = data
    if isinstance(value, list):
        return Y([_value(item, file) for item in value], line, file)
    if isinstance(value, dict):
        return Y({str(key): _value(item, file) for key, item in value.items()}, line, file)
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError("not a cached YAML value")
    return Y(value, line, file)


def _value(data: object, file: str) -> Y:
    found = _from_json(data, file)
    if found is None:
        raise ValueError("not a cached YAML value")
    return found


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file (a reader never sees half of it);
    nothing when the cache folder cannot be written (a read-only home)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
