"""JSON from untrusted bytes in time linear in its length and nesting bounded before parsing.

`load_json` refuses a document nested deeper than MAX_DEPTH *before* `json.loads` sees it,
so no parser or walker of ours ever meets depth that could end in a RecursionError (or, for
C code that hashes or compares nested values, a crashed interpreter). `strip_jsonc` removes
the comments and trailing commas of JSON-with-comments (bun.lock) with a hand-written
scanner: the regular expression it replaces backtracked exponentially on a run of comments.

Every pattern here is unambiguous (possessive repeats over disjoint classes), so a match
attempt is linear, and each scan only moves forward.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

import orjson

MAX_DEPTH = 100
"""Deeper than any lockfile, manifest, model config or header we read (they nest under 20)."""

# A JSON string from its opening quote: to its closing quote, or to the end when it is not
# closed (so a scan never retries at each quote of an unterminated string: that is n²).
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.S)
# TOML's strings and comments, each matched to its end or to the end of the text: multi-line
# basic and literal strings, one-line basic (escapes) and literal strings, comments.
_TOML_SKIP = re.compile(
    r'"""(?:[^"\\]++|\\.|"(?!""))*+(?:"""|\\?\Z)'
    r"|'''(?:[^']++|'(?!''))*+(?:'''|\Z)"
    r'|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+(?:"|\\?(?=\n)|\\?\Z)'
    r"|'[^'\n]*+(?:'|(?=\n)|\Z)"
    r"|#[^\n]*+",
    re.S,
)
_JSONC_SPECIAL = re.compile(r'["/,]')
_SPACE = re.compile(r"\s*+")
_DELTA = [0] * 256
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte but brackets: deleted
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'[]{}"')  # kept: brackets and quotes
_QUOTED = re.compile(rb'"[^"]*+(?:"|\Z)')
"""A string of the skeleton (brackets and quotes only): to its closing quote, or the end."""


class TooDeep(ValueError):
    """A document nested deeper than the limit (a ValueError, like a JSON syntax error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit


def json_depth(data: str | bytes) -> int:
    """The deepest nesting of `[`/`{` outside strings (linear; strings are skipped whole).

    Escapes occur only inside strings, where a run of backslashes is pairs of escaped
    backslashes and, when odd, one escaping the next character: dropping the pairs and then
    the escaped quotes leaves every string between two plain quotes. Only quotes and brackets
    then matter, and the strings are removed from that short remainder: a warm scan checks
    ~13 MB of cached registry answers, and matching strings over all of it was ~0.1 s.
    Outside strings a backslash is a syntax error where the parser stops, so what follows
    it is never nested into.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= 1:
        return raw.count(b"[") + raw.count(b"{")
    if b"\\\\" in raw:
        raw = raw.replace(b"\\\\", b"")
    if b'\\"' in raw:
        raw = raw.replace(b'\\"', b"")
    # Two adjacent quotes are an empty string or the end of one and the start of the next:
    # either way nothing outside a string lies between them, so they go first (in C).
    skeleton = raw.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    kept = _QUOTED.sub(b"", skeleton) if b'"' in skeleton else skeleton
    return max(accumulate(map(_DELTA.__getitem__, kept)), default=0)


def check_depth(data: str | bytes, limit: int = MAX_DEPTH) -> None:
    """TooDeep when `data` nests deeper than `limit` (cheap when it has few brackets)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") > limit and json_depth(raw) > limit:
        raise TooDeep(limit)


def json_document(data: str | bytes, path: str) -> Any:
    """`load_json` for a file a parser reads: ParseError naming `path` (and the line, when
    the decoder gives one) instead of ValueError."""
    from auditor.errors import ParseError

    try:
        return load_json(data)
    except TooDeep as exc:
        raise ParseError(path, f"JSON {exc}") from None
    except ValueError as exc:  # json.JSONDecodeError carries msg and lineno
        line = getattr(exc, "lineno", None)
        raise ParseError(path, f"not valid JSON: {getattr(exc, 'msg', exc)}", line) from None


def load_json(data: str | bytes, limit: int = MAX_DEPTH) -> Any:
    """`json.loads` after `check_depth`: ValueError (JSONDecodeError or TooDeep) on bad input.

    orjson parses first (2-3x faster: a warm scan reads ~13 MB of cached answers); what it
    refuses and the standard library accepts (NaN, lone surrogate escapes, a UTF-8 BOM,
    UTF-16 and UTF-32 bytes) is parsed by `json.loads`, as are documents neither accepts, so
    values and error messages are the standard library's. One difference: an integer
    outside the 64-bit range comes back as a float (no field we read holds one).
    """
    check_depth(data, limit)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def check_toml_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """TooDeep when arrays and inline tables nest deeper than `limit` outside strings and
    comments (TOML parsers recurse once per level)."""
    if text.count("[") + text.count("{") > limit:
        kept = _TOML_SKIP.sub("", text).encode("utf-8", "surrogatepass").translate(None, _BRACKETS)
        if max(accumulate(map(_DELTA.__getitem__, kept)), default=0) > limit:
            raise TooDeep(limit)


def load_toml(text: str, limit: int = MAX_DEPTH) -> dict[str, Any]:
    """`tomllib.loads` after `check_toml_depth`: ValueError (TOMLDecodeError or TooDeep)."""
    import tomllib

    check_toml_depth(text, limit)
    return tomllib.loads(text)


def strip_jsonc(text: str) -> str:
    """`text` without `//` and `/* */` comments and without commas before `]` or `}`;
    strings are kept verbatim. Unterminated strings and comments run to the end (the JSON
    parser then reports them)."""
    out: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        found = _JSONC_SPECIAL.search(text, pos)
        if found is None:
            break
        at = found.start()
        out.append(text[pos:at])
        char = text[at]
        if char == '"':
            string = _STRING.match(text, at)
            stop = string.end() if string else end
            out.append(text[at:stop])
            pos = stop
        elif char == "/":
            stop = _comment_end(text, at)
            if stop == at:
                out.append("/")
                stop = at + 1
            pos = stop
        else:  # a comma: kept unless the next significant character closes a container
            following = _significant(text, at + 1)
            if following >= end or text[following] not in "]}":
                out.append(",")
            pos = at + 1
    out.append(text[pos:])
    return "".join(out)


def _comment_end(text: str, at: int) -> int:
    """Where the comment starting at `at` ends; `at` itself when none starts there."""
    if text.startswith("//", at):
        newline = text.find("\n", at)
        return len(text) if newline < 0 else newline
    if text.startswith("/*", at):
        close = text.find("*/", at + 2)
        return len(text) if close < 0 else close + 2
    return at


def _significant(text: str, pos: int) -> int:
    """The position of the next character that is neither white space nor in a comment."""
    while True:
        space = _SPACE.match(text, pos)
        pos = space.end() if space else pos
        stop = _comment_end(text, pos)
        if stop == pos:
            return pos
        pos = stop


MAX_ALIAS_NODES = 1_000_000
"""Nodes YAML aliases may add to a document beyond its own (an alias repeats the node it
names: nine nested aliases of ten make a billion nodes out of a few hundred bytes)."""


class TooLarge(ValueError):
    """A YAML document whose aliases expand past the budget, or refer to themselves."""


def check_yaml_tree(root: Any, limit: int = MAX_DEPTH, alias_nodes: int = MAX_ALIAS_NODES) -> None:
    """TooDeep or TooLarge unless the composed YAML `root` (a yaml.Node, aliases shared)
    expands, as its readers will walk it, to at most `alias_nodes` more nodes than it holds
    and at most `limit` levels. Linear in the composed nodes: an iterative walk, each node
    measured once, so neither a bomb nor a deep document costs more than its own size."""
    expanded: dict[int, int] = {}  # id -> nodes under it once aliases are expanded
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(key)
            expanded[key] = 1 + sum(expanded[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if depth[key] > limit:
                raise TooDeep(limit)
            continue
        if key in expanded:
            continue
        if key in open_nodes:
            raise TooLarge("an alias refers to a node that contains it")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in expanded)
    if expanded[id(root)] > len(expanded) + alias_nodes:
        raise TooLarge(
            f"aliases expand the document to {expanded[id(root)]:,} nodes "
            f"(over {alias_nodes:,} more than it holds)"
        )


def _children(node: Any) -> list[Any]:
    value = node.value
    if isinstance(value, list):
        return [part for item in value for part in (item if isinstance(item, tuple) else (item,))]
    return []


def load_yaml(text: str) -> Any:
    """One YAML document, safely constructed once `check_yaml_tree` has passed it:
    yaml.YAMLError for bad YAML, TooDeep or TooLarge (ValueErrors) for hostile YAML."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_yaml_tree(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
