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
    directory), `--policy` laid over it, every pack read and checked."""
    from auditor.config import discover_policy_file
    from auditor.policy.engine import load_policy
    from auditor.policy.settings import load_settings

    found = discover_policy_file(targets, Path.cwd())
    return load_policy(load_settings(found, flag))


def load_scan(scan_id: str, db: str | None, detail: bool = True) -> Scan:
    """A stored scan (see Store.load_scan for `detail`); AuditorError when it cannot be."""
    from auditor.store import open_store

    with open_store(db_url(db, os.environ)) as store:
        return store.load_scan(scan_id, detail)


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
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        if output is None:  # nothing more can reach it; spare Python's exit-time flush
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
        raise OutputError(f"{where}: cannot write: {exc.strerror or exc}") from None


def emit(result: Scan, fmt: str, output: Path | None) -> None:
    from auditor.render import renderer

    put(renderer(fmt).render(result), output)
    if output is not None:
        click.echo(
            f"scan {result.id}: {result.status.value}, {len(result.components)} components, "
            f"{len(result.findings)} findings, {len(result.diagnostics)} diagnostics; "
            f"{fmt} written to {output}",
            err=True,
        )
