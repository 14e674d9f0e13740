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

MAX_DEPTH = 100
"""Deeper than any lockfile, manifest, model config or header we read (they nest under 20)."""

# A JSON string from its opening quote: to its closing quote, or to the end when it is not
# closed (so a scan never retries at each quote of an unterminated string: that is n²).
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.S)
_STRING_B = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.S)
_JSONC_SPECIAL = re.compile(r'["/,]')
_SPACE = re.compile(r"\s*+")
_DELTA = [0] * 256
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte but brackets: deleted


class TooDeep(ValueError):
    """A document nested deeper than the limit (a ValueError, like a JSON syntax error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit


def json_depth(data: str | bytes) -> int:
    """The deepest nesting of `[`/`{` outside strings (linear; strings are skipped whole)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= 1:
        return raw.count(b"[") + raw.count(b"{")
    kept = _STRING_B.sub(b"", raw).translate(None, _BRACKETS)
    return max(accumulate(map(_DELTA.__getitem__, kept)), default=0)


def check_depth(data: str | bytes, limit: int = MAX_DEPTH) -> None:
    """TooDeep when `data` nests deeper than `limit` (cheap when it has few brackets)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") > limit and json_depth(raw) > limit:
        raise TooDeep(limit)


def load_json(data: str | bytes, limit: int = MAX_DEPTH) -> Any:
    """`json.loads` after `check_depth`: ValueError (JSONDecodeError or TooDeep) on bad input."""
    check_depth(data, limit)
    return json.loads(data)


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
