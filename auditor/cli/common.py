"""Helpers several command families use: the policy in effect, a stored scan, writing text."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.config import db_url

if TYPE_CHECKING:
    from auditor.model import Scan
    from auditor.policy.engine import Policy
    from auditor.store import Store


def effective_policy(targets: tuple[str, ...], flag: Path | None) -> Policy:
    """The policy in effect: configuration discovered near the target (or the working
    directory); with an explicit policy (`--policy`, else AUDITOR_POLICY) that one, which
    the discovered file may only tighten. Every pack read and checked; what a target's file
    was refused is printed to stderr."""
    from auditor.config import discover_policy_file
    from auditor.escape import terminal
    from auditor.policy.engine import load_policy
    from auditor.policy.precedence import explicit_policy, lowered, settings_in_effect

    found = discover_policy_file(targets, Path.cwd())
    policy = load_policy(settings_in_effect(found, explicit_policy(flag, os.environ)))
    for note in (*policy.settings.refused, *lowered(policy)):
        echo(f"note: {terminal(note)}", err=True)
    return policy


def load_scan(scan_id: str, db: str | None, detail: bool = True) -> Scan:
    """A stored scan (see Store.load_scan for `detail`); AuditorError when it cannot be."""
    from auditor.store import open_store

    with open_store(db_url(db, os.environ)) as store:
        return store.load_scan(scan_id, detail)


def echo(text: str, err: bool = False, nl: bool = True) -> None:
    """Print text that carries metadata: through `escape.terminal_lines`, the last word on
    what reaches a terminal or a CI log (no control sequences, no workflow commands)."""
    from auditor.escape import terminal_lines

    click.echo(terminal_lines(text), err=err, nl=nl)


def history_scan(store: Store, scan_id: str) -> Scan:
    """A stored scan to compare with (diff, --notify, changed origins): without the detail
    diffs never read, except the locations that tell a many-target scan's targets apart
    (`auditor.target_history.for_target`)."""
    found = store.load_scan(scan_id, detail=False)
    return found if len(found.targets) <= 1 else store.load_scan(scan_id, detail=True)


def write_text(text: str, output: Path | None, what: str) -> None:
    """`text` to stdout or to `output` (its missing parent folders created); OutputError
    naming the file when it cannot be written."""
    put(text, output)
    if output is not None:
        click.echo(f"{what} written to {output}", err=True)


def put(text: str, output: Path | None) -> None:
    """Write `text` to `output`, or stdout when None; OutputError naming where it failed."""
    from auditor.errors import OutputError

    where = "stdout" if output is None else str(output)
    try:
        if output is None:  # a terminal or a CI log: no control sequences, no workflow commands
            from auditor.escape import terminal_lines

            sys.stdout.write(terminal_lines(text))
            sys.stdout.flush()
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        if output is None:  # nothing more can reach it; spare Python's exit-time flush
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
        raise OutputError(f"{where}: cannot write: {exc.strerror or exc}") from None


def emit(result: Scan, fmt: str, output: Path | None, min_severity: str = "low") -> None:
    from auditor.model import Severity
    from auditor.render import renderer

    put(renderer(fmt, Severity(min_severity)).render(result), output)
    if output is not None:
        click.echo(
            f"scan {result.id}: {result.status.value}, {len(result.components)} components, "
            f"{len(result.findings)} findings, {len(result.diagnostics)} diagnostics; "
            f"{fmt} written to {output}",
            err=True,
        )
