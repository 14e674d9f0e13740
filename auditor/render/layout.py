"""Laying text out for a terminal of a given width: columns that shrink to fit, text wrapped
between words, and colour by severity.

Every function takes text already made terminal-safe (`auditor.escape.terminal`); colour is
added last, by `paint`, so no escape sequence from the input ever reaches a terminal and the
widths are measured on what is seen.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.model import Severity

GAP = "  "
ELLIPSIS = "…"

# SGR codes (ECMA-48): 1 bold, 2 faint, 31 red, 33 yellow, 36 cyan, 91 bright red.
SEVERITY_STYLE = {
    Severity.CRITICAL: "1;91",
    Severity.HIGH: "31",
    Severity.MEDIUM: "33",
    Severity.LOW: "36",
    Severity.INFO: "2",
}
BOLD = "1"
BLOCK_STYLE = "1;31"


def paint(text: str, style: str | None, colour: bool) -> str:
    """`text` in `style` (SGR parameters) when colour is on; the reset closes only it."""
    if not colour or not style or not text:
        return text
    return f"\x1b[{style}m{text}\x1b[0m"


def clip(text: str, width: int) -> str:
    """At most `width` long, the cut marked; the end is kept for paths (`…/x/uv.lock:3`)
    by `clip_left`."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + ELLIPSIS if width > 0 else ""


def clip_left(text: str, width: int) -> str:
    """At most `width` long, the start cut: a path's file name is what tells rows apart."""
    if len(text) <= width:
        return text
    return ELLIPSIS + text[len(text) - width + 1 :] if width > 1 else clip(text, width)


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its header, the narrowest it may become, and which end a cut keeps."""

    header: str
    minimum: int = 0
    """0: never shrunk."""
    keep_end: bool = False
    keep_suffix: str = ""
    """A cut keeps what follows the last occurrence of this (` (`: the country after an
    organisation's name)."""


def fit(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Column widths: each as wide as its widest cell, then the shrinkable ones narrowed,
    the one with most to spare first, down to their minimums; on a screen narrower still,
    down to their headers. What cannot fit then wraps (`fold`) rather than vanish."""
    widths = [max([len(c.header)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    over = sum(widths) + len(GAP) * (len(widths) - 1) - width
    for floors in (
        [
            max(c.minimum, len(c.header)) if c.minimum else w
            for c, w in zip(columns, widths, strict=True)
        ],
        [len(c.header) if c.minimum else w for c, w in zip(columns, widths, strict=True)],
    ):
        while over > 0:
            # One character at a time off the column with the most to spare: a few hundred
            # steps at most, and the narrowing is shared fairly.
            spare = max(range(len(widths)), key=lambda i: widths[i] - floors[i])
            if widths[spare] <= floors[spare]:
                break
            widths[spare] -= 1
            over -= 1
    return widths


def row_text(cells: Sequence[str], widths: Sequence[int], columns: Sequence[Column]) -> list[str]:
    """Cells cut to their widths (the end kept where the column says), padded."""
    return [
        clip_left(text, w) if c.keep_end else clip_before(text, w, c.keep_suffix)
        for text, w, c in zip(cells, widths, columns, strict=True)
    ]


def clip_before(text: str, width: int, marker: str) -> str:
    """`clip`, but the part from the last `marker` on is kept whole when it leaves room
    (`Amazon.com, Inc. (Am… (US)`)."""
    at = text.rfind(marker) if marker else -1
    if len(text) <= width or at <= 0 or width - (len(text) - at) < 4:
        return clip(text, width)
    tail = text[at:]
    return clip(text[:at], width - len(tail)) + tail


def join(cells: Sequence[str], widths: Sequence[int], styles: Sequence[str | None],
         colour: bool) -> str:  # fmt: skip
    """One line: cells padded to their widths (padding outside the colour), two spaces apart."""
    padded = [
        paint(text, style, colour) + " " * (w - len(text))
        for text, w, style in zip(cells, widths, styles, strict=True)
    ]
    return GAP.join(padded).rstrip()


def wrap(text: str, width: int, indent: int = 0, hanging: int | None = None) -> list[str]:
    """`text` in lines of at most `width`, broken between words; a word longer than a whole
    line (a URL, a digest) is the only thing ever cut, since it could not fit anyway."""
    first = " " * indent
    rest = " " * (indent if hanging is None else hanging)
    room = width - max(len(first), len(rest))
    if room < 10:  # too narrow to indent: use the whole width
        first = rest = ""
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def fold(lines: Sequence[str], width: int) -> list[str]:
    """Lines past `width` wrapped between words, continued two spaces deeper than they
    began (headings, counts, lineage), so nothing runs off the screen."""
    out: list[str] = []
    for line in lines:
        if visible_len(line) <= width:
            out.append(line)
            continue
        plain = SGR.sub("", line)  # only our own rows are coloured, and they fit
        indent = len(plain) - len(plain.lstrip(" "))
        out += wrap(plain.lstrip(" "), width, indent, indent + 4)
    return out


SGR = re.compile(r"\x1b\[[0-9;]*m")
"""The colour codes `paint` adds."""


def visible_len(line: str) -> int:
    """What a line takes on screen: its length without colour codes."""
    return len(SGR.sub("", line)) if "\x1b" in line else len(line)


def pack(items: Sequence[str], width: int, sep: str = ", ", indent: int = 4) -> list[str]:
    """Items joined by `sep` on as few lines as fit in `width`, broken only between items
    (so `Alibaba Group 2 (2 models)` stays whole); continuation lines indented."""
    lines: list[str] = []
    line = ""
    for i, item in enumerate(items):
        piece = item + (sep.rstrip() if i < len(items) - 1 else "")
        if line and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = " " * indent + piece
        else:
            line = f"{line} {piece}" if line else piece
    return [*lines, line] if line else lines
