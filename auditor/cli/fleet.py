"""`fleet submit`, `fleet status`, `fleet requeue` and `worker`: scanning many targets on
Celery workers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.cli.common import echo, write_text
from auditor.cli.options import db_option, fail
from auditor.config import db_url
from auditor.errors import AuditorError
from auditor.fleet import QUEUE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from auditor.fleet.sources import Sources
    from auditor.fleet.state import JobTarget

BROKER_HELP = "Celery broker URL (default: AUDITOR_BROKER_URL, else redis://127.0.0.1:6379/0)."
QUEUE_HELP = "Broker queue (default: auditor-scans); fleets sharing a broker use their own."
SOURCE_HELP = (
    "URL prefix lockfile URLs may be fetched from (repeat; added to AUDITOR_FLEET_SOURCES)."
)


@click.group()
def fleet() -> None:
    """Scan many targets on workers (`auditor worker`) and follow them."""


@fleet.command()
@click.argument("targets_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--broker", metavar="URL", help=BROKER_HELP)
@click.option("--queue", metavar="NAME", default=QUEUE, help=QUEUE_HELP)
@click.option("--allow-source", "allow_sources", metavar="URL_PREFIX", multiple=True,
              help=SOURCE_HELP)  # fmt: skip
@db_option
@click.pass_obj
def submit(
    debug: bool,
    targets_file: Path,
    broker: str | None,
    queue: str,
    allow_sources: tuple[str, ...],
    db: str | None,
) -> None:
    """Queue one scan per line of TARGETS_FILE (paths, kind:PATH, or lockfile URLs under a
    configured source; # comments) for the workers; prints the job id. Relative paths are
    taken from the file's folder."""
    from auditor.fleet import broker_url
    from auditor.fleet.sources import configured_sources, is_url
    from auditor.fleet.state import new_job_id
    from auditor.fleet.submit import submit as send
    from auditor.fleet.targets import read_targets

    try:
        sources = configured_sources(allow_sources)
        lines = read_targets(targets_file, sources)
        job_id = new_job_id()
        sent = send(broker_url(broker), db_url(db, os.environ), job_id, lines, queue)
    except AuditorError as exc:
        fail(exc, debug)
    _warn_plain_http(sources)
    for line in lines:
        if is_url(line.target):
            if line.credentials_stripped:
                echo(f"warning: {targets_file}:{line.number}: credentials left out of the URL "
                     "(never stored); workers authenticate from their netrc", err=True)  # fmt: skip
            continue
        _, sep, rest = line.target.partition(":")
        path = rest if sep and not os.path.isabs(line.target) else line.target
        if path and not os.path.exists(path):
            echo(f"warning: {targets_file}:{line.number}: {line.target}: not found on this "
                 "machine (a worker will report it unless it can read it)", err=True)  # fmt: skip
    echo(f"job {job_id}: {sent} targets queued", err=True)
    click.echo(job_id)


LIMIT_HELP = "The workers' --time-limit: past it (and a margin) a running target is stale."


@fleet.command()
@click.argument("job", required=False)
@click.option("--jobs", "list_jobs", is_flag=True, help="List the newest jobs instead.")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(("table", "json")), default="table",
    show_default=True,
)  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--broker", metavar="URL", help=BROKER_HELP + " Asked whether workers answer.")
@click.option("--time-limit", type=click.IntRange(10), default=3600, show_default=True,
              metavar="SECONDS", help=LIMIT_HELP)  # fmt: skip
@db_option
@click.pass_obj
def status(
    debug: bool,
    job: str | None,
    list_jobs: bool,
    fmt: str,
    output: Path | None,
    broker: str | None,
    time_limit: int,
    db: str | None,
) -> None:
    """Queued, running, stale, done and failed targets of JOB (an id or prefix; default: the
    newest job), from the store: it answers on any machine that reaches it. A running target
    is stale when its worker does not answer on the broker, or it started longer ago than
    the time limit allows: `fleet requeue --stale` sends it again."""
    from auditor.cli.terminal import screen
    from auditor.fleet import broker_url
    from auditor.fleet.state import open_fleet
    from auditor.fleet.status_render import jobs_table, status_json, status_table

    try:
        with open_fleet(db_url(db, os.environ)) as fleet_store:
            if list_jobs:
                write_text(jobs_table(fleet_store.jobs()), output, "jobs")
                return
            job_id = fleet_store.resolve_job(job)
            rows = fleet_store.job(job_id) if job_id is not None else ()
        if job_id is None:
            echo("no fleet jobs yet: `auditor fleet submit TARGETS_FILE`", err=True)
            return
        stale, note = _stale(rows, broker_url(broker), time_limit)
        if fmt == "json":
            text = status_json(job_id, rows, stale)
        else:
            width = screen(to_file=output is not None).width
            text = status_table(job_id, rows, stale, width, note)
        write_text(text, output, "status")
    except AuditorError as exc:
        fail(exc, debug)


@fleet.command()
@click.argument("job", required=False)
@click.option("--stale", "stale_only", is_flag=True,
              help="Requeue the targets whose worker is gone (see `fleet status`).")  # fmt: skip
@click.option("--broker", metavar="URL", help=BROKER_HELP)
@click.option("--queue", metavar="NAME", default=QUEUE, help=QUEUE_HELP)
@click.option("--time-limit", type=click.IntRange(10), default=3600, show_default=True,
              metavar="SECONDS", help=LIMIT_HELP)  # fmt: skip
@db_option
@click.pass_obj
def requeue(
    debug: bool,
    job: str | None,
    stale_only: bool,
    broker: str | None,
    queue: str,
    time_limit: int,
    db: str | None,
) -> None:
    """Send the stale targets of JOB (default: the newest job) to the workers again. Safe to
    repeat, and safe if the dead worker's task comes back later: a target's scan is recorded
    once, whichever delivery finishes first."""
    from auditor.errors import UsageError
    from auditor.fleet import broker_url
    from auditor.fleet.state import open_fleet
    from auditor.fleet.submit import requeue as send_again

    try:
        if not stale_only:
            raise UsageError("say what to requeue", hint="`auditor fleet requeue --stale [JOB]`")
        url = broker_url(broker)
        with open_fleet(db_url(db, os.environ)) as fleet_store:
            job_id = fleet_store.resolve_job(job)
            if job_id is None:
                echo("no fleet jobs yet: `auditor fleet submit TARGETS_FILE`", err=True)
                return
            rows = fleet_store.job(job_id)
            stale, note = _stale(rows, url, time_limit)
            if note:
                echo(f"note: {note}", err=True)
            chosen = [(r, stale[r.position]) for r in rows if r.position in stale]
            again = send_again(url, fleet_store, chosen, queue) if chosen else []
    except AuditorError as exc:
        fail(exc, debug)
    for row in again:
        echo(f"requeued: {row.target} ({stale[row.position]})", err=True)
    moved = len(chosen) - len(again)
    echo(f"job {job_id}: {len(again)} stale target(s) sent again"
         + (f"; {moved} moved meanwhile, left as they are" if moved else ""), err=True)  # fmt: skip


def _stale(
    rows: Sequence[JobTarget], broker: str, time_limit: int
) -> tuple[dict[int, str], str | None]:
    """The stale rows (position: why) and a note when the broker could not be asked."""
    from datetime import UTC, datetime

    from auditor.fleet.liveness import ask_workers, stale_reasons

    liveness = ask_workers(broker, rows)
    note = None
    if liveness.unasked is not None:
        note = (
            f"{liveness.unasked}: workers not asked, a running target is stale only once past "
            "the time limit"
        )
    return stale_reasons(rows, datetime.now(UTC), time_limit, liveness), note


@click.command()
@click.option("--broker", metavar="URL", help=BROKER_HELP)
@click.option("--queue", metavar="NAME", default=QUEUE, help=QUEUE_HELP)
@db_option
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
    help="Targets scanned at once (worker processes).",
)  # fmt: skip
@click.option(
    "--time-limit", type=click.IntRange(10), default=3600, show_default=True, metavar="SECONDS",
    help="Per target: past it the target is recorded as failed.",
)  # fmt: skip
@click.option("--offline", is_flag=True, help="Use only the metadata cache in the store.")
@click.option("--no-resolve", is_flag=True, help="Inventory only; look nothing up.")
@click.option("--pypi-url", metavar="URL", help="PyPI base URL (default as for `scan`).")
@click.option("--npm-registry", metavar="URL", help="npm registry URL (default as for `scan`).")
@click.option("--allow-source", "allow_sources", metavar="URL_PREFIX", multiple=True,
              help=SOURCE_HELP)  # fmt: skip
@click.pass_obj
def worker(
    debug: bool,
    broker: str | None,
    queue: str,
    db: str | None,
    concurrency: int,
    time_limit: int,
    offline: bool,
    no_resolve: bool,
    pypi_url: str | None,
    npm_registry: str | None,
    allow_sources: tuple[str, ...],
) -> None:
    """Run a Celery worker: scan the targets `fleet submit` queues, as `auditor scan` does,
    into the shared store (--db; PostgreSQL for a fleet). Stop it with Ctrl-C."""
    import logging

    from auditor.fleet import broker_url
    from auditor.fleet.app import make_app
    from auditor.fleet.sources import configured_sources
    from auditor.fleet.work import WorkerSettings

    try:
        from auditor.fleet.state import open_fleet

        settings = WorkerSettings(
            db_url=db_url(db, os.environ),
            offline=offline,
            no_resolve=no_resolve,
            pypi_url=pypi_url,
            npm_registry=npm_registry,
            time_limit=time_limit,
            sources=configured_sources(allow_sources),
        )

        open_fleet(settings.db_url).__exit__(None, None, None)  # migrated before any task
        app = make_app(broker_url(broker), settings)
    except AuditorError as exc:
        fail(exc, debug)
    _warn_plain_http(settings.sources)
    for name in ("auditor.fleet", "celery.worker.strategy", "celery.app.trace"):
        logging.getLogger(name).setLevel(logging.INFO)
    app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--queues={queue}",
            f"--hostname=auditor-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            f"--loglevel={'DEBUG' if debug else 'INFO'}",
        ]
    )


def _warn_plain_http(sources: Sources) -> None:
    from auditor.fleet.sources import plain_http

    for prefix in plain_http(sources):
        echo(f"warning: source {prefix} is plain HTTP: a lockfile fetched from it can be "
             "altered on the way", err=True)  # fmt: skip
