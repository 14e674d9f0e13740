"""The command line: builds a Config, calls the pipeline, renders, maps errors to exit codes.

The only module that prints or exits. Heavy modules (SQLAlchemy, jinja2) are imported inside
the commands that need them: start-up time is most of a small scan's wall time.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from auditor import __version__
from auditor.config import Config, db_url
from auditor.errors import AuditorError
from auditor.model import Action, Scan, ScanStatus, Severity
from auditor.render import FORMAT_NAMES

EXIT_POLICY = 1
EXIT_UNUSABLE = 2
EXIT_PARTIAL = 3
SEVERITIES = tuple(s.value for s in Severity)

F = TypeVar("F", bound=Callable[..., object])


def _fail(exc: AuditorError, debug: bool) -> NoReturn:
    if debug:
        raise exc
    click.echo(f"error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"hint: {exc.hint}", err=True)
    sys.exit(exc.exit_code)


def _db_option(func: F) -> F:
    return click.option(
        "--db",
        "db",
        metavar="URL",
        help="SQLAlchemy URL of the scan store (default: AUDITOR_DB, else SQLite in the "
        "user data dir).",
    )(func)


def _output_options(func: F) -> F:
    func = click.option(
        "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
    )(func)
    return click.option(
        "--format", "-f", "fmt", type=click.Choice(FORMAT_NAMES), default="table", show_default=True
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("--verbose", "-v", is_flag=True, help="Log what each stage does.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: bool) -> None:
    """Origin Auditor: where does everything we run come from?"""
    ctx.obj = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@_output_options
@click.option("--offline", is_flag=True, help="Use only the local metadata cache.")
@click.option("--no-resolve", is_flag=True, help="Inventory only; look nothing up.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip matching paths (repeatable).")
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit 1 when an unwaived finding is at or above this severity.",
)
@click.option("--strict", is_flag=True, help="Exit 3 when the scan is partial.")
@click.option("--no-store", is_flag=True, help="Do not record the scan in the store.")
@_db_option
@click.pass_obj
def scan(
    debug: bool,
    targets: tuple[str, ...],
    fmt: str,
    output: Path | None,
    offline: bool,
    no_resolve: bool,
    exclude: tuple[str, ...],
    fail_on: str | None,
    strict: bool,
    no_store: bool,
    db: str | None,
) -> None:
    """Collect, resolve, evaluate and store TARGETS (lockfiles, directories, environments).

    A target's kind is detected; force it with a prefix: lockfile:PATH, dir:PATH, env:PATH.
    """
    from auditor.pipeline import run_scan

    config = Config(
        db_url=db_url(db, os.environ),
        offline=offline,
        no_resolve=no_resolve,
        excludes=exclude,
        fail_on=Severity(fail_on) if fail_on else None,
        strict=strict,
        store=not no_store,
    )
    try:
        result = run_scan(targets, config)
    except AuditorError as exc:
        _fail(exc, debug)
    store_error: AuditorError | None = None
    if config.store:
        try:
            _save(result, config.db_url)
        except AuditorError as exc:
            store_error = exc  # the report is still written: a store failure loses nothing
    _emit(result, fmt, output)
    if store_error is not None:
        _fail(store_error, debug)
    sys.exit(exit_code(result, config))


def _save(result: Scan, url: str | None) -> None:
    from auditor.store import open_store

    store = open_store(url)
    try:
        store.save_scan(result)
    finally:
        store.close()


def exit_code(result: Scan, config: Config) -> int:
    """1 for a policy failure, else 3 for a partial scan under --strict, else 0."""
    live = [f for f in result.findings if not f.waived]
    if any(f.action is Action.BLOCK for f in live) or (
        config.fail_on is not None and any(f.severity.rank >= config.fail_on.rank for f in live)
    ):
        return EXIT_POLICY
    if config.strict and result.status is not ScanStatus.COMPLETE:
        return EXIT_PARTIAL
    return 0


def _emit(result: Scan, fmt: str, output: Path | None) -> None:
    from auditor.render import renderer

    text = renderer(fmt).render(result)
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(
        f"scan {result.id}: {result.status.value}, {len(result.components)} components, "
        f"{len(result.findings)} findings, {len(result.diagnostics)} diagnostics; "
        f"{fmt} written to {output}",
        err=True,
    )


@cli.command()
@click.argument("scan_id")
@_output_options
@_db_option
@click.pass_obj
def report(debug: bool, scan_id: str, fmt: str, output: Path | None, db: str | None) -> None:
    """Render a stored scan (SCAN_ID or a unique prefix of it)."""
    from auditor.store import open_store

    try:
        store = open_store(db_url(db, os.environ))
        try:
            stored = store.load_scan(scan_id)
        finally:
            store.close()
        _emit(stored, fmt, output)
    except AuditorError as exc:
        _fail(exc, debug)


@cli.group()
def db() -> None:
    """The scan store."""


@db.command("upgrade")
@_db_option
@click.pass_obj
def db_upgrade(debug: bool, db: str | None) -> None:
    """Create the schema or apply pending migrations."""
    from auditor.store import upgrade

    try:
        revision = upgrade(db_url(db, os.environ))
    except AuditorError as exc:
        _fail(exc, debug)
    click.echo(f"schema at revision {revision}")


@cli.group()
def rules() -> None:
    """The rules findings come from."""


@rules.command("list")
@click.pass_obj
def rules_list(debug: bool) -> None:
    """Every built-in rule with its default severity and action."""
    from auditor.policy.builtin import builtin_rules

    try:
        for r in builtin_rules():
            click.echo(f"{r.id:28} {r.severity.value:8} {r.action.value:6} {r.description}")
    except AuditorError as exc:
        _fail(exc, debug)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="auditor")
