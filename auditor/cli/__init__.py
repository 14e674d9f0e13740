"""The command line: builds a Config, calls the pipeline, renders, maps errors to exit codes.

The only package that prints or exits. One module per command family:

- `scan`: `scan` and `check-models`;
- `views`: questions on a stored scan (`report`, `show`, `why`, `origins`, `graph`);
- `history`: many scans of one target (`history`, `diff`, `prune`);
- `admin`: the machinery (`db`, `cache`, `doctor`);
- `knowledge`: what findings are judged by (`rules`, `publishers`);
- `fleet`: many targets on Celery workers (`fleet submit`, `status`, `requeue`; `worker`);
- `portfolio`: questions across every target's latest scan;
- `options` and `common`: what the families share.

Heavy modules (SQLAlchemy, jinja2, the pipeline) are imported inside the commands that need
them: start-up time is most of a small scan's wall time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from typing import NoReturn

import click

from auditor import __version__
from auditor.cli import admin, fleet, history, knowledge, portfolio, scan, terminal, views
from auditor.cli.options import EXIT_INTERRUPTED


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("--verbose", "-v", is_flag=True, help="Log what each stage does.")
@click.option(
    "--no-color", is_flag=True, help="No colour, even on a terminal (NO_COLOR does the same)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress display on stderr.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: bool, no_color: bool, quiet: bool) -> None:
    """Origin Auditor: where does everything we run come from?"""
    ctx.obj = debug
    # Per invocation, in click's context (no module state): auditor.cli.terminal reads them.
    ctx.meta[terminal.NO_COLOR] = no_color
    ctx.meta[terminal.QUIET] = quiet
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    from auditor.redaction import RedactingFilter

    for handler in logging.getLogger().handlers:  # secrets never reach a log line
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


# One line per command, grouped by family; `auditor --help` lists them alphabetically.
COMMANDS: tuple[click.Command, ...] = (
    scan.scan,
    scan.check_models,
    views.report,
    views.show,
    views.why,
    views.origins,
    views.graph,
    history.history,
    history.diff,
    history.prune,
    admin.db,
    admin.cache,
    admin.doctor,
    knowledge.rules,
    knowledge.publishers,
    fleet.fleet,
    fleet.worker,
    portfolio.portfolio,
)
for _command in COMMANDS:
    cli.add_command(_command)


def _interrupt(signum: int, frame: object) -> None:
    _exit_interrupted()


def _exit_interrupted() -> NoReturn:
    # On a terminal "^C" (or the progress line) holds the cursor: start a fresh line.
    # The progress display hides the cursor; an exit from the handler skips its cleanup.
    start = "\x1b[?25h\n" if sys.stderr.isatty() else ""
    sys.stderr.write(f"{start}interrupted: a scan not saved yet was not stored\n")
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    # At once, from the handler: unwinding would wait for resolution workers sitting in a
    # slow request. The store stays consistent: a scan is saved in one transaction, which
    # SQLite (its journal) and PostgreSQL (the dropped connection) roll back.
    os._exit(EXIT_INTERRUPTED)


def main() -> None:
    """Console-script entry point."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt)
    cli(prog_name="auditor")
