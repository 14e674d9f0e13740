"""ModelScope's cache index files, read without unpickling.

modelscope (hub/utils/caching.py `ModelFileSystemCache`) keeps, in each cached repo folder
`<cache>/[models/]<org>/<name>` (name's dots written as `___`):
- `.msc`: a pickled list of `{"Path": <file in repo>, "Revision": <commit id>}`, one per file;
- `.mdl`: a pickled `{"id": "<org>/<name>"}`;
- `.mv`: text `Revision:<rev>,CreatedAt:<time>` (or a bare revision).
A pickle can run code when loaded, so these are never unpickled: a tiny stack machine over
`pickletools.genops` accepts only the opcodes that build lists, dicts, tuples, strings,
numbers, booleans and None, and rejects everything else (GLOBAL, REDUCE, BUILD …).
"""

from __future__ import annotations

import pickletools
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.errors import ParseError

_MARK = object()

_PUSH_ARG = frozenset(
    {
        "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
        "BINSTRING", "SHORT_BINSTRING", "BININT", "BININT1", "BININT2", "INT", "LONG",
        "LONG1", "LONG4", "BINFLOAT", "FLOAT",
    }
)  # fmt: skip
_MEMO_PUT = frozenset({"MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT"})
_MEMO_GET = frozenset({"BINGET", "LONG_BINGET", "GET"})
_IGNORED = frozenset({"PROTO", "FRAME"})


def read_plain_pickle(path: str, data: bytes) -> object:
    """The value a pickle of plain data holds; ParseError for anything else or bad bytes."""
    stack: list[object] = []
    memo: dict[int, object] = {}
    try:
        for op, arg, at in pickletools.genops(data):
            name, pos = op.name, at or 0
            if name in _IGNORED:
                continue
            if name == "STOP":
                if len(stack) != 1:
                    raise ParseError(path, f"pickle ends with {len(stack)} values, not 1")
                return stack[0]
            if name in _PUSH_ARG:
                stack.append(arg)
            elif name == "NONE":
                stack.append(None)
            elif name in ("NEWTRUE", "NEWFALSE"):
                stack.append(name == "NEWTRUE")
            elif name == "MARK":
                stack.append(_MARK)
            elif name in ("EMPTY_LIST", "EMPTY_DICT", "EMPTY_TUPLE"):
                stack.append({"EMPTY_LIST": [], "EMPTY_DICT": {}, "EMPTY_TUPLE": ()}[name])
            elif name in _MEMO_PUT:
                memo[len(memo) if name == "MEMOIZE" else _index(arg)] = _top(path, stack)
            elif name in _MEMO_GET:
                if _index(arg) not in memo:
                    raise ParseError(path, f"pickle refers to unknown memo {arg} at byte {pos}")
                stack.append(memo[_index(arg)])
            else:
                _build(path, name, pos, stack)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ParseError(path, f"not a readable pickle: {exc}") from None
    raise ParseError(path, "pickle has no STOP")


def _index(arg: object) -> int:
    if not isinstance(arg, int | str):
        raise ValueError(f"memo index {arg!r}")
    return int(arg)


def _top(path: str, stack: list[object]) -> object:
    if not stack or stack[-1] is _MARK:
        raise ParseError(path, "pickle memoises nothing")
    return stack[-1]


def _pop_mark(path: str, stack: list[object]) -> list[object]:
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is _MARK:
            items = stack[i + 1 :]
            del stack[i:]
            return items
    raise ParseError(path, "pickle has no MARK for a collection")


def _build(path: str, name: str, pos: int, stack: list[object]) -> None:
    """Collection opcodes; anything else (objects, globals, calls) is refused."""
    if name in ("APPEND", "SETITEM", "TUPLE1", "TUPLE2", "TUPLE3"):
        count = {"APPEND": 1, "SETITEM": 2, "TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}[name]
        if len(stack) < count or any(v is _MARK for v in stack[-count:]):
            raise ParseError(path, f"pickle {name} at byte {pos} lacks operands")
        items = stack[-count:]
        del stack[-count:]
    elif name in ("APPENDS", "SETITEMS", "LIST", "DICT", "TUPLE"):
        items = _pop_mark(path, stack)
    else:
        raise ParseError(path, f"pickle opcode {name} at byte {pos} is not plain data; not loaded")
    if name in ("TUPLE", "TUPLE1", "TUPLE2", "TUPLE3"):
        stack.append(tuple(items))
    elif name == "LIST":
        stack.append(list(items))
    elif name == "DICT":
        stack.append(_pairs(path, {}, items))
    else:
        target = _top(path, stack)
        if name in ("APPEND", "APPENDS") and isinstance(target, list):
            target.extend(items)
        elif name in ("SETITEM", "SETITEMS") and isinstance(target, dict):
            _pairs(path, target, items)
        else:
            raise ParseError(path, f"pickle {name} at byte {pos} on a {type(target).__name__}")


def _pairs(path: str, target: dict[object, object], items: list[object]) -> dict[object, object]:
    if len(items) % 2:
        raise ParseError(path, "pickle dict has an odd number of items")
    for key, value in zip(items[::2], items[1::2], strict=True):
        if isinstance(key, list | dict):
            raise ParseError(path, "pickle dict key is not hashable")
        target[key] = value
    return target


@dataclass(frozen=True, slots=True)
class IndexedFile:
    """One `.msc` entry: a file of the repo and the commit it was downloaded at."""

    path: str
    revision: str


def parse_msc(path: str, data: bytes) -> tuple[IndexedFile, ...]:
    """`.msc`: the list of {"Path", "Revision"} keys of the cached files."""
    value = read_plain_pickle(path, data)
    if not isinstance(value, list):
        raise ParseError(path, f"expected a list of file keys, found {type(value).__name__}")
    found: list[IndexedFile] = []
    for item in value:
        if not isinstance(item, dict):
            raise ParseError(path, "a file key is not a dict")
        file_path, revision = item.get("Path"), item.get("Revision")
        if not isinstance(file_path, str) or not isinstance(revision, str):
            raise ParseError(path, "a file key lacks a string Path or Revision")
        found.append(IndexedFile(file_path, revision))
    return tuple(found)


def parse_mdl(path: str, data: bytes) -> str | None:
    """`.mdl`: the model id, or None when modelscope recorded it as unknown."""
    value = read_plain_pickle(path, data)
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise ParseError(path, "expected {'id': '<org>/<name>'}")
    model_id: str = value["id"]
    return None if model_id == "unknown" else model_id


def parse_mv(path: str, text: str) -> str | None:
    """`.mv`: `Revision:<rev>,CreatedAt:<time>` (save_model_version) or a bare revision."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("Revision:"):
        revision = text.removeprefix("Revision:").split(",CreatedAt:", 1)[0].strip()
        if not revision:
            raise ParseError(path, "empty Revision")
        return revision
    if any(c.isspace() or c == "," for c in text):
        raise ParseError(path, f"expected Revision:<rev>,CreatedAt:<time>, found {text[:60]!r}")
    return text


def modelscope_prefixes(paths: Iterable[str]) -> tuple[str, ...]:
    """Path prefixes of the ModelScope cache repo folders in a tree (those holding its `.msc`
    or `.mdl` index files): the model-scope collector's, which other collectors leave alone."""
    return tuple(
        f"{folder}/" if (folder := posixpath.dirname(p)) else ""
        for p in paths
        if posixpath.basename(p) in (".msc", ".mdl")
    )
