"""`portfolio origins|where|findings|trend|report`: questions across every target's latest
scan (or the latest as of a date), answered from the indexed store."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from auditor.cli.common import echo, write_text
from auditor.cli.options import db_option, fail
from auditor.config import db_url
from auditor.errors import AuditorError

F = TypeVar("F", bound=Callable[..., Any])
FACETS = ("country", "organisation", "lineage-root-organisation")


_ULTIMATE_HELP = (
    "With --by organisation: count each organisation under the top of its `parent` chain in "
    "the knowledge base (Volcengine under ByteDance)."
)


def _facet(by: str, ultimate: bool) -> str:
    """The stored roll-up facet `--by BY [--ultimate]` reads."""
    from auditor.errors import UsageError
    from auditor.portfolio import ULTIMATE

    if not ultimate:
        return by
    if by != "organisation":
        raise UsageError(f"--ultimate rolls up organisations; it needs --by organisation, not {by}")
    return ULTIMATE


def _common(func: F) -> F:
    func = db_option(func)
    func = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))(func)
    func = click.option(
        "--as-of", metavar="DATE",
        help="Answer from each target's latest scan at DATE (YYYY-MM-DD or ISO 8601) instead "
        "of now.",
    )(func)  # fmt: skip
    return click.option(
        "--format", "-f", "fmt", type=click.Choice(("table", "markdown", "json")),
        default="table", show_default=True,
    )(func)  # fmt: skip


def _notice(text: str) -> None:
    echo(f"note: {text}", err=True)


@click.group()
def portfolio() -> None:
    """Questions across every target: the latest scan of each (or as of a date)."""


@portfolio.command()
@click.option("--by", type=click.Choice(FACETS), default="country", show_default=True)
@click.option("--ultimate", is_flag=True, help=_ULTIMATE_HELP)
@_common
@click.pass_obj
def origins(
    debug: bool,
    by: str,
    ultimate: bool,
    fmt: str,
    as_of: str | None,
    output: Path | None,
    db: str | None,
) -> None:
    """Components of every target by country, organisation, or (models) the organisation of
    their lineage roots: the same answer as `auditor origins`, summed over targets."""
    from auditor.portfolio import queries, render
    from auditor.portfolio.answer import parse_as_of, portfolio

    try:
        by = _facet(by, ultimate)
        when = parse_as_of(as_of)
        with portfolio(db_url(db, os.environ), when, _notice) as access, access.begin() as conn:
            targets = len(queries.latest(conn, when))
            groups = queries.origins(conn, by, when)
        write_text(render.origins(groups, by, targets, when, fmt), output, "portfolio origins")
    except AuditorError as exc:
        fail(exc, debug)


@portfolio.command()
@click.argument("pattern")
@_common
@click.pass_obj
def where(
    debug: bool, pattern: str, fmt: str, as_of: str | None, output: Path | None, db: str | None
) -> None:
    """Every target and path holding PATTERN: a purl (any version unless @VERSION is given;
    * matches anything, e.g. 'pkg:huggingface/Qwen/*') or a bare package name."""
    from auditor.portfolio import queries, render
    from auditor.portfolio.answer import parse_as_of, portfolio

    try:
        if not pattern.strip() or pattern.strip("*") == "":
            from auditor.errors import UsageError

            raise UsageError(f"{pattern!r}: too broad", hint="name a purl or a package")
        when = parse_as_of(as_of)
        with portfolio(db_url(db, os.environ), when, _notice) as access, access.begin() as conn:
            targets = len(queries.latest(conn, when))
            hits, more = queries.where(conn, pattern, when)
        text = render.where(pattern, hits, more, targets, when, fmt)
        write_text(text, output, "portfolio where")
    except AuditorError as exc:
        fail(exc, debug)


@portfolio.command()
@click.option("--rule", "rule", required=True, metavar="RULE", help="Rule id (* wildcards).")
@_common
@click.pass_obj
def findings(
    debug: bool, rule: str, fmt: str, as_of: str | None, output: Path | None, db: str | None
) -> None:
    """Findings of one rule in every target's latest scan."""
    from auditor.portfolio import queries, render
    from auditor.portfolio.answer import parse_as_of, portfolio

    try:
        when = parse_as_of(as_of)
        with portfolio(db_url(db, os.environ), when, _notice) as access, access.begin() as conn:
            targets = len(queries.latest(conn, when))
            hits = queries.findings(conn, rule, when)
        write_text(render.findings(rule, hits, targets, when, fmt), output, "portfolio findings")
    except AuditorError as exc:
        fail(exc, debug)


@portfolio.command()
@click.option("--by", type=click.Choice(FACETS), default="country", show_default=True)
@click.option("--since", default="90d", show_default=True, metavar="AGE",
              help="How far back: days (90d), weeks (12w) or hours (48h).")  # fmt: skip
@click.option("--points", type=click.IntRange(1, 60), default=6, show_default=True,
              help="Intervals between then and now (points = this + 1).")  # fmt: skip
@click.option("--ultimate", is_flag=True, help=_ULTIMATE_HELP)
@click.option(
    "--format", "-f", "fmt", type=click.Choice(("table", "markdown", "json")),
    default="table", show_default=True,
)  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.pass_obj
def trend(
    debug: bool,
    by: str,
    since: str,
    points: int,
    ultimate: bool,
    fmt: str,
    output: Path | None,
    db: str | None,
) -> None:
    """How the origin mix changed: the portfolio's origins at evenly spaced dates from
    --since ago to now, each from every target's latest scan at that date."""
    from auditor.portfolio import queries, render
    from auditor.portfolio.answer import parse_age, portfolio

    try:
        by = _facet(by, ultimate)
        now = queries.now()
        at = queries.trend_points(now - parse_age(since), now, points)
        with portfolio(db_url(db, os.environ), None, _notice) as access:
            from auditor.portfolio.answer import index_latest

            series = []
            for when in at:
                index_latest(access, when, _notice)
                with access.begin() as conn:
                    n = len(queries.latest(conn, when))
                    series.append((when, n, queries.origins(conn, by, when)))
        write_text(render.trend(by, series, fmt), output, "portfolio trend")
    except AuditorError as exc:
        fail(exc, debug)


@portfolio.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write.")  # fmt: skip
@click.option("--as-of", metavar="DATE", help="Each target's latest scan at DATE.")
@db_option
@click.pass_obj
def report(debug: bool, output: Path, as_of: str | None, db: str | None) -> None:
    """A self-contained HTML page: every target's row and the roll-ups across targets."""
    from auditor.portfolio import html, queries
    from auditor.portfolio.answer import parse_as_of, portfolio

    try:
        when = parse_as_of(as_of)
        with portfolio(db_url(db, os.environ), when, _notice) as access, access.begin() as conn:
            data = html.gather(conn, when)
        write_text(html.render(data, when, queries.now()), output, "portfolio report")
    except AuditorError as exc:
        fail(exc, debug)
