"""What the screen gets: the width the table is laid out for, whether it is coloured, and the
progress display on stderr.

Decisions (README, "Reading the terminal output"):
- Width: `shutil.get_terminal_size`, i.e. COLUMNS when set, else the terminal's width, else
  80 when stdout is not a terminal (a pipe, a CI log, a file): 80 columns read everywhere.
  Never below 40, where no layout is readable.
- Colour: only on a terminal, never with `--no-color`, NO_COLOR set to anything non-empty
  (no-color.org) or TERM=dumb, never in a file written with `-o`.
- Progress: on stderr when it is a terminal, unless `--quiet`; rich draws it (imported
  only then: a piped scan never loads it).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from auditor.progress import NULL_PROGRESS, Progress, Stage

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import Task, TaskID
    from rich.text import Text

NO_COLOR = "auditor.no_color"
QUIET = "auditor.quiet"
"""Keys of the top-level flags in click's per-invocation `Context.meta`."""
MIN_WIDTH = 40


@dataclass(frozen=True, slots=True)
class Screen:
    """How one command's output is laid out."""

    width: int
    colour: bool


def _flag(key: str) -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(key))


def colour_allowed() -> bool:
    """No `--no-color`, no NO_COLOR, no dumb terminal (the stream is checked apart)."""
    return not (_flag(NO_COLOR) or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb")


def screen(to_file: bool = False) -> Screen:
    """The layout for stdout (or for a file written with `-o`: 80 columns or COLUMNS, plain)."""
    if to_file:
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() else 80
        return Screen(max(MIN_WIDTH, width), colour=False)
    width = shutil.get_terminal_size((80, 24)).columns
    return Screen(max(MIN_WIDTH, width), colour=colour_allowed() and _isatty(sys.stdout))


_TOML_LINE = re.compile(r"\s*(?:\[\[\w+\]\]|[a-z_]+ = )")


def fit_lines(text: str, width: int) -> str:
    """`text` with each line longer than `width` wrapped between words, its continuation
    indented four more than the line: the policy explanation on stderr reads at 80 columns.
    TOML lines (the waiver to paste) are never wrapped: pasted, they must still parse; nor
    are lines of two words."""
    import textwrap

    out: list[str] = []
    for line in text.split("\n"):
        # A label and an identifier (`model.unvetted  pkg:…`) stay together: moving the
        # identifier down a line would not make it fit.
        if len(line) <= width or _TOML_LINE.match(line) or len(line.split()) <= 2:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        out.extend(
            textwrap.wrap(
                line,
                width,
                subsequent_indent=indent + "    ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [line]
        )
    return "\n".join(out)


def for_stderr(text: str) -> str:
    """`text` for stderr: wrapped to the screen (`fit_lines`) on a terminal; one line per
    item when piped or logged, where a grep for a message must find it whole."""
    return fit_lines(text, screen().width) if _isatty(sys.stderr) else text


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def progress_wanted() -> bool:
    """Progress is drawn on a terminal's stderr, unless `--quiet`."""
    return not _flag(QUIET) and _isatty(sys.stderr)


@contextmanager
def progress_display() -> Iterator[Progress]:
    """A Progress drawing on stderr while the block runs, when wanted; else the silent one.
    The display is transient: once the block ends only the output remains."""
    if not progress_wanted():
        yield NULL_PROGRESS
        return
    from rich.console import Console
    from rich.progress import BarColumn, SpinnerColumn, TextColumn
    from rich.progress import Progress as RichProgress

    console = Console(stderr=True, no_color=not colour_allowed(), highlight=False)
    shown = RichProgress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(bar_width=20),
        _count_column(),
        console=console,
        transient=True,
        refresh_per_second=8,
    )
    with shown:
        yield _Terminal(shown)


def _count_column() -> Any:
    """`120/300 components  41/s` or `1.2/4.0 GB  300 MB/s`: counts and rate."""
    from rich.filesize import decimal
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Count(ProgressColumn):
        def render(self, task: Task) -> Text:
            unit = str(task.fields.get("unit", ""))
            speed = task.finished_speed or task.speed
            if unit == "bytes":
                done = decimal(int(task.completed))
                total = f"/{decimal(int(task.total))}" if task.total else ""
                rate = f"  {decimal(int(speed))}/s" if speed else ""
                return Text(f"{done}{total}{rate}")
            total = f"/{int(task.total)}" if task.total is not None else ""
            rate = f"  {speed:,.0f}/s" if speed else ""
            return Text(f"{int(task.completed):,}{total} {unit}{rate}")

    return Count()


class _Terminal(Progress):
    """Stages as rich tasks, each removed when it ends."""

    def __init__(self, shown: RichProgress) -> None:
        self._shown = shown

    def stage(self, label: str, total: int | None = None, unit: str = "files") -> Stage:
        from auditor.escape import terminal

        # A label names a target as typed: escaped like any text reaching the terminal.
        task = self._shown.add_task(terminal(label), total=total, unit=unit)
        return _TerminalStage(self._shown, task)


class _TerminalStage(Stage):
    def __init__(self, shown: RichProgress, task: TaskID) -> None:
        self._shown = shown
        self._task = task

    def advance(self, amount: int = 1) -> None:
        """rich's task updates take its lock: safe from hashing threads."""
        self._shown.advance(self._task, amount)

    def total(self, total: int) -> None:
        self._shown.update(self._task, total=total)

    def close(self) -> None:
        # Drawn once more with its final count and rate, so even a stage shorter than a
        # refresh is seen, then removed: the display holds only what is under way.
        self._shown.refresh()
        self._shown.remove_task(self._task)
