"""The command line: builds a Config, calls the pipeline, renders, maps errors to exit codes.

The only package that prints or exits. One module per command family:

- `scan`: `scan` and `check-models`;
- `views`: questions on a stored scan (`report`, `show`, `why`, `origins`, `graph`);
- `history`: many scans of one target (`history`, `diff`, `prune`);
- `admin`: the machinery (`db`, `cache`, `doctor`);
- `knowledge`: what findings are judged by (`rules`, `publishers`, `screening`);
- `fleet`: many targets on Celery workers (`fleet submit`, `status`, `requeue`; `worker`);
- `portfolio`: questions across every target's latest scan;
- `rescreen`: stored scans judged again against today's knowledge base and lists;
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
from auditor.cli import (
    admin,
    fleet,
    history,
    knowledge,
    portfolio,
    rescreen,
    scan,
    terminal,
    views,
)
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
    rescreen.rescreen,
    admin.db,
    admin.cache,
    admin.doctor,
    knowledge.rules,
    knowledge.publishers,
    knowledge.screening,
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
    try:
        cli(prog_name="auditor")
    except SystemExit as done:
        _exit_now(done)


def _exit_now(done: SystemExit) -> NoReturn:
    """Exit with `done`'s status without tearing the interpreter down.

    Freeing every object of a large scan one by one at exit is work nobody waits for:
    ~0.1 s of a warm 680-package rescan (mypy exits the same way). The exit handlers still
    run (logging, temporary folders' finalizers) and the streams are flushed; while another
    non-daemon thread runs (a store still opening), the ordinary exit waits for it.
    """
    import atexit

    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.current_thread()):  # fmt: skip
        raise done
    code = done.code
    if code is not None and not isinstance(code, int):
        sys.stderr.write(f"{code}\n")  # what the interpreter prints for sys.exit("message")
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code or 0)
