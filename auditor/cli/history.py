"""Many scans of one target over time: `history`, `diff`, `prune` (auditor/diff.py).

`--notify` on a scan sends the same diff; it lives with `scan`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.cli.common import echo, history_scan, scan_reference, target_identity, write_text
from auditor.cli.options import db_option, fail
from auditor.config import db_url
from auditor.errors import AuditorError
from auditor.escape import terminal

if TYPE_CHECKING:
    from auditor.model import Scan
    from auditor.store import Store

DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@click.command()
@click.option("--target", metavar="TARGET", help="Only scans of this path or target identity.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json")), default="table")
@db_option
@click.pass_obj
def history(debug: bool, target: str | None, limit: int | None, fmt: str, db: str | None) -> None:
    """Stored scans, newest first: id, start time, status, counts, targets."""
    from auditor.diff_render import history_json, history_table
    from auditor.store import open_store

    try:
        with open_store(db_url(db, os.environ)) as store:
            identity = target_identity(store, target) if target is not None else None
            summaries = store.list_scans(identity, limit)
    except AuditorError as exc:
        fail(exc, debug)
    echo((history_json if fmt == "json" else history_table)(summaries), nl=False)


@click.command()
@click.argument("scans", nargs=-1)
@click.option("--since-last", metavar="TARGET", help="Diff the last two scans of TARGET.")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(("table", "json", "markdown")), default="table"
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.pass_obj
def diff(
    debug: bool,
    scans: tuple[str, ...],
    since_last: str | None,
    fmt: str,
    output: Path | None,
    db: str | None,
) -> None:
    """What changed from scan A to scan B (ids or prefixes), or in the last scan of a target:
    components added, removed, upgraded, downgraded; origin changes (takeover signals);
    new and resolved findings."""
    from auditor.diff import diff_scans
    from auditor.diff_render import render_diff
    from auditor.errors import UsageError
    from auditor.store import open_store

    try:
        if (since_last is None) == (len(scans) != 2):
            raise UsageError(
                "diff: give two scan ids, or --since-last TARGET",
                hint="auditor diff A B  |  auditor diff --since-last TARGET",
            )
        with open_store(db_url(db, os.environ)) as store:
            if since_last is None:
                old, new = (store.load_scan(scan_reference(store, s), detail=False) for s in scans)
            else:
                old, new = _last_two(store, target_identity(store, since_last))
    except AuditorError as exc:
        fail(exc, debug)
    try:
        write_text(render_diff(diff_scans(old, new), fmt) + _evaluations(old, new, fmt), output,
                   f"{fmt} diff")  # fmt: skip
    except AuditorError as exc:
        fail(exc, debug)


def _evaluations(old: Scan, new: Scan, fmt: str) -> str:
    """Which evaluation each side is when one was re-screened (`auditor rescreen`): the
    table and Markdown say it below the diff (the JSON diff compares findings only)."""
    from auditor.escape import markdown

    said = [f"{side}: {s.evaluation.describe(s.id)}" for side, s in (("from", old), ("to", new))
            if s.evaluation is not None and s.evaluation.rescreened]  # fmt: skip
    if not said or fmt == "json":
        return ""
    if fmt == "markdown":
        return "\n" + "".join(f"_{markdown(line)}_\n" for line in said)
    from auditor.cli.terminal import fit_lines, screen

    width = screen(to_file=True).width
    return "\n" + "".join(f"{fit_lines(terminal(line), width)}\n" for line in said)


def _last_two(store: Store, identity: str) -> tuple[Scan, Scan]:
    """The last two scans of one target identity, each narrowed to that target (a scan of
    several targets holds the others' components too)."""
    from auditor.errors import UsageError
    from auditor.target_history import for_target

    ids = [s.id for s in store.list_scans(identity, 2)]
    if len(ids) < 2:
        raise UsageError(
            f"{identity}: only one stored scan, nothing to compare",
            hint="scan it again, then diff",
        )
    old, new = (for_target(history_scan(store, i), identity) for i in (ids[1], ids[0]))
    assert old is not None and new is not None  # list_scans chose them by this identity
    return old, new


def parse_duration(text: str) -> float:
    """Seconds in `30d`, `12h`, `90m`, `2w`; UsageError otherwise."""
    from auditor.errors import UsageError

    number, unit = text[:-1], text[-1:]
    if unit not in DURATION_UNITS or not number.isdigit():
        raise UsageError(
            f"--older-than {text}: not a duration", hint="use a whole number and m, h, d or w"
        )
    return int(number) * DURATION_UNITS[unit]


@click.command()
@click.option("--keep-last", type=click.IntRange(min=0), help="Keep the N newest per target.")
@click.option("--older-than", metavar="DURATION", help="Delete scans older than 30d, 12h, 2w…")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@db_option
@click.pass_obj
def prune(
    debug: bool, keep_last: int | None, older_than: str | None, dry_run: bool, db: str | None
) -> None:
    """Delete old scans with everything they hold (target identities stay).

    Both options given: a scan goes only when both say so.
    """
    from datetime import UTC, datetime, timedelta

    from auditor.errors import UsageError
    from auditor.store import open_store

    try:
        if keep_last is None and older_than is None:
            raise UsageError("prune: nothing selected", hint="give --keep-last N or --older-than")
        cutoff = None
        if older_than is not None:
            cutoff = datetime.now(UTC) - timedelta(seconds=parse_duration(older_than))
        with open_store(db_url(db, os.environ)) as store:
            gone = store.prune(keep_last, cutoff, dry_run)
    except AuditorError as exc:
        fail(exc, debug)
    verb = "would delete" if dry_run else "deleted"
    for s in gone:
        echo(f"{verb} {s.id}  {s.started_at}  {terminal(', '.join(s.targets))}")
    click.echo(f"{verb} {len(gone)} scans", err=True)
