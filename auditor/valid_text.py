"""Text read from files that no output can hold, made visible instead of fatal.

A name can arrive holding U+0000 (a JSON `\\u0000` escape, a NUL byte in a text file) or a
lone surrogate (a JSON `\\ud800` escape, a file name that is not UTF-8, which Python keeps as
`\\udcff`). Neither can be written as UTF-8 (a report, the terminal) nor stored (PostgreSQL
refuses U+0000; SQLite's driver refuses surrogates), so one odd package name in one
lockfile would end a whole scan in UnicodeEncodeError. Every reader would have to guard
every string; instead the pipeline passes what the collectors found through `valid_text`
once: such characters are written as escapes (`\\x00`, `\\xff` for a byte of a non-UTF-8
file name, `\\ud800`), and one diagnostic says where.

The common case costs one regular-expression search per component over its fields joined
(about a microsecond each); only what holds such a character is rebuilt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from auditor.collectors import Collected
from auditor.errors import Diagnostic
from auditor.model import Component, Evidence

T = TypeVar("T")

_INVALID = re.compile("[\x00\ud800-\udfff]")


def _invalid(text: str) -> bool:
    # ASCII text holds no surrogate, and `in` finds a NUL at C speed; the regex, a character
    # class tried at every position, was a tenth of a 1,000-package inventory's instructions.
    if text.isascii():
        return "\x00" in text
    return _INVALID.search(text) is not None


def valid_text(found: Collected) -> Collected:
    """`found` with every NUL and lone surrogate escaped, plus a diagnostic naming each place
    that held any; `found` itself when none did."""
    places: list[str] = []

    def checked(
        items: tuple[T, ...], text: Callable[[T], str], where: Callable[[T], str]
    ) -> tuple[T, ...]:
        if not _invalid("\n".join(map(text, items))):  # the common case: one check
            return items
        kept = []
        for item in items:
            if _INVALID.search(text(item)):
                item = _clean(item)
                places.append(where(item))
            kept.append(item)
        return tuple(kept)

    components = checked(found.components, _component_text, _component_place)
    dependencies = checked(
        found.dependencies,
        lambda d: "\n".join((d.source, d.target, d.scope or "", d.marker or "")),
        lambda d: d.source,
    )
    findings = checked(
        found.findings, lambda f: "\n".join((f.purl, f.message, *_evidence(f.evidence))),
        lambda f: f.purl,
    )  # fmt: skip
    diagnostics = checked(
        found.diagnostics, lambda d: f"{d.location}\n{d.message}", lambda d: d.location
    )
    if not places:
        return found
    notes = tuple(
        Diagnostic(place, "holds NUL characters or text that is not valid Unicode (lone "
                   "surrogates, non-UTF-8 file names); shown escaped, as \\x00 or \\xff")
        for place in dict.fromkeys(places)
    )  # fmt: skip
    return Collected(components, dependencies, findings, diagnostics + notes)


def _evidence(evidence: tuple[Evidence, ...]) -> list[str]:
    return [x for e in evidence for x in (e.source, e.field, e.value, e.where)]


def _component_text(c: Component) -> str:
    return "\n".join((
        c.purl, c.name, c.version or "", c.license or "",
        *(loc.path for loc in c.locations), *(loc.target for loc in c.locations),
        *_evidence(c.evidence), *(f.path for f in c.files), *c.hashes,
    ))  # fmt: skip


def _component_place(c: Component) -> str:
    return c.locations[0].path if c.locations else c.purl


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a name that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code == 0 else f"\\u{code:04x}"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _INVALID.sub(_escape, value) if _INVALID.search(value) else value
    if isinstance(value, tuple):
        return tuple(_clean(item) for item in value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _clean(getattr(value, f.name)) for f in fields(value)}
        return replace(value, **changes)
    return value
