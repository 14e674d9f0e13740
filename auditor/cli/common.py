"""Helpers several command families use: the policy in effect, a stored scan, writing text."""

from __future__ import annotations

import os
import re
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
    """A stored scan (see Store.load_scan for `detail`; `scan_id` as `scan_reference`
    reads it); AuditorError when it cannot be."""
    from auditor.store import open_store

    with open_store(db_url(db, os.environ)) as store:
        return store.load_scan(scan_reference(store, scan_id), detail)


LATEST = "latest"


def scan_reference(store: Store, given: str) -> str:
    """The scan id (or unique prefix) that `given` names: itself, or for `latest` the newest
    stored scan and for `latest:TARGET` the newest scan of that target (a path, optionally
    `kind:`-prefixed, or a target identity). UsageError (exit 2) when there is none. Scan
    ids are hexadecimal, so neither word can be a prefix of one."""
    from auditor.errors import UsageError

    if given == LATEST:
        newest = store.list_scans(None, 1)
        if not newest:
            raise UsageError("latest: no stored scans", hint="run `auditor scan TARGET` first")
        return newest[0].id
    prefix, sep, target = given.partition(":")
    if prefix != LATEST or not sep:
        return given
    if not target:
        raise UsageError("latest:: a target must follow", hint="write latest:PATH, or latest")
    found = store.latest_scan(target_identity(store, target))
    assert found is not None  # target_identity names only targets that have a stored scan
    return found


def target_identity(store: Store, target: str) -> str:
    """A stored target identity for `target`: an identity itself, or a path (optionally
    with a `kind:` prefix) made absolute as the scan does it. UsageError when no stored
    scan is of it, or several kinds of target are."""
    if store.latest_scan(target) is not None:
        return target
    # Only now: the pipeline imports every collector, a tenth of a second.
    from auditor.errors import UsageError
    from auditor.model import TargetKind
    from auditor.pipeline import PREFIXES

    prefix, sep, rest = target.partition(":")
    kinds = [k.value for k in TargetKind]
    if sep and prefix in kinds:
        kinds, target = [prefix], rest
    elif sep and (forced := PREFIXES.get(prefix)) is not None:
        kinds, target = [forced.value], rest
    path = Path(target).expanduser().resolve().as_posix()
    found = [f"{k}:{path}" for k in kinds if store.latest_scan(f"{k}:{path}") is not None]
    if not found:
        raise UsageError(
            f"{target}: no stored scans of this target",
            hint="`auditor history` lists the stored scans and their targets",
        )
    if len(found) > 1:
        raise UsageError(
            f"{target}: stored as several targets", hint="name one: " + ", ".join(found)
        )
    return found[0]


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


def put(text: str, output: Path | None, coloured: bool = False) -> None:
    """Write `text` to `output`, or stdout when None; OutputError naming where it failed.
    `coloured`: text whose only escape sequences are the colours our renderer added."""
    from auditor.errors import OutputError

    where = "stdout" if output is None else str(output)
    try:
        if output is None:  # a terminal or a CI log: no control sequences, no workflow commands
            sys.stdout.write(_coloured_lines(text) if coloured else _plain_lines(text))
            sys.stdout.flush()
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        if output is None:  # nothing more can reach it; spare Python's exit-time flush
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
        raise OutputError(f"{where}: cannot write: {exc.strerror or exc}") from None


def _plain_lines(text: str) -> str:
    from auditor.escape import terminal_lines

    return terminal_lines(text)


_SGR = re.compile(r"(\x1b\[[0-9;]*m)")
"""Select Graphic Rendition: colour and weight only, nothing that moves the cursor."""


def _coloured_lines(text: str) -> str:
    """`terminal_lines` on everything but the colour codes themselves (metadata was escaped
    by the renderer before any colour was added, so none of these came from the input)."""
    from auditor.escape import terminal_lines

    return "".join(
        part if i % 2 else terminal_lines(part) for i, part in enumerate(_SGR.split(text))
    )


PDF_FORMATS = ("attestation", "html")
"""The formats `--pdf` prints (HTML laid out for paper)."""


def pdf_ready(fmt: str, pdf: Path | None) -> None:
    """Before any work: UsageError (exit 2) when `--pdf` cannot be honoured, because the
    format is not HTML or no Chromium is installed."""
    if pdf is None:
        return
    from auditor.errors import UsageError
    from auditor.render.pdf import find_chromium

    if fmt not in PDF_FORMATS:
        raise UsageError(
            f"--pdf: prints HTML, not --format {fmt}",
            hint="use --format attestation (or html) with --pdf",
        )
    find_chromium()


def emit(
    result: Scan,
    fmt: str,
    output: Path | None,
    min_severity: str = "low",
    verdict: str | None = None,
    pdf: Path | None = None,
    paper: str | None = None,
) -> None:
    """`result` in `fmt` to stdout or `output`; the table laid out for the screen (width,
    colour: `auditor.cli.terminal`) and closed by `verdict`, what the exit status means.
    With `pdf`, the HTML is printed there too (and reaches stdout only when `output` is
    not given and no PDF is asked for)."""
    from auditor.model import Severity
    from auditor.render import renderer

    if fmt == "table":
        from auditor.cli.terminal import screen
        from auditor.render.table import TableRenderer

        shown = screen(to_file=output is not None)
        table = TableRenderer(Severity(min_severity), shown.width, shown.colour, verdict)
        put(table.render(result), output, coloured=shown.colour)
    else:
        if fmt == "attestation":
            from auditor.config import screening_lists
            from auditor.render.attestation import AttestationRenderer

            # a PDF has a page size of its own: A4 unless --paper says otherwise
            paper = paper or ("a4" if pdf is not None else None)
            # the lists the scan and `rescreen` screen against (AUDITOR_SCREENING_LISTS)
            lists = screening_lists(None, os.environ)
            text = AttestationRenderer(paper=paper, lists=lists).render(result)
            notes: tuple[str, ...] = ()
        else:
            chosen = renderer(fmt, Severity(min_severity))
            text = chosen.render(result)
            notes = chosen.notices(result)  # e.g. why an SBOM was not written back
        if output is not None or pdf is None:
            put(text, output)
        if pdf is not None:
            from auditor.render.pdf import print_pdf

            print_pdf(text, pdf)
            click.echo(f"{fmt} printed to {pdf}", err=True)
        for note in notes:
            from auditor.escape import terminal

            click.echo(f"note: {terminal(note)}", err=True)
    if output is not None:
        click.echo(
            f"scan {result.id}: {result.status.value}, {len(result.components)} components, "
            f"{len(result.findings)} findings, {len(result.diagnostics)} diagnostics; "
            f"{fmt} written to {output}",
            err=True,
        )
