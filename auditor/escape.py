"""One escaping helper per medium for text that comes from metadata (attacker-controlled).

- **terminal** (`terminal` for one value, `terminal_lines` for a whole block just before it is
  printed): control characters (ESC/CSI/OSC, CR, backspace, C1, bidi overrides, zero-width)
  become visible JSON-style escapes (`\\u001b`, `\\r`), so nothing rewrites the reader's
  terminal or hides text; a line may never start a CI workflow command (`::error::`,
  `::add-mask::`, `##[set-output]`): it gets a backslash in front.
- **Markdown** (`markdown`): one line, Markdown and HTML characters escaped, no heading or
  list marker at the start, `@mentions` and bare links shown as code (never a ping, never a
  link a reader did not see the tool make).

HTML is jinja2's autoescape plus `auditor.render.template.visible_controls`.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import re
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")

_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
"""Control (Cc, but TAB) and invisible format characters (Cf, line/paragraph separators)."""
_UNSAFE_IN_BLOCK = re.compile(_UNSAFE.pattern.replace("\x0a-\x1f", "\x0b-\x1f"))
"""The same, newlines allowed: a block's own line breaks."""
_SHORT = {"\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f"}
_COMMAND = re.compile(r"^(\s*)(::|##\[)", re.MULTILINE)
"""GitHub's runner reads a workflow command from any output line that starts, after
leading blanks, with `::` (or the older `##[`)."""


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    return _SHORT.get(ch) or f"\\u{ord(ch):04x}"


def terminal(value: object) -> str:
    """One value for one line of terminal text: controls (newlines too) visible, and no
    workflow command if it begins a line."""
    text = str(value)
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(_visible, text)
    return _COMMAND.sub(r"\1\\\2", text) if "::" in text or "##[" in text else text


def terminal_lines(text: str) -> str:
    """A whole block about to be printed (any format): controls but newline and tab made
    visible, and no line starting a workflow command. The escapes are JSON's own, so JSON
    output stays valid JSON meaning the same."""
    if _UNSAFE_IN_BLOCK.search(text):
        text = _UNSAFE_IN_BLOCK.sub(_visible, text)
    return _COMMAND.sub(r"\1\\\2", text) if "::" in text or "##[" in text else text


# Only characters that mean something mid-line; the start of a value is escaped apart (a
# value that starts a line could be a heading or a list item).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|<>~])")
_MARKDOWN_LINE_START = re.compile(r"^(?:([#>]|[-+*=](?=\s|$))|(\d+)([.)])(?=\s|$))")
_CODE = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>`|]*[^\s<>`|.,;:!?)\]'\"]"  # bare links
    r"|(?<![\w@`])@[a-z0-9][a-z0-9_-]*(?:/[a-z0-9_.-]+)?"  # @user, @org/team
)


def markdown(value: object) -> str:
    """One metadata value inside a Markdown line (PR comments, job summaries)."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in str(value)).split())
    out: list[str] = []
    last = 0
    for match in _CODE.finditer(flat):
        out.append(_markdown_text(flat[last : match.start()]))
        out.append(f"`{match.group()}`")  # code: no ping, no link; `[^`]` keeps it closed
        last = match.end()
    out.append(_markdown_text(flat[last:]))
    text = "".join(out)
    return _MARKDOWN_LINE_START.sub(_unmark, text)


def _unmark(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return match.group(2) + "\\" + match.group(3)


def _markdown_text(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;")


def map_strings(value: T, fn: Callable[[str], str], visit: Callable[[Any], Any] | None = None) -> T:
    """`value` (frozen dataclasses, tuples, lists, dicts of them) with `fn` applied to every
    string in it; enums and numbers kept; unchanged parts are the same objects. `visit` may
    replace a dataclass before its fields are mapped. Each distinct string is mapped once,
    and each dataclass object once (a finding's evidence is its origin's very objects: half
    the ~17,000 evidence items of a 680-package scan)."""
    seen: dict[str, str] = {}
    mapped: dict[int, tuple[Any, Any]] = {}  # id -> (the object, kept alive; its mapping)
    # Whether a type is kept as it is (numbers, booleans, enums, None), learnt per type
    # rather than asked of each value with isinstance: a scan holds tens of thousands of them.
    atomic: dict[type, bool] = dict.fromkeys((*_ATOMS, type(None)), True)
    plans: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}

    def text(item: str) -> str:
        done = seen.get(item)
        if done is None:
            done = seen[item] = fn(item)
        return item if done == item else done  # unchanged: this very object

    def is_atom(kind: type) -> bool:
        found = atomic.get(kind)
        if found is None:
            found = atomic[kind] = issubclass(kind, Enum)
        return found

    def walk(item: Any) -> Any:
        # Strings, empty tuples and atoms are handled inline, not by a call each: a scan holds
        # hundreds of thousands of them, and the walk runs on every scan.
        kind: Any = type(item)
        if kind is str:
            return text(item)
        if kind is tuple:
            if not item:  # most of a scan's tuples (no roots, no conflicts, no files)
                return item
            items = tuple(
                text(v) if type(v) is str else v if atomic.get(type(v)) else walk(v) for v in item
            )
            return item if all(a is b for a, b in zip(items, item, strict=True)) else items
        if is_atom(kind):
            return item
        if kind is list:
            return [walk(v) for v in item]
        if kind is dict:
            return {walk(k): walk(v) for k, v in item.items()}
        plan = plans.get(kind)
        if plan is None:
            plan = plans[kind] = _plan(kind)
        names, values_of = plan
        if not names:
            return item
        known = mapped.get(id(item))
        if known is not None:
            return known[1]
        original = item
        if visit is not None:
            item = visit(item)
        changes = {}
        for name, old in zip(names, values_of(item), strict=True):
            vkind = type(old)
            if vkind is str:
                new = seen.get(old)
                if new is None:
                    new = text(old)
                elif new == old:
                    continue
            elif vkind is tuple:
                if not old:
                    continue
                new = walk(old)
            elif is_atom(vkind):
                continue
            else:
                new = walk(old)
            if new is not old:
                changes[name] = new
        result = dataclasses.replace(item, **changes) if changes else item
        mapped[id(original)] = (original, result)
        return result

    result: T = walk(value)
    return result


_ATOMS = frozenset({int, float, bool})


def _plan(cls: type) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    """A dataclass's field names and one C-level call that reads all their values (a
    getattr per field was a third of the walk); ((), …) for any other class."""
    names = _field_names(cls)
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return names, lambda item: (one(item),)
    return names, operator.attrgetter(*names) if names else (lambda item: ())


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names (dataclasses.fields is slow to call per object); ()
    for any other class."""
    if not dataclasses.is_dataclass(cls):
        return ()
    return tuple(f.name for f in dataclasses.fields(cls))


def terminal_safe(value: T) -> T:
    """`value` with every string in it made safe for one terminal line (`terminal`): what a
    text view formats, so no value can break its line or write to the terminal."""
    return map_strings(value, terminal)
