"""Structure-aware mutations of real input files, for the fuzz tests.

A seed (a real lockfile, METADATA, package.json …) is parsed into its structure (JSON, TOML,
YAML, lines), one to three edits are made where a parser looks (keys renamed, values of
another type, nesting added or removed, names of odd Unicode: control and format characters,
right-to-left overrides, lone surrogates) and it is written back, sometimes as bytes that are
not valid UTF-8. Near-valid input reaches far deeper into a parser than random bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import tomli_w
import yaml
from hypothesis import strategies as st

ODD_CHARACTERS = (
    "\x00", "\x1b[31m", "\ud800", "\udfff", "\u202e", "\u200b", "\ufeff", "\u0301", "é", "名",
    "\U0001f600", "\n", "\r", "\t", " ", "\\", '"', "'", "=", "@", "/", ":", "#", ";", "[", "]",
    "{", "}", ",", "..", "~", "*", "-", "%00", "\x7f", "\u2028", "\uffff",
)  # fmt: skip
"""What names in hostile or damaged files hold: terminal escapes, bidi overrides, surrogates
(from JSON `\\ud800` escapes), separators of every format here."""

odd_text = st.lists(
    st.sampled_from(ODD_CHARACTERS) | st.characters() | st.text(max_size=6), max_size=6
).map("".join)
odd_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    odd_text,
)
odd_value = st.recursive(
    odd_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position inside a JSON-like value (bounded, so large seeds stay quick)."""
    found = [prefix]
    if isinstance(value, dict):
        for key in list(value)[:40]:
            found += _paths(value[key], (*prefix, key))
    elif isinstance(value, list):
        for index in range(min(len(value), 20)):
            found += _paths(value[index], (*prefix, index))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


@st.composite
def mutated_structure(draw: st.DrawFn, doc: Any) -> Any:
    """`doc` (a parsed JSON/TOML/YAML document) with one to three edits."""
    doc = json.loads(json.dumps(doc, default=str))  # a private copy of plain types
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            doc = draw(odd_value) if draw(st.integers(0, 9)) == 0 else doc
            continue
        parent, last = _get(doc, path[:-1]), path[-1]
        edit = draw(st.sampled_from(("replace", "wrap", "unwrap", "rename", "delete", "odd")))
        current = parent[last]
        if edit == "replace":
            parent[last] = draw(odd_value)
        elif edit == "wrap":
            parent[last] = draw(st.sampled_from(([current], {"x": current})))
        elif edit == "unwrap" and isinstance(current, (list, dict)) and current:
            parent[last] = next(iter(current.values())) if isinstance(current, dict) else current[0]
        elif edit == "rename" and isinstance(parent, dict):
            parent[draw(odd_text)] = parent.pop(last)
        elif edit == "delete":
            del parent[last]
        elif isinstance(current, str):  # odd characters inside a name or version
            at = draw(st.integers(0, len(current)))
            parent[last] = current[:at] + draw(odd_text) + current[at:]
        else:
            parent[last] = draw(odd_text)
    return doc


def _utf8(text: str, strict: bool) -> bytes:
    """UTF-8, or (lone surrogates) the bytes a careless writer produces: not valid UTF-8;
    `strict`: such characters left out instead."""
    if strict:
        return text.encode("utf-8", "ignore")
    return text.encode("utf-8", "surrogatepass")


def _json_bytes(doc: Any, ascii_only: bool) -> bytes:
    return _utf8(json.dumps(doc, ensure_ascii=ascii_only, indent=1), strict=False)


def _toml_bytes(doc: Any) -> bytes | None:
    def clean(value: Any) -> Any:  # TOML has no null; its tables need string keys
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [clean(v) for v in value if v is not None]
        return value

    cleaned = clean(doc)
    if not isinstance(cleaned, dict):
        return None
    try:
        return _utf8(tomli_w.dumps(cleaned), strict=False)
    except (TypeError, ValueError):
        return None


def _yaml_bytes(doc: Any) -> bytes:
    return _utf8(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), strict=False)


@st.composite
def mutated_lines(draw: st.DrawFn, text: str) -> bytes:
    """A line-based file (requirements, yarn.lock, RFC 822 METADATA, dpkg status) with lines
    duplicated, dropped or given odd text inside their tokens."""
    lines = text.splitlines()[:150]
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines.append(draw(odd_text))
            continue
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(("odd", "odd", "duplicate", "drop", "insert", "indent")))
        line = lines[at]
        if edit == "odd":
            tokens = re.split(r"([\s=:@;,\[\]\"'<>!~^#]+)", line)
            spot = draw(st.integers(0, len(tokens) - 1))
            tokens[spot] = draw(st.sampled_from((tokens[spot], ""))) + draw(odd_text)
            lines[at] = "".join(tokens)
        elif edit == "duplicate":
            lines.insert(at, line)
        elif edit == "drop":
            del lines[at]
        elif edit == "insert":
            lines.insert(at, draw(odd_text))
        else:
            lines[at] = draw(st.sampled_from(("  ", "\t", "    "))) + line
    return _utf8("\n".join(lines) + "\n", strict=draw(st.booleans()))


JSONC_TRAILING = re.compile(r",(\s*[}\]])")


def _shrink(doc: Any, keep: int = 6) -> Any:
    """The seed's first few entries at every level: the same shapes, quick to mutate and
    parse (a hundred examples of a 300-package lock would take minutes)."""
    if isinstance(doc, dict):
        return {k: _shrink(v, keep) for k, v in list(doc.items())[:keep]}
    if isinstance(doc, list):
        return [_shrink(v, keep) for v in doc[:keep]]
    return doc


def structured(fmt: str, seed: bytes) -> st.SearchStrategy[bytes]:
    """Mutations of `seed` read as `fmt`: json, jsonc (bun.lock), toml, yaml or lines."""
    text = seed.decode("utf-8")
    if fmt == "lines":
        return mutated_lines(text)
    if fmt in ("json", "jsonc"):
        doc = json.loads(JSONC_TRAILING.sub(r"\1", text) if fmt == "jsonc" else text)
        return st.builds(_json_bytes, mutated_structure(_shrink(doc)), st.booleans())
    if fmt == "yaml":
        return mutated_structure(_shrink(yaml.safe_load(text))).map(_yaml_bytes)
    if fmt == "toml":
        import tomllib

        toml: Callable[[Any], bytes | None] = _toml_bytes
        return (
            mutated_structure(_shrink(tomllib.loads(text)))
            .map(toml)
            .filter(lambda b: b is not None)
        )  # type: ignore[return-value]
    raise ValueError(fmt)
